{#-
  Clickstream events checked: one row per distinct landed event. Landing typed them (UTC timestamps from
  '2019-10-01 00:00:00 UTC', integer ids, prices; an empty category_code, brand or user_session is null).
  event_type must be one of the four known types, user_id present, price a non-negative number, or the
  event goes to quarantine with reasons. Exact duplicate events (all nine fields equal once typed, in any
  file or load) are collapsed into one row whose duplicate_copies counts the copies removed; every landed
  row is accounted for as 1 + duplicate_copies.

  Landing (raw_clickstream_events) is the incremental step that reads each file once. This table is
  rebuilt from all landed events on every build (per-user features need every user's history anyway, and
  it makes duplicates across files exact); it keeps only the columns later models use, so writing it stays
  cheap (docs/performance.md). The text of a value that did not type stays in the landing table.
-#}
{{ config(materialized='table') }}

with

-- Landing typed the fields (ml/events_loading.py); a value that did not type is null there and kept as
-- written in its *_raw column, which is part of the duplicate key so that two different bad values are
-- never collapsed.
distinct_events as (

    select
        event_at,
        event_type,
        product_id,
        category_id,
        category_code,
        brand,
        price,
        user_id,
        user_session,
        event_time_raw,
        product_id_raw,
        category_id_raw,
        price_raw,
        user_id_raw,
        -- The first file (by name) an event appeared in names it.
        min(source_file) as source_file,
        min(source_row) as source_row,
        count(*) - 1 as duplicate_copies

    from {{ ref('raw_clickstream_events') }}
    group by
        event_at, event_type, product_id, category_id, category_code, brand, price, user_id,
        user_session, event_time_raw, product_id_raw, category_id_raw, price_raw, user_id_raw

),

checked as (

    select
        *,
        list_filter([
            case when event_at is null then 'unparseable_event_time' end,
            case when event_type is null or event_type not in ('view', 'cart', 'remove_from_cart', 'purchase')
                    then 'unknown_event_type'
            end,
            case when user_id is null then 'missing_user_id' end,
            case when price_raw is not null then 'unparseable_price' end,
            case when price < 0 then 'negative_price' end
        ], lambda reason: reason is not null) as quarantine_reason_list

    from distinct_events

)

select
    source_file,
    duplicate_copies,
    event_at,
    event_type,
    product_id,
    category_id,
    brand,
    price,
    user_id,
    user_session,
    -- Only for quarantined events (null otherwise, which costs nothing to store).
    -- The time as written when it could not be read, else the UTC time read from it.
    case when len(quarantine_reason_list) > 0 then coalesce(event_time_raw, cast(event_at as varchar)) end
        as event_time_raw,
    case when len(quarantine_reason_list) > 0 then array_to_string(quarantine_reason_list, ',') end
        as quarantine_reasons,
    len(quarantine_reason_list) > 0 as is_quarantined

from checked
