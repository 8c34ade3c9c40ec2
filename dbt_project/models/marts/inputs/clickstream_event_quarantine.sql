-- Events that failed a row-level rule, one row per distinct event (exact copies collapsed and counted in
-- duplicate_copies, against the first file by name), with the reason codes, the time as written and, for a
-- line the CSV reader rejected, the line itself. Only the failing rows are read past the filter, so this
-- stays cheap when the landing holds every event.

select
    min(source_file) as source_file,
    min(source_row) as source_row,
    event_time_raw,
    event_type,
    product_id,
    price,
    user_id,
    user_session,
    quarantine_reasons,
    rejected_line,
    count(*) - 1 as duplicate_copies

from {{ ref('stg_clickstream__events') }}
where is_quarantined
group by
    event_time_raw, event_type, product_id, category_id, category_code, brand, price, user_id, user_session,
    quarantine_reasons, rejected_line, product_id_raw, category_id_raw, price_raw, user_id_raw
