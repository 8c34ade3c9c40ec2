{#
  SQL that differs between DuckDB and Spark, one macro each (adapter.dispatch): models call these instead
  of keeping a copy per engine. The default__ implementations are DuckDB's.
#}

{% macro median(expression) -%}
  {{ return(adapter.dispatch('median', 'smartcart')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
  median({{ expression }})
{%- endmacro %}

{% macro ordered_string_agg(value, order_by, separator) -%}
  {{ return(adapter.dispatch('ordered_string_agg', 'smartcart')(value, order_by, separator)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(value, order_by, separator) -%}
  string_agg({{ value }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}

{% macro format_one_decimal(expression) -%}
  {{ return(adapter.dispatch('format_one_decimal', 'smartcart')(expression)) }}
{%- endmacro %}

{% macro default__format_one_decimal(expression) -%}
  printf('%.1f', {{ expression }})
{%- endmacro %}

{#- An array (DuckDB list) of the given expressions, in order. -#}
{% macro array_of(expressions) -%}
  {{ return(adapter.dispatch('array_of', 'smartcart')(expressions)) }}
{%- endmacro %}

{% macro default__array_of(expressions) -%}
  list_value({{ expressions | join(', ') }})
{%- endmacro %}

{#- A number as text with a fixed number of decimals (for sentences such as refit reasons). -#}
{% macro format_number(expression, decimals) -%}
  {{ return(adapter.dispatch('format_number', 'smartcart')(expression, decimals)) }}
{%- endmacro %}

{% macro default__format_number(expression, decimals) -%}
  printf('%.{{ decimals }}f', {{ expression }})
{%- endmacro %}

{#- Seconds from one timestamp (or date) to another, as a number. -#}
{% macro seconds_between(start, finish) -%}
  {{ return(adapter.dispatch('seconds_between', 'smartcart')(start, finish)) }}
{%- endmacro %}

{% macro default__seconds_between(start, finish) -%}
  date_diff('second', cast({{ start }} as timestamp), cast({{ finish }} as timestamp))
{%- endmacro %}
