{#-
  One row per persona of the invoice (RFM) segmentation: size, share, RFM and behaviour figures against
  the average, top traits and strategy. Built by the macro persona_profiles_sql, like persona_profiles.
-#}
{{ persona_profiles_sql(
    'invoices',
    ref('invoice_customer_personas'),
    ref('invoice_cluster_personas'),
    ref('invoice_segment_centroids'),
    ['recency_days', 'frequency', 'monetary', 'tenure_days', 'average_order_value', 'distinct_products',
     'return_rate']
) }}
