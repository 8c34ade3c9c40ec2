{#
  The reference date of every time-based feature. The dbt var as_of_date wins; by default it is the day
  after the last enrollment in the export, so the same file always gives the same ages and tenures.
  Never current_date: a rebuild tomorrow must give today's answer.
#}
{% macro as_of_date(staging_relation, date_column) -%}
  {%- if var('as_of_date', none) -%}
    cast({{ sql_string(var('as_of_date')) }} as date)
  {%- else -%}
    (select cast(max({{ date_column }}) + interval 1 day as date) from {{ staging_relation }})
  {%- endif -%}
{%- endmacro %}
