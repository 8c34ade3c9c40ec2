-- The clickstream features as the project computed them before issue 16 (landing every field as text,
-- one staged table of distinct events, features from all events), compiled from the models of commit
-- bdef155 and kept here so that bench/clickstream_benchmark.py can check that the incremental features
-- give the same answers on the same files. {pattern} is the glob of CSV files.
with landed as (
select source_file, source_row, load_id, event_at, case when event_at is null and nullif(trim(event_time__text), '') is not null then event_time__text end as event_time_raw, event_type, product_id, case when product_id is null and nullif(trim(product_id__text), '') is not null then product_id__text end as product_id_raw, category_id, case when category_id is null and nullif(trim(category_id__text), '') is not null then category_id__text end as category_id_raw, category_code, brand, price, case when price is null and nullif(trim(price__text), '') is not null then price__text end as price_raw, user_id, case when user_id is null and nullif(trim(user_id__text), '') is not null then user_id__text end as user_id_raw, user_session from (select t.source_file, t.source_row, t.load_id, try_strptime(replace(nullif(trim(cast(t."event_time" as varchar)), ''), ' UTC', ''), '%Y-%m-%d %H:%M:%S') as event_at, cast(t."event_time" as varchar) as event_time__text, lower(nullif(trim(cast(t."event_type" as varchar)), '')) as event_type, try_cast(nullif(trim(cast(t."product_id" as varchar)), '') as bigint) as product_id, cast(t."product_id" as varchar) as product_id__text, try_cast(nullif(trim(cast(t."category_id" as varchar)), '') as hugeint) as category_id, cast(t."category_id" as varchar) as category_id__text, nullif(trim(cast(t."category_code" as varchar)), '') as category_code, nullif(trim(cast(t."brand" as varchar)), '') as brand, try_cast(nullif(trim(cast(t."price" as varchar)), '') as double) as price, cast(t."price" as varchar) as price__text, try_cast(nullif(trim(cast(t."user_id" as varchar)), '') as bigint) as user_id, cast(t."user_id" as varchar) as user_id__text, nullif(trim(cast(t."user_session" as varchar)), '') as user_session from (select *, filename as source_file, cast(null as bigint) as source_row, 'ref' as load_id from read_csv('{pattern}', header = true, all_varchar = true, filename = true)) as t)
),
staged as (
with
    
    -- Landing typed the fields (ml/events_loading.py); a value that did not type is null there and kept as
    -- written in its *_raw column, which is part of the duplicate key so that two different bad values are
    -- never collapsed.
    distinct_events as (
    
        select
            event_at,
            event_type,
            product_id,
            category_id,
            category_code,
            brand,
            price,
            user_id,
            user_session,
            event_time_raw,
            product_id_raw,
            category_id_raw,
            price_raw,
            user_id_raw,
            -- The first file (by name) an event appeared in names it.
            min(source_file) as source_file,
            min(source_row) as source_row,
            count(*) - 1 as duplicate_copies
    
        from landed
        group by
            event_at, event_type, product_id, category_id, category_code, brand, price, user_id,
            user_session, event_time_raw, product_id_raw, category_id_raw, price_raw, user_id_raw
    
    ),
    
    checked as (
    
        select
            *,
            list_filter([
                case when event_at is null then 'unparseable_event_time' end,
                case when event_type is null or event_type not in ('view', 'cart', 'remove_from_cart', 'purchase')
                        then 'unknown_event_type'
                end,
                case when user_id is null then 'missing_user_id' end,
                case when price_raw is not null then 'unparseable_price' end,
                case when price < 0 then 'negative_price' end
            ], lambda reason: reason is not null) as quarantine_reason_list
    
        from distinct_events
    
    )
    
    select
        source_file,
        duplicate_copies,
        event_at,
        event_type,
        product_id,
        category_id,
        brand,
        price,
        user_id,
        user_session,
        -- Only for quarantined events (null otherwise, which costs nothing to store).
        -- The time as written when it could not be read, else the UTC time read from it.
        case when len(quarantine_reason_list) > 0 then coalesce(event_time_raw, cast(event_at as varchar)) end
            as event_time_raw,
        case when len(quarantine_reason_list) > 0 then array_to_string(quarantine_reason_list, ',') end
            as quarantine_reasons,
        len(quarantine_reason_list) > 0 as is_quarantined
    
    from checked
),
usable_events as (
    select event_at, event_type, product_id, category_id, brand, price, user_id, user_session, source_file from staged where not is_quarantined
),


-- Not materialized: each use reads the staged table (columnar, only the columns it needs) instead of
-- DuckDB writing all events to a temporary result and reading it back, which at 50M events spilled and
-- cost about half the time of this model (docs/performance.md).
events as not materialized (

    select
        *,
        cast(price as decimal(18, 2)) as price_exact
    from usable_events

),

reference_time as (

    select
        (select max(event_at) from events) as as_of_at

),

-- The 30-minute rule, only for events without a session id: a gap longer than the limit starts a session.
unsessioned as (

    select
        user_id,
        event_at,
        sum(case when gap_minutes is null or gap_minutes > 30 then 1 else 0 end)
            over (partition by user_id order by event_at rows unbounded preceding) as session_number

    from (
        select
            user_id,
            event_at,
            date_diff('second', lag(event_at) over (partition by user_id order by event_at), event_at) / 60.0
                as gap_minutes
        from events
        where user_session is null
    ) as gaps

),

inferred_sessions as (

    select distinct
        user_id,
        event_at,
        'inferred-' || user_id || '-' || session_number as session_key
    from unsessioned

),

sessioned as not materialized (

    select
        events.*,
        coalesce(events.user_session, inferred_sessions.session_key) as session_key

    from events
    left join inferred_sessions
        on events.user_session is null
            and events.user_id = inferred_sessions.user_id
            and events.event_at = inferred_sessions.event_at

),

-- Two-level aggregation: one pass over the events to one row per user session (funnel, money, time mix),
-- then sessions to users. Every per-user count is a sum of per-session counts, so this gives the same
-- figures as aggregating the events per user, with one large group-by instead of three (session funnel,
-- distinct sessions, per-user counts); docs/performance.md.
per_session as (

    select
        user_id,
        session_key,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(*) as event_count,
        count(*) filter (where event_type = 'view') as view_count,
        count(*) filter (where event_type = 'cart') as cart_count,
        count(*) filter (where event_type = 'remove_from_cart') as remove_count,
        count(*) filter (where event_type = 'purchase') as purchase_count,
        sum(price_exact) filter (where event_type = 'purchase') as purchase_revenue,
        sum(price_exact) filter (where event_type = 'view') as viewed_price_sum,
        count(price_exact) filter (where event_type = 'view') as viewed_prices,
        count(price_exact) filter (where event_type = 'purchase') as bought_prices,
        count(*) filter (where hour(event_at) < 6) as night_events,
        count(*) filter (where hour(event_at) >= 6 and hour(event_at) < 12) as morning_events,
        count(*) filter (where hour(event_at) >= 12 and hour(event_at) < 18) as afternoon_events,
        count(*) filter (where hour(event_at) >= 18) as evening_events,
        count(*) filter (where isodow(event_at) >= 6) as weekend_events

    from sessioned
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

-- Breadth needs distinct values across sessions, so it is counted over the events.
per_user_breadth as (

    select
        user_id,
        count(distinct cast(event_at as date)) as active_days,
        count(distinct product_id) as distinct_products,
        count(distinct category_id) as distinct_categories,
        count(distinct coalesce(brand, 'unknown')) as distinct_brands

    from sessioned
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