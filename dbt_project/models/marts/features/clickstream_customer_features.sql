{#-
  One row per user of the clickstream: recency, frequency (sessions, active days), money (purchase revenue),
  the funnel (views, carts, removals, purchases and the rates between them, cart abandonment), breadth
  (distinct products, categories, brands), prices viewed and bought, events per session, and the mix of
  time of day and weekday. Sessions are user_session; events without one are grouped by a 30-minute
  inactivity rule per user (var session_gap_minutes). As of the var as_of_date (midnight), by default the
  last event's time, so recency is never negative and never depends on today. Skewed counts are
  log-transformed for modelling by the engine (ml/), which records them in the model sidecar.
  Prices are summed as decimals so that every build gives the same figures.

  Derived from the partial aggregates, not from the events: int_clickstream_session_days (per day, user and
  session: summed to sessions, then to users) and int_clickstream_user_day_items (distinct products,
  categories and brands per user and day: counted distinct per user). Both are exact (docs/clickstream.md),
  and a build with a new day's file rebuilds only that day's partials.
-#}

with

session_days as (

    select * from {{ ref('int_clickstream_session_days') }}

),

reference_time as (

    select
        {% if var('as_of_date', none) -%}
        cast({{ sql_string(var('as_of_date')) }} as timestamp)
        {%- else -%}
        (select max(last_event_at) from session_days)
        {%- endif %} as as_of_at

),

-- A session that crosses midnight (or whose events came in two files) has several rows: summed here.
per_session as (

    select
        user_id,
        session_key,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
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
        cast(sum(event_count) as bigint) as event_count,
        count(*) as session_count,
        count(*) filter (where cart_count > 0) as sessions_with_cart,
        count(*) filter (where cart_count > 0 and purchase_count = 0) as abandoned_cart_sessions,
        cast(sum(view_count) as bigint) as view_count,
        cast(sum(cart_count) as bigint) as cart_count,
        cast(sum(remove_count) as bigint) as remove_count,
        cast(sum(purchase_count) as bigint) as purchase_count,
        coalesce(sum(purchase_revenue), 0) as purchase_revenue,
        sum(viewed_price_sum) / nullif(sum(viewed_prices), 0) as avg_price_viewed,
        sum(purchase_revenue) / nullif(sum(bought_prices), 0) as avg_price_bought,
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
        count(distinct coalesce(brand, 'unknown')) as distinct_brands

    from {{ ref('int_clickstream_user_day_items') }}
    group by user_id

),

per_user as (

    select
        per_user_sessions.*,
        per_user_breadth.* exclude (user_id)

    from per_user_sessions
    inner join per_user_breadth
        on per_user_sessions.user_id = per_user_breadth.user_id

),

final as (

    select
        per_user.user_id,
        reference_time.as_of_at,
        cast(reference_time.as_of_at as date) as as_of_date,
        per_user.first_event_at,
        per_user.last_event_at,
        greatest(date_diff('second', per_user.last_event_at, reference_time.as_of_at), 0) / 86400.0
            as recency_days,
        per_user.session_count,
        per_user.active_days,
        cast(per_user.purchase_revenue as double) as purchase_revenue,
        per_user.event_count,
        per_user.view_count,
        per_user.cart_count,
        per_user.remove_count,
        per_user.purchase_count,
        coalesce(per_user.cart_count / nullif(per_user.view_count, 0), 0) as view_to_cart_rate,
        -- Purchases can skip the cart ("buy now"): the rate is capped at 1.
        least(coalesce(per_user.purchase_count / nullif(per_user.cart_count, 0), 0), 1) as cart_to_purchase_rate,
        coalesce(per_user.abandoned_cart_sessions / nullif(per_user.sessions_with_cart, 0), 0)
            as cart_abandonment_rate,
        per_user.distinct_products,
        per_user.distinct_categories,
        per_user.distinct_brands,
        cast(coalesce(per_user.avg_price_viewed, 0) as double) as avg_price_viewed,
        cast(coalesce(per_user.avg_price_bought, 0) as double) as avg_price_bought,
        per_user.event_count / per_user.session_count as events_per_session,
        per_user.night_events / per_user.event_count as night_share,
        per_user.morning_events / per_user.event_count as morning_share,
        per_user.afternoon_events / per_user.event_count as afternoon_share,
        per_user.evening_events / per_user.event_count as evening_share,
        per_user.weekend_events / per_user.event_count as weekend_share,
        false as is_excluded_from_fit

    from per_user
    cross join reference_time

)

select * from final
