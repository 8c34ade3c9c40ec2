{#-
  One row per persona of the clickstream segmentation: size, share, behaviour figures against the average,
  top traits, description and recommendation. Built by the macro persona_profiles_sql.
-#}
{{ persona_profiles_sql(
    'clickstream',
    ref('clickstream_customer_personas'),
    ref('clickstream_cluster_personas'),
    ref('clickstream_segment_centroids'),
    ['recency_days', 'session_count', 'active_days', 'purchase_revenue', 'view_count', 'purchase_count',
     'view_to_cart_rate', 'cart_to_purchase_rate', 'cart_abandonment_rate', 'distinct_products',
     'events_per_session']
) }}
