{#-
  Sessions of the usable events that have no session id, by the 30-minute rule per user (var
  session_gap_minutes): a gap longer than the limit starts a session. One row per distinct (user, time).

  Incremental by user: a late event can join or extend a session of an earlier day, so a build re-sessions
  every user who has an event without a session id on a day whose landed events changed, from all of that
  user's such events; the other users' sessions cannot change. The key is the user and the session's start
  time, not its rank, so a session no new event joins keeps its key from build to build. key_built_at is the
  build that gave an event its key (kept while the key stays): int_clickstream_session_days rebuilds the
  days with an event whose key changed since the day was built. A new event can only change the key of
  later events (it can start a session or close a gap), so a new day's events leave earlier days alone.
-#}
-- depends_on: {{ ref('int_clickstream_landed_days') }}
{{ config(on_schema_change='append_new_columns', **clickstream_partial_config('user_id')) }}
{%- do clickstream_check_spark_partitions() %}

{#- None (every user) on the first build, and on a table built before it recorded day_landed_events or
    key_built_at. -#}
{%- set days = clickstream_days_to_update(['key_built_at']) %}

with

landed_days as (

    {{ clickstream_landed_days(none) }}

),

{% if days is not none -%}
changed_users as (

    select distinct user_id
    from {{ ref('raw_clickstream_events') }}
    where {{ clickstream_day_filter(days) }} and user_session is null and {{ clickstream_event_is_usable() }}

),

{% endif -%}
events as (

    select distinct
        user_id,
        event_at
    from {{ ref('raw_clickstream_events') }}
    where user_session is null and {{ clickstream_event_is_usable() }}
    {%- if days is not none %}
        and user_id in (select user_id from changed_users)
    {%- endif %}

),

gaps as (

    select
        user_id,
        event_at,
        {{ seconds_between('lag(event_at) over (partition by user_id order by event_at)', 'event_at') }}
        / cast(60 as double)
            as gap_minutes
    from events

),

starts as (

    select
        user_id,
        event_at,
        max(case when gap_minutes is null or gap_minutes > {{ var('session_gap_minutes') }} then event_at end)
            over (partition by user_id order by event_at rows unbounded preceding) as session_started_at
    from gaps

),

keyed as (

    select
        user_id,
        event_at,
        'inferred-' || user_id || '-' || {{ format_timestamp('session_started_at', '%Y%m%dT%H%M%S.%f') }}
            as session_key
    from starts

){%- if days is not none %},

-- The keys the re-sessioned users' events had: an unchanged key keeps the build that gave it.
earlier as (

    select
        user_id,
        event_at,
        session_key,
        key_built_at
    from {{ this }}
    where user_id in (select user_id from changed_users)

)
{%- endif %},

changed_rows as (

    select
        keyed.user_id,
        keyed.event_at,
        landed_days.event_date,
        keyed.session_key,
        -- What the event's day had landed: a later build re-sessions the users of the days whose count differs.
        landed_days.day_landed_events,
        {%- if days is not none %}
        case
            when earlier.session_key = keyed.session_key then earlier.key_built_at else {{ clickstream_build_time() }}
        end as key_built_at
        {%- else %}
        {{ clickstream_build_time() }} as key_built_at
        {%- endif %}
    from keyed
    inner join landed_days
        on cast(keyed.event_at as date) = landed_days.event_date
    {%- if days is not none %}
    left join earlier
        on keyed.user_id = earlier.user_id
            and keyed.event_at = earlier.event_at
    {%- endif %}

)

{{ clickstream_per_user_rows('changed_rows', 'changed_users') }}
