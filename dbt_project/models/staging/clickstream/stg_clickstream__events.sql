{#-
  Clickstream events typed and checked, incremental: only the rows of loads not staged before are read.
  Timestamps become UTC (the export writes '2019-10-01 00:00:00 UTC'); an empty category_code or brand
  stays null here and reads 'unknown' in features; event_type must be one of the four known types and price
  must be a non-negative number, or the row goes to quarantine with reasons. Exact duplicate events (all nine
  fields equal, within the new batch or with an event staged before) are flagged, counted and not used.
-#}
{{ config(materialized='incremental', incremental_strategy='append') }}

with

raw as (

    select * from {{ ref('raw_clickstream_events') }}
    {% if is_incremental() %}
    where load_id not in (select distinct load_id from {{ this }})
    {% endif %}

),

typed as (

    select
        source_file,
        source_row,
        load_id,
        -- One hash of the nine raw fields identifies an event for duplicate detection.
        hash(event_time, event_type, product_id, category_id, category_code, brand, price, user_id,
            user_session) as event_hash,
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
            case when price is null and price_raw is not null and trim(price_raw) <> '' then 'unparseable_price' end,
            case when price < 0 then 'negative_price' end
        ], lambda reason: reason is not null) as quarantine_reason_list,
        row_number() over (partition by event_hash order by source_file, source_row, event_at) as occurrence

    from typed

),

final as (

    select
        checked.source_file,
        checked.source_row,
        checked.load_id,
        checked.event_hash,
        checked.event_at,
        checked.event_type,
        checked.product_id,
        checked.category_id,
        checked.category_code,
        checked.brand,
        checked.price,
        checked.user_id,
        checked.user_session,
        checked.event_time_raw,
        array_to_string(checked.quarantine_reason_list, ',') as quarantine_reasons,
        len(checked.quarantine_reason_list) > 0 as is_quarantined,
        len(checked.quarantine_reason_list) = 0 and (
            checked.occurrence > 1
            {% if is_incremental() %}
            or checked.event_hash in (select event_hash from {{ this }} where not is_quarantined)
            {% endif %}
        ) as is_duplicate

    from checked

)

select * from final
