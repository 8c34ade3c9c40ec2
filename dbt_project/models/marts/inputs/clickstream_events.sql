-- The usable events, one row per distinct event (exact copies collapsed), for SQL users who want the events
-- themselves. A view: the events are stored once, in the landing; no model of the build reads this (they
-- read the partial aggregates of int_clickstream_session_days), so it costs nothing until it is queried.
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
    min(source_file) as source_file

from {{ ref('raw_clickstream_events') }}
where {{ clickstream_event_is_usable() }}
group by event_at, event_type, product_id, category_id, category_code, brand, price, user_id, user_session
