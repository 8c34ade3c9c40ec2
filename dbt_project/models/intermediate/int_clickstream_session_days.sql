{#-
  The clickstream's partial aggregates: one row per event day, user, session and first file, from the
  distinct usable events of that day (exact copies collapsed; duplicate_copies counts them). Counts per
  event type, purchase revenue and prices as exact decimals, the time-of-day and weekend mix, first and last
  event. User features (clickstream_customer_features), the value models and the accounting are derived
  from these rows instead of from every event.

  Incremental by day (docs/clickstream.md, "How a new day is built"): a build rebuilds only the days whose
  landed events changed (macro clickstream_days_to_update), from every landed event of those days, so:
  - duplicates stay exact: an exact copy has the same time, hence the same day, whatever file it came in,
    and the same user, so only the events of a (user, time) shared by several events are compared field by
    field;
  - a session that crosses midnight has a row per day; per-session figures are sums over its rows, and the
    session count is a count of distinct (user, session) keys, so both are exact;
  - an event without a session id takes its inferred session from int_clickstream_inferred_sessions, and a
    day with an event whose inferred session key changed since the day was built is rebuilt too (a late
    event can merge sessions across days; a session a new day only extends keeps its key, so the day it
    started on is not rebuilt);
  - distinct products, categories and brands are counted from int_clickstream_user_day_items.
  A full refresh and an incremental build give the same rows (tests/integration/test_clickstream_incremental.py).
-#}
-- depends_on: {{ ref('int_clickstream_landed_days') }}
{{ config(**clickstream_partial_config('event_date')) }}
{%- do clickstream_check_spark_partitions() %}

{%- set days = clickstream_days_to_update() %}
{%- if days is not none %}
    {%- set rekeyed_days_query -%}
        select distinct cast(inferred.event_date as string)
        from {{ ref('int_clickstream_inferred_sessions') }} as inferred
        inner join (
            select event_date, max(built_at) as built_at from {{ this }} group by event_date
        ) as built
            on inferred.event_date = built.event_date
        where inferred.key_built_at > built.built_at
    {%- endset -%}
    {%- set days = (days + run_query(rekeyed_days_query).columns[0].values() | list) | unique | sort | list %}
{%- endif %}

{#- An event's identity: exact copies are equal in all nine fields once typed. -#}
{%- set event_fields = [
    'event_at', 'event_type', 'product_id', 'category_id', 'category_code', 'brand', 'price', 'user_id', 'user_session'
] | join(', ') %}

{#- The usable events of the days rebuilt, written out where they are read: DuckDB materialises a CTE that
    is read more than once, and this one holds every event of the days. -#}
{%- set usable_events -%}
    (
        select *
        from {{ ref('raw_clickstream_events') }}
        where {{ clickstream_day_filter(days) }} and {{ clickstream_event_is_usable() }}
    ) as usable_events
{%- endset %}

{%- set at_a_shared_moment -%}
    exists (
        select 1 from shared_moments
        where shared_moments.user_id = usable_events.user_id and shared_moments.event_at = usable_events.event_at
    )
{%- endset %}

with

landed_days as (

    {{ clickstream_landed_days(days) }}

),

-- Exact copies share their user and time, so only the events of a (user, time) that occurs more than once
-- can be copies: grouping by two fixed-width columns finds them far more cheaply than grouping every event
-- by all nine of its fields, which only these few events then are.
shared_moments as (

    select
        user_id,
        event_at
    from {{ usable_events }}
    group by user_id, event_at
    having count(*) > 1

),

distinct_events as (

    select
        {{ event_fields }},
        source_file,
        0 as duplicate_copies
    from {{ usable_events }}
    where not {{ at_a_shared_moment }}

    union all

    select
        {{ event_fields }},
        -- The first file (by name) an event appeared in names it; its copies count against that file.
        min(source_file) as source_file,
        count(*) - 1 as duplicate_copies
    from {{ usable_events }}
    where {{ at_a_shared_moment }}
    group by {{ event_fields }}

),

sessioned as (

    select
        distinct_events.*,
        cast(distinct_events.event_at as date) as event_date,
        coalesce(distinct_events.user_session, inferred.session_key) as session_key,
        cast(distinct_events.price as decimal(18, 2)) as price_exact

    from distinct_events
    left join {{ ref('int_clickstream_inferred_sessions') }} as inferred
        on distinct_events.user_session is null
            and distinct_events.user_id = inferred.user_id
            and distinct_events.event_at = inferred.event_at

),

partials as (

    select
        sessioned.event_date,
        sessioned.user_id,
        sessioned.session_key,
        sessioned.source_file,
        min(sessioned.event_at) as first_event_at,
        max(sessioned.event_at) as last_event_at,
        count(*) as event_count,
        cast(sum(sessioned.duplicate_copies) as bigint) as duplicate_copies,
        count(*) filter (where sessioned.event_type = 'view') as view_count,
        count(*) filter (where sessioned.event_type = 'cart') as cart_count,
        count(*) filter (where sessioned.event_type = 'remove_from_cart') as remove_count,
        count(*) filter (where sessioned.event_type = 'purchase') as purchase_count,
        -- Sums of decimals typed alike on both engines (Spark would widen them less).
        cast(sum(sessioned.price_exact) filter (where sessioned.event_type = 'purchase') as decimal(38, 2))
            as purchase_revenue,
        cast(sum(sessioned.price_exact) filter (where sessioned.event_type = 'view') as decimal(38, 2))
            as viewed_price_sum,
        count(sessioned.price_exact) filter (where sessioned.event_type = 'view') as viewed_prices,
        count(sessioned.price_exact) filter (where sessioned.event_type = 'purchase') as bought_prices,
        count(*) filter (where hour(sessioned.event_at) < 6) as night_events,
        count(*) filter (where hour(sessioned.event_at) >= 6 and hour(sessioned.event_at) < 12) as morning_events,
        count(*) filter (where hour(sessioned.event_at) >= 12 and hour(sessioned.event_at) < 18) as afternoon_events,
        count(*) filter (where hour(sessioned.event_at) >= 18) as evening_events,
        count(*) filter (where {{ iso_day_of_week('sessioned.event_at') }} >= 6) as weekend_events

    from sessioned
    group by sessioned.event_date, sessioned.user_id, sessioned.session_key, sessioned.source_file

)

-- The day's landed count is joined to the grouped rows, not to every event: a join carries every column it
-- passes on, and the events' text columns made that join a fifth of the model's time.
select
    partials.*,
    -- What the day was built from: a later build rebuilds the day when its landed count differs.
    landed_days.day_landed_events,
    -- When the day was (re)built: int_clickstream_user_totals updates the users of rows newer than its last build.
    {{ clickstream_build_time() }} as built_at
from partials
inner join landed_days
    on partials.event_date = landed_days.event_date
