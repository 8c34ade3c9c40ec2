{#-
  Sums and means of doubles that do not depend on row order. A sum of doubles rounds after every addition,
  so its last bits depend on the order the rows arrive in, which DuckDB's parallel scans, joins and
  aggregates do not fix: two builds of the same data would differ in the 15th digit. Summed as decimals
  (128-bit integers underneath), the addition is exact and the order does not matter; each value is first
  rounded to 12 decimal places, far below what any profile or figure shows. Values must stay below 1e26.
-#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 12))) as double)
{%- endmacro %}

{% macro exact_avg(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 12))) as double)
{%- endmacro %}

{#- Population standard deviation from exact means of x and x squared (order-free, as exact_avg). -#}
{% macro exact_stddev_pop(expression) -%}
    sqrt(greatest(
        {{ exact_avg('(' ~ expression ~ ') * (' ~ expression ~ ')') }} - pow({{ exact_avg(expression) }}, 2), 0
    ))
{%- endmacro %}
