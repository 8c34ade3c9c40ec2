{#-
  Landed events per event day: what each incremental partial model records as day_landed_events, and what
  the next build compares it with to find the days whose landed events changed (macros
  clickstream_days_to_update, clickstream_landed_days).

  One scan of the landing per build, read by the three partial models, instead of a scan of the landing in
  each of them. Rebuilt in full on every build, not appended per load: a count over every landed event
  catches any change to the landing, even rows deleted by hand. Events without a time have no day.
-#}
{{ config(materialized='table') }}

select
    cast(event_at as date) as event_date,
    count(*) as day_landed_events
from {{ ref('raw_clickstream_events') }}
where event_at is not null
group by cast(event_at as date)
