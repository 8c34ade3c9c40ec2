-- Events that failed a row-level rule, with the reason codes and the raw time as written.

select
    source_file,
    event_time_raw,
    event_type,
    product_id,
    price,
    user_id,
    user_session,
    quarantine_reasons

from {{ ref('stg_clickstream__events') }}
where is_quarantined
