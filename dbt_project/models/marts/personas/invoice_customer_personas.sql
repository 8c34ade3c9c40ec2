-- One row per customer of the invoices: the ML persona, the classic RFM segment beside it, the RFM
-- measures and flags. The table SQL users and BI tools join on (customer_id).

with

segments as (

    select * from {{ ref('invoice_customer_segments') }}

),

personas as (

    select * from {{ ref('invoice_cluster_personas') }}

),

features as (

    select * from {{ ref('invoice_customer_features') }}

),

rfm as (

    select * from {{ ref('invoice_rfm_scores') }}

),

joined as (

    select
        segments.customer_id,
        personas.persona_name,
        segments.cluster_id,
        personas.is_fallback_name as is_fallback_persona_name,
        segments.distance_to_centroid,
        segments.margin_to_next_centroid,
        rfm.rfm_segment,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        features.country,
        features.recency_days,
        features.frequency,
        features.monetary,
        features.tenure_days,
        features.average_order_value,
        features.distinct_products,
        features.return_rate,
        features.first_order_date,
        features.last_order_date,
        segments.is_excluded_from_fit,
        features.fit_exclusion_reason,
        segments.is_distance_outlier,
        segments.scoring_mode,
        segments.model_version

    from segments
    inner join personas
        on segments.cluster_id = personas.cluster_id
    inner join features
        on segments.customer_id = features.customer_id
    left join rfm
        on segments.customer_id = rfm.customer_id

)

select * from joined
