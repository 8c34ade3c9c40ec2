-- The usable events: staged (duplicates already collapsed), not quarantined. A view: the events are stored once, in
-- stg_clickstream__events; this only names the subset every clickstream model reads.
{{ config(materialized='view') }}

select
    event_at,
    event_type,
    product_id,
    category_id,
    brand,
    price,
    user_id,
    user_session,
    source_file

from {{ ref('stg_clickstream__events') }}
where not is_quarantined
