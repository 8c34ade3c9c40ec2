-- One row: where every landed event went. Events accumulate over incremental builds, so this describes
-- every event landed so far. Exact duplicates removed count as "excluded from fit".

with

quarantine_reasons as (

    {{ quarantine_reason_counts(ref('clickstream_event_quarantine')) }}

),

accounting as (

    select * from {{ ref('clickstream_event_accounting') }}

)

select
    cast(coalesce(sum(events_read), 0) as bigint) as rows_read,
    cast(coalesce(sum(events_quarantined), 0) as bigint) as rows_quarantined,
    (select quarantine_reason_counts from quarantine_reasons) as quarantine_reason_counts,
    cast(coalesce(sum(events_read - events_quarantined), 0) as bigint) as rows_accepted,
    cast(coalesce(sum(duplicate_events_removed), 0) as bigint) as rows_excluded_from_fit

from accounting
