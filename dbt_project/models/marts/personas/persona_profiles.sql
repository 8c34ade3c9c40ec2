{#-
  One row per persona of the customer segmentation. Size and share count every scored customer; means,
  medians and z-scores describe the customers the model was fitted on (flagged outliers such as a 666,666
  income are counted in the size but do not move the averages). Built by the macro persona_profiles_sql.
-#}
{{ persona_profiles_sql(
    'customers',
    ref('customer_personas'),
    ref('customer_cluster_personas'),
    ref('customer_segment_centroids'),
    ['income', 'age_years', 'spend_total', 'purchases_total', 'recency_days', 'children_count',
     'web_visits_per_month', 'deal_purchases_share', 'campaigns_accepted']
) }}
