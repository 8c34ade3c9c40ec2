{#-
  One row per user of the clickstream: recency, frequency (sessions, active days), money (purchase revenue),
  the funnel (views, carts, removals, purchases and the rates between them, cart abandonment), breadth
  (distinct products, categories, brands), prices viewed and bought, events per session, and the mix of
  time of day and weekday. Sessions are user_session; events without one are grouped by a 30-minute
  inactivity rule per user (var session_gap_minutes). As of the var as_of_date (midnight), by default the
  last event's time, so recency is never negative and never depends on today. Skewed counts are
  log-transformed for modelling by the engine (ml/), which records them in the model sidecar.
  Prices are summed as decimals so that every build gives the same figures.

  Derived from the partial aggregates, not from the events: int_clickstream_user_totals sums the per-day
  partials of each user (int_clickstream_session_days, int_clickstream_user_day_items); all exact
  (docs/clickstream.md). A build with a new day's file rebuilds only that day's partials and the totals of
  the users active in it; this model then adds the as-of time, recency and the rates for every user.
-#}

with

per_user as (

    select * from {{ ref('int_clickstream_user_totals') }}

),

reference_time as (

    select
        {% if var('as_of_date', none) -%}
        cast({{ sql_string(var('as_of_date')) }} as timestamp)
        {%- else -%}
        (select max(last_event_at) from per_user)
        {%- endif %} as as_of_at

),

final as (

    select
        per_user.user_id,
        reference_time.as_of_at,
        cast(reference_time.as_of_at as date) as as_of_date,
        per_user.first_event_at,
        per_user.last_event_at,
        greatest({{ seconds_between('per_user.last_event_at', 'reference_time.as_of_at') }}, 0) / cast(86400 as double)
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
