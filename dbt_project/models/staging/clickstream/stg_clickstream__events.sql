{#-
  Clickstream events typed and checked: one row per distinct landed event. Timestamps become UTC (the
  export writes '2019-10-01 00:00:00 UTC'); an empty category_code, brand or user_session becomes null;
  event_type must be one of the four known types, user_id present, price a non-negative number, or the
  event goes to quarantine with reasons. Exact duplicate events (all nine fields equal, in any file or
  load) are collapsed into one row whose duplicate_copies counts the copies removed; every landed row is
  accounted for as 1 + duplicate_copies.

  Landing (raw_clickstream_events) is the incremental step that reads each file once. This table is
  rebuilt from all landed events on every build (per-user features need every user's history anyway, and
  it makes duplicates across files exact); it keeps only the columns later models use, so writing it stays
  cheap (docs/performance.md). The raw text of a quarantined event stays in the landing table.
-#}
{{ config(materialized='table') }}

with

raw as (

    select
        event_time, event_type, product_id, category_id, category_code, brand, price, user_id, user_session,
        -- The first file (by name) an event appeared in names it.
        min(source_file) as source_file,
        min(source_row) as source_row,
        count(*) - 1 as duplicate_copies

    from {{ ref('raw_clickstream_events') }}
    group by event_time, event_type, product_id, category_id, category_code, brand, price, user_id,
        user_session

),

typed as (

    select
        source_file,
        source_row,
        duplicate_copies,
        try_strptime(replace(trim(event_time), ' UTC', ''), '%Y-%m-%d %H:%M:%S') as event_at,
        lower(nullif(trim(event_type), '')) as event_type,
        try_cast(nullif(trim(product_id), '') as bigint) as product_id,
        try_cast(nullif(trim(category_id), '') as hugeint) as category_id,
        nullif(trim(category_code), '') as category_code,
        nullif(trim(brand), '') as brand,
        try_cast(nullif(trim(price), '') as double) as price,
        try_cast(nullif(trim(user_id), '') as bigint) as user_id,
        nullif(trim(user_session), '') as user_session,
        event_time as event_time_raw,
        price as price_raw

    from raw

),

checked as (

    select
        *,
        list_filter([
            case when event_at is null then 'unparseable_event_time' end,
            case when event_type is null or event_type not in ('view', 'cart', 'remove_from_cart', 'purchase')
                then 'unknown_event_type' end,
            case when user_id is null then 'missing_user_id' end,
            case when price is null and nullif(trim(price_raw), '') is not null then 'unparseable_price' end,
            case when price < 0 then 'negative_price' end
        ], lambda reason: reason is not null) as quarantine_reason_list

    from typed

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
    case when len(quarantine_reason_list) > 0 then event_time_raw end as event_time_raw,
    case when len(quarantine_reason_list) > 0 then array_to_string(quarantine_reason_list, ',') end
        as quarantine_reasons,
    len(quarantine_reason_list) > 0 as is_quarantined

from checked
