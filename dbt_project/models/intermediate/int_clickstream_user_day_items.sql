{#-
  The distinct products (with their category and brand) each user touched on each event day, from the
  usable events. Distinct counts do not add up across days, so the user features count distinct values over
  these rows: exact, and far fewer rows than events. Incremental by day like int_clickstream_session_days.
-#}
{{ config(
    materialized=clickstream_partial_materialization(), incremental_strategy='delete+insert', unique_key='event_date'
) }}

{%- set days = clickstream_days_to_update() %}

with

landed_days as (

    {{ clickstream_landed_days(days) }}

),

items as (

    select distinct
        cast(event_at as date) as event_date,
        user_id,
        product_id,
        category_id,
        brand
    from {{ ref('raw_clickstream_events') }}
    where {{ clickstream_day_filter(days) }} and {{ clickstream_event_is_usable() }}

)

select
    items.*,
    landed_days.day_landed_events,
    -- When the day was (re)built: int_clickstream_user_totals updates the users of rows newer than its last build.
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as built_at
from items
inner join landed_days
    on items.event_date = landed_days.event_date
