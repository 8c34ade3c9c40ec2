{#-
  Sessions of the usable events that have no session id, by the 30-minute rule per user (var
  session_gap_minutes): a gap longer than the limit starts a session. One row per distinct (user, time).

  Rebuilt from every such event on each build (they are a few percent of events, read by filter from the
  landing), because a late event can join or extend a session of an earlier day. The key is the user and the
  session's start time, not its rank, so a session no new event joins keeps its key from build to build;
  int_clickstream_session_days rebuilds every day of a session that a new day's event belongs to.
-#}
{{ config(materialized='table') }}

with

events as (

    select distinct
        user_id,
        event_at
    from {{ ref('raw_clickstream_events') }}
    where user_session is null and {{ clickstream_event_is_usable() }}

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

)

select
    user_id,
    event_at,
    cast(event_at as date) as event_date,
    'inferred-' || user_id || '-' || {{ format_timestamp('session_started_at', '%Y%m%dT%H%M%S.%f') }} as session_key
from starts
