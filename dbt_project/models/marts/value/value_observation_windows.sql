{#-
  Per source of purchases: the observed span and the dates that split it. observation_end_date is the
  as-of date of the source's features (var as_of_date, else the day after its last invoice or event), so
  the value models and the segments describe the same moment. calibration_end_date (exclusive) is var
  clv_calibration_end, or by default two thirds of the way from the first purchase to the end: the value
  models are checked by fitting on the days before it and predicting the days from it (clv_validation).
-#}

with

spans as (

    select
        segmentation_name,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date
    from {{ ref('value_purchase_days') }}
    group by segmentation_name

),

observation_ends as (

    select
        'invoices' as segmentation_name,
        {{ as_of_date(ref('invoice_lines'), 'invoice_date') }} as observation_end_date
    union all
    select
        'clickstream' as segmentation_name,
        {% if var('as_of_date', none) -%}
        cast({{ sql_string(var('as_of_date')) }} as date)
        {%- else -%}
        (select max(event_date) + 1 from {{ ref('int_clickstream_session_days') }})
        {%- endif %} as observation_end_date

),

windows as (

    select
        spans.segmentation_name,
        spans.first_purchase_date,
        spans.last_purchase_date,
        observation_ends.observation_end_date,
        {% if var('clv_calibration_end', none) -%}
        cast({{ sql_string(var('clv_calibration_end')) }} as date)
        {%- else -%}
        spans.first_purchase_date
        + cast(
            floor(
                {{ days_between('spans.first_purchase_date', 'observation_ends.observation_end_date') }} * 2 / 3
            ) as integer
        )
        {%- endif %} as calibration_end_date
    from spans
    inner join observation_ends using (segmentation_name)

)

select
    *,
    {{ days_between('first_purchase_date', 'observation_end_date') }} as observed_days,
    {{ days_between('calibration_end_date', 'observation_end_date') }} as holdout_days,
    {%- set split = 'var clv_calibration_end' if var('clv_calibration_end', none)
        else 'default: two thirds of the span' %}
    {{ sql_string(split) }} as calibration_split
from windows
