{#
  The reference date of every time-based feature. The dbt var as_of_date wins; by default it is the day
  after the last enrollment in the export, so the same file always gives the same ages and tenures.
  Never current_date: a rebuild tomorrow must give today's answer.
  Enrollment dates more than a year after the 99th percentile of all enrollment dates (a typo such as 2099)
  do not count for the default: they would move every age and tenure; instead they are quarantined as
  enrolled after the as-of date. ml/quality/inputs.py::default_as_of_date applies the same rule.
#}
{% macro as_of_date(staging_relation, date_column) -%}
  {%- if var('as_of_date', none) -%}
    cast({{ sql_string(var('as_of_date')) }} as date)
  {%- else -%}
    (
        select cast(max({{ date_column }}) + interval 1 day as date)
        from {{ staging_relation }}
        where {{ date_column }} <= (
            select {{ quantile_disc_date(date_column, 0.99) }} + interval 366 day from {{ staging_relation }}
        )
    )
  {%- endif -%}
{%- endmacro %}
