-- Where every landed event went, per source file: used, duplicate (removed) or quarantined (with reasons).
-- events_read = events_used + duplicate_events_removed + events_quarantined (tested). A duplicate found in
-- two files is counted against the first file (by name) it appeared in.

with

staged as (

    select * from {{ ref('stg_clickstream__events') }}

),

per_file as (

    select
        source_file,
        sum(1 + duplicate_copies) as events_read,
        count(*) filter (where not is_quarantined) as events_used,
        coalesce(sum(duplicate_copies) filter (where not is_quarantined), 0) as duplicate_events_removed,
        coalesce(sum(1 + duplicate_copies) filter (where is_quarantined), 0) as events_quarantined

    from staged
    group by source_file

),

landed as (

    select
        source_file,
        count(*) as events_landed
    from {{ ref('raw_clickstream_events') }}
    group by source_file

)

select
    per_file.source_file,
    landed.events_landed,
    per_file.events_read,
    per_file.events_used,
    per_file.duplicate_events_removed,
    per_file.events_quarantined

from per_file
inner join landed
    on per_file.source_file = landed.source_file
order by per_file.source_file
