{#-
  Classic RFM scoring: quintile scores 1-5 on recency (5 = most recent), frequency and monetary (5 = most),
  and the named segment from the R and F scores (seed rfm_segments, which partitions the 5 x 5 grid).
  Quintiles are equal-sized (ntile) over the customers who can be placed on the RFM axes (not
  is_excluded_from_fit); ties are broken by the other measures and then by customer_id, so two builds of
  the same data always give the same scores. docs/invoices.md gives the rules.
-#}

with

features as (

    select * from {{ ref('invoice_customer_features') }}
    where not is_excluded_from_fit

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

scored as (

    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        ntile(5) over (order by recency_days desc, frequency asc, monetary asc, customer_id asc) as r_score,
        ntile(5) over (order by frequency asc, monetary asc, recency_days desc, customer_id asc) as f_score,
        ntile(5) over (order by monetary asc, frequency asc, recency_days desc, customer_id asc) as m_score

    from features

),

final as (

    select
        scored.customer_id,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        cast(scored.r_score as integer) as r_score,
        cast(scored.f_score as integer) as f_score,
        cast(scored.m_score as integer) as m_score,
        cast(scored.r_score as string) || cast(scored.f_score as string) || cast(scored.m_score as string)
            as rfm_cell,
        cast(scored.r_score + scored.f_score + scored.m_score as integer) as rfm_total_score,
        segments.rfm_segment,
        segments.recommended_action

    from scored
    inner join segments
        on scored.r_score between segments.r_score_min and segments.r_score_max
            and scored.f_score between segments.f_score_min and segments.f_score_max

)

select * from final
