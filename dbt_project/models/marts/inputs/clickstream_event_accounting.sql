-- Where every landed event went, per source file: used, duplicate (removed) or quarantined (with reasons).
-- events_read = events_used + duplicate_events_removed + events_quarantined, and equals events_landed
-- (tested). A duplicate found in two files is counted against the first file (by name) it appeared in.
-- Used events and their copies come from the partial aggregates (int_clickstream_session_days), the
-- quarantined ones from clickstream_event_quarantine: no model reads every event again for this.

with

used as (

    select
        source_file,
        cast(sum(event_count) as bigint) as events_used,
        cast(sum(duplicate_copies) as bigint) as duplicate_events_removed
    from {{ ref('int_clickstream_session_days') }}
    group by source_file

),

quarantined as (

    select
        source_file,
        cast(sum(1 + duplicate_copies) as bigint) as events_quarantined
    from {{ ref('clickstream_event_quarantine') }}
    group by source_file

),

landed as (

    select
        source_file,
        count(*) as events_landed
    from {{ ref('raw_clickstream_events') }}
    group by source_file

),

per_file as (

    select
        landed.source_file,
        landed.events_landed,
        coalesce(used.events_used, 0) as events_used,
        coalesce(used.duplicate_events_removed, 0) as duplicate_events_removed,
        coalesce(quarantined.events_quarantined, 0) as events_quarantined

    from landed
    left join used
        on landed.source_file = used.source_file
    left join quarantined
        on landed.source_file = quarantined.source_file

)

select
    source_file,
    events_landed,
    events_used + duplicate_events_removed + events_quarantined as events_read,
    events_used,
    duplicate_events_removed,
    events_quarantined

from per_file
order by source_file
