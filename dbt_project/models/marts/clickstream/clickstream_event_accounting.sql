-- Where every landed event went, per source file: used, duplicate (removed) or quarantined (with reasons).
-- The counts sum to the rows landed from the file (tested).

with

staged as (

    select * from {{ ref('stg_clickstream__events') }}

),

per_file as (

    select
        source_file,
        count(*) as events_read,
        count(*) filter (where not is_quarantined and not is_duplicate) as events_used,
        count(*) filter (where is_duplicate) as duplicate_events_removed,
        count(*) filter (where is_quarantined) as events_quarantined,
        min(load_id) as first_load_id

    from staged
    group by source_file

),

landed as (

    select source_file, count(*) as events_landed
    from {{ ref('raw_clickstream_events') }}
    group by source_file

)

select
    per_file.source_file,
    landed.events_landed,
    per_file.events_read,
    per_file.events_used,
    per_file.duplicate_events_removed,
    per_file.events_quarantined,
    per_file.first_load_id

from per_file
inner join landed
    on per_file.source_file = landed.source_file
order by per_file.source_file
