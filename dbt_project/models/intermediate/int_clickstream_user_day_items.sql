{#-
  The distinct products (with their category and brand) each user touched on each event day, from the
  usable events. Distinct counts do not add up across days, so the user features count distinct values over
  these rows: exact, and far fewer rows than events. Incremental by day like int_clickstream_session_days.

  first_built_at is the build that first saw the row; a rebuilt day keeps it for the rows it had. Landing
  only appends, so a day's items only grow, and int_clickstream_user_totals adds to a user's distinct counts
  the values of rows newer than its last build that the user's older rows lack, instead of counting every
  row of the user again.
-#}
-- depends_on: {{ ref('int_clickstream_landed_days') }}
{{ config(on_schema_change='append_new_columns', **clickstream_partial_config('event_date')) }}
{%- do clickstream_check_spark_partitions() %}

{#- All days on a table built before it had first_built_at (the column is then added). -#}
{%- set days = clickstream_days_to_update(['first_built_at']) %}

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

){%- if days is not none %},

-- The rows the rebuilt days had: their first_built_at is kept.
earlier as (

    select
        event_date,
        user_id,
        product_id,
        category_id,
        brand,
        first_built_at
    from {{ this }}
    where {{ clickstream_day_filter(days, 'event_date') }}

)
{%- endif %}

select
    items.*,
    landed_days.day_landed_events,
    {%- if days is not none %}
    coalesce(earlier.first_built_at, {{ clickstream_build_time() }}) as first_built_at,
    {%- else %}
    {{ clickstream_build_time() }} as first_built_at,
    {%- endif %}
    -- When the day was (re)built: int_clickstream_user_totals updates the users of rows newer than its last build.
    {{ clickstream_build_time() }} as built_at
from items
inner join landed_days
    on items.event_date = landed_days.event_date
{%- if days is not none %}
left join earlier
    on items.event_date = earlier.event_date
        and items.user_id = earlier.user_id
        and items.product_id is not distinct from earlier.product_id
        and items.category_id is not distinct from earlier.category_id
        and items.brand is not distinct from earlier.brand
{%- endif %}
