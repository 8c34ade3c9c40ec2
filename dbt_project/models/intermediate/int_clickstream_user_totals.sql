{#-
  Per-user totals of the clickstream, from the partial aggregates: sessions (a session that crosses midnight
  or two files has several partial rows, summed first), the funnel counts, revenue and price sums, the time
  mix, and the distinct counts (products, categories, brands, active days) over the per-day distinct items.
  Incremental by user: a build recomputes only the users that have partial rows (re)built since this table's
  last build (built_at), from all of their partial rows, so a new day costs the users active in it.
  clickstream_customer_features adds the as-of time, recency and the rates.
-#}
{{ config(
    materialized=clickstream_partial_materialization(), incremental_strategy='delete+insert', unique_key='user_id'
) }}

with

{% if is_incremental() -%}
changed_users as (

    select user_id from {{ ref('int_clickstream_session_days') }}
    where built_at > (select coalesce(max(partials_built_at), timestamp '1970-01-01') from {{ this }})
    union
    select user_id from {{ ref('int_clickstream_user_day_items') }}
    where built_at > (select coalesce(max(partials_built_at), timestamp '1970-01-01') from {{ this }})

),

{% endif -%}
session_days as (

    select * from {{ ref('int_clickstream_session_days') }}
    {% if is_incremental() -%}
    where user_id in (select user_id from changed_users)
    {%- endif %}

),

items as (

    select * from {{ ref('int_clickstream_user_day_items') }}
    {% if is_incremental() -%}
    where user_id in (select user_id from changed_users)
    {%- endif %}

),

-- A session that crosses midnight (or whose events came in two files) has several rows: summed here.
per_session as (

    select
        user_id,
        session_key,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        max(built_at) as partials_built_at,
        sum(event_count) as event_count,
        sum(view_count) as view_count,
        sum(cart_count) as cart_count,
        sum(remove_count) as remove_count,
        sum(purchase_count) as purchase_count,
        sum(purchase_revenue) as purchase_revenue,
        sum(viewed_price_sum) as viewed_price_sum,
        sum(viewed_prices) as viewed_prices,
        sum(bought_prices) as bought_prices,
        sum(night_events) as night_events,
        sum(morning_events) as morning_events,
        sum(afternoon_events) as afternoon_events,
        sum(evening_events) as evening_events,
        sum(weekend_events) as weekend_events

    from session_days
    group by user_id, session_key

),

per_user_sessions as (

    select
        user_id,
        max(last_event_at) as last_event_at,
        min(first_event_at) as first_event_at,
        max(partials_built_at) as partials_built_at,
        cast(sum(event_count) as bigint) as event_count,
        count(*) as session_count,
        count(*) filter (where cart_count > 0) as sessions_with_cart,
        count(*) filter (where cart_count > 0 and purchase_count = 0) as abandoned_cart_sessions,
        cast(sum(view_count) as bigint) as view_count,
        cast(sum(cart_count) as bigint) as cart_count,
        cast(sum(remove_count) as bigint) as remove_count,
        cast(sum(purchase_count) as bigint) as purchase_count,
        coalesce(sum(purchase_revenue), 0) as purchase_revenue,
        -- Divided as doubles: decimal division rounds differently on DuckDB and Spark.
        cast(sum(viewed_price_sum) as double) / nullif(sum(viewed_prices), 0) as avg_price_viewed,
        cast(sum(purchase_revenue) as double) / nullif(sum(bought_prices), 0) as avg_price_bought,
        cast(sum(night_events) as bigint) as night_events,
        cast(sum(morning_events) as bigint) as morning_events,
        cast(sum(afternoon_events) as bigint) as afternoon_events,
        cast(sum(evening_events) as bigint) as evening_events,
        cast(sum(weekend_events) as bigint) as weekend_events

    from per_session
    group by user_id

),

-- Distinct counts do not add up across days: counted over the distinct items of every day.
per_user_breadth as (

    select
        user_id,
        count(distinct event_date) as active_days,
        count(distinct product_id) as distinct_products,
        count(distinct category_id) as distinct_categories,
        count(distinct coalesce(brand, 'unknown')) as distinct_brands,
        max(built_at) as items_built_at

    from items
    group by user_id

)

select
    {{ star_except(['partials_built_at'], 'per_user_sessions') }},
    greatest(per_user_sessions.partials_built_at, per_user_breadth.items_built_at) as partials_built_at,
    {{ star_except(['user_id', 'items_built_at'], 'per_user_breadth') }}

from per_user_sessions
inner join per_user_breadth
    on per_user_sessions.user_id = per_user_breadth.user_id
