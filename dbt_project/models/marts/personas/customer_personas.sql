-- One row per scored customer: the persona, the cluster behind it, key features and every flag.
-- This is the table SQL users and BI tools join on (customer_id).

with

segments as (

    select * from {{ ref('customer_segments') }}

),

personas as (

    select * from {{ ref('customer_cluster_personas') }}

),

customers as (

    select * from {{ ref('customers') }}

),

features as (

    select * from {{ ref('customer_features') }}

),

joined as (

    select
        segments.customer_id,
        personas.persona_name,
        segments.cluster_id,
        personas.is_fallback_name as is_fallback_persona_name,
        segments.distance_to_centroid,
        segments.margin_to_next_centroid,
        features.age_years,
        features.income,
        features.spend_total,
        features.purchases_total,
        features.recency_days,
        features.children_count,
        features.web_visits_per_month,
        features.deal_purchases_share,
        features.campaigns_accepted,
        features.has_complained,
        customers.education_level,
        customers.marital_status,
        segments.is_excluded_from_fit,
        customers.fit_exclusion_reasons,
        customers.is_income_imputed,
        customers.is_implausible_birth_year,
        customers.is_extreme_income,
        customers.is_duplicate_profile,
        segments.is_distance_outlier,
        segments.model_version

    from segments
    inner join personas
        on segments.cluster_id = personas.cluster_id
    inner join customers
        on segments.customer_id = customers.customer_id
    inner join features
        on segments.customer_id = features.customer_id

)

select * from joined
