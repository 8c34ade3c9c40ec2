-- One row per clickstream user: the persona, the cluster behind it, the behaviour features and flags.
-- The table SQL users and BI tools join on (user_id).

with

segments as (

    select * from {{ ref('clickstream_customer_segments') }}

),

personas as (

    select * from {{ ref('clickstream_cluster_personas') }}

),

features as (

    select * from {{ ref('clickstream_customer_features') }}

),

joined as (

    select
        segments.user_id,
        personas.persona_name,
        segments.cluster_id,
        personas.is_fallback_name as is_fallback_persona_name,
        segments.distance_to_centroid,
        segments.margin_to_next_centroid,
        features.recency_days,
        features.session_count,
        features.active_days,
        features.purchase_revenue,
        features.view_count,
        features.cart_count,
        features.remove_count,
        features.purchase_count,
        features.view_to_cart_rate,
        features.cart_to_purchase_rate,
        features.cart_abandonment_rate,
        features.distinct_products,
        features.distinct_categories,
        features.distinct_brands,
        features.avg_price_viewed,
        features.avg_price_bought,
        features.events_per_session,
        features.evening_share,
        features.weekend_share,
        segments.is_excluded_from_fit,
        segments.is_distance_outlier,
        segments.model_version

    from segments
    inner join personas
        on segments.cluster_id = personas.cluster_id
    inner join features
        on segments.user_id = features.user_id

)

select * from joined
