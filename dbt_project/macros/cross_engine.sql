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

{#- Spark (dbt-spark) implementations of the macros above. -#}

{% macro spark__median(expression) -%}
  percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__ordered_string_agg(value, order_by, separator) -%}
  {#- Null when there is no value, as string_agg is (array_join of nothing is ''). -#}
  case when count({{ value }}) > 0 then
  array_join(transform(array_sort(collect_list(struct({{ order_by }} as sort_key, {{ value }} as value))),
      item -> item.value), '{{ separator }}')
  end
{%- endmacro %}

{% macro spark__format_one_decimal(expression) -%}
  format_string('%.1f', cast({{ expression }} as double))
{%- endmacro %}

{% macro spark__array_of(expressions) -%}
  array({{ expressions | join(', ') }})
{%- endmacro %}

{% macro spark__format_number(expression, decimals) -%}
  format_string('%.{{ decimals }}f', cast({{ expression }} as double))
{%- endmacro %}

{% macro spark__seconds_between(start, finish) -%}
  timestampdiff(second, cast({{ start }} as timestamp), cast({{ finish }} as timestamp))
{%- endmacro %}

{#- Whole days from one date (or timestamp) to another. -#}
{% macro days_between(start, finish) -%}
  {{ return(adapter.dispatch('days_between', 'smartcart')(start, finish)) }}
{%- endmacro %}

{% macro default__days_between(start, finish) -%}
  date_diff('day', {{ start }}, {{ finish }})
{%- endmacro %}

{% macro spark__days_between(start, finish) -%}
  cast(datediff(cast({{ finish }} as date), cast({{ start }} as date)) as bigint)
{%- endmacro %}

{#- The number of distinct non-null values of an expression in a group. Spark computes several
    count(distinct) of one aggregate by copying every row once per counted expression (Expand) and shuffling
    the copies; one set of values per group (collect_set, which skips nulls as count(distinct) does) is cheaper
    there: the one-more-day user totals' query took 6.2-7.3 s against 10.0-10.5 s at 10M events
    (docs/performance.md, "The Spark user totals"). -#}
{% macro count_distinct(expression) -%}
  {{ return(adapter.dispatch('count_distinct', 'smartcart')(expression)) }}
{%- endmacro %}

{% macro default__count_distinct(expression) -%}
  count(distinct {{ expression }})
{%- endmacro %}

{% macro spark__count_distinct(expression) -%}
  cast(size(collect_set({{ expression }})) as bigint)
{%- endmacro %}

{#- The given items (SQL expressions, one per line of the call block, comma-separated) as an array without
    its nulls: reason codes built from `case when <rule> then '<code>' end`. Used as
    {% raw %}{% call non_null_array() %} case ..., case ... {% endcall %}{% endraw %}. -#}
{% macro non_null_array() -%}
  {{ return(adapter.dispatch('non_null_array', 'smartcart')(caller())) }}
{%- endmacro %}

{% macro default__non_null_array(items) -%}
  list_filter([{{ items }}], lambda item: item is not null)
{%- endmacro %}

{% macro spark__non_null_array(items) -%}
  filter(array({{ items }}), item -> item is not null)
{%- endmacro %}

{#- Number of elements of an array (list). -#}
{% macro array_length(array) -%}
  {{ return(adapter.dispatch('array_length', 'smartcart')(array)) }}
{%- endmacro %}

{% macro default__array_length(array) -%}
  len({{ array }})
{%- endmacro %}

{% macro spark__array_length(array) -%}
  cast(size({{ array }}) as bigint)
{%- endmacro %}

{#- The elements of an array joined into one string. -#}
{% macro join_array(array, separator) -%}
  {{ return(adapter.dispatch('join_array', 'smartcart')(array, separator)) }}
{%- endmacro %}

{% macro default__join_array(array, separator) -%}
  array_to_string({{ array }}, '{{ separator }}')
{%- endmacro %}

{% macro spark__join_array(array, separator) -%}
  array_join({{ array }}, '{{ separator }}')
{%- endmacro %}

{#- Continuous and discrete quantiles (aggregates). -#}
{% macro quantile_cont(expression, fraction) -%}
  {{ return(adapter.dispatch('quantile_cont', 'smartcart')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile_cont(expression, fraction) -%}
  quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_cont(expression, fraction) -%}
  percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{#- Text parsed as a timestamp with a strptime format (%Y-%m-%d ...): null when it does not parse (try_) or
    an error (parse_timestamp). Spark takes Java datetime patterns, translated from the strptime format, so
    the sources declare one format for both engines. -#}
{% macro try_parse_timestamp(text, strptime_format) -%}
  {{ return(adapter.dispatch('try_parse_timestamp', 'smartcart')(text, strptime_format)) }}
{%- endmacro %}

{% macro default__try_parse_timestamp(text, strptime_format) -%}
  try_strptime({{ text }}, {{ sql_string(strptime_format) }})
{%- endmacro %}

{% macro spark__try_parse_timestamp(text, strptime_format) -%}
  try_to_timestamp({{ text }}, {{ sql_string(java_datetime_pattern(strptime_format)) }})
{%- endmacro %}

{% macro parse_timestamp(text, strptime_format) -%}
  {{ return(adapter.dispatch('parse_timestamp', 'smartcart')(text, strptime_format)) }}
{%- endmacro %}

{% macro default__parse_timestamp(text, strptime_format) -%}
  strptime({{ text }}, {{ sql_string(strptime_format) }})
{%- endmacro %}

{% macro spark__parse_timestamp(text, strptime_format) -%}
  {#- Spark without ANSI mode gives null for a value that does not parse; the input gate has already
      stopped the build for any such value, as strptime's error does on DuckDB. -#}
  to_timestamp({{ text }}, {{ sql_string(java_datetime_pattern(strptime_format)) }})
{%- endmacro %}

{#- The Java (Spark) datetime pattern of a strptime format. To parse (padded false): single letters, %m
    (one or two digits) and %d as Spark's M and d, which accept both, as strptime does. To format (padded
    true): two letters, which write two digits as strftime does; a single letter writes 3 for 03, so that
    01:23:00 and 12:03:00 would both be written 1230. -#}
{% macro java_datetime_pattern(strptime_format, padded=false) -%}
  {%- set codes = {'%Y': 'yyyy', '%y': 'yy', '%m': 'M', '%d': 'd', '%H': 'H', '%M': 'm', '%S': 's',
      '%b': 'MMM', '%B': 'MMMM', '%p': 'a', '%I': 'h', '%f': 'SSSSSS'} -%}
  {%- if padded -%}
    {%- do codes.update({'%m': 'MM', '%d': 'dd', '%H': 'HH', '%M': 'mm', '%S': 'ss', '%I': 'hh'}) -%}
  {%- endif -%}
  {%- set pattern = namespace(text='') -%}
  {%- set parts = strptime_format.split('%') -%}
  {%- for part in parts -%}
    {%- if loop.first -%}
      {%- set pattern.text = pattern.text ~ java_literal(part) -%}
    {%- elif ('%' ~ part[:1]) in codes -%}
      {%- set pattern.text = pattern.text ~ codes['%' ~ part[:1]] ~ java_literal(part[1:]) -%}
    {%- else -%}
      {{ exceptions.raise_compiler_error("The date format '" ~ strptime_format ~ "' uses %" ~ part[:1]
          ~ ", which has no Spark equivalent here (macro java_datetime_pattern).") }}
    {%- endif -%}
  {%- endfor -%}
  {{- pattern.text -}}
{%- endmacro %}

{#- Literal text of a Java datetime pattern: letters quoted, the rest as is. -#}
{% macro java_literal(text) -%}
  {%- if text and modules.re.search('[A-Za-z]', text) -%}'{{ text | replace("'", "''") }}'{%- else -%}{{ text }}{%- endif -%}
{%- endmacro %}

{#- Up to three distinct values of a column among the rows matching a condition, quoted and joined: the
    examples of an error message (an aggregate). -#}
{% macro example_values(column, condition) -%}
  {{ return(adapter.dispatch('example_values', 'smartcart')(column, condition)) }}
{%- endmacro %}

{% macro default__example_values(column, condition) -%}
  array_to_string(list_transform(list_slice(list(distinct {{ column }} order by {{ column }})
      filter (where {{ condition }}), 1, 3), lambda value: '''' || value || ''''), ', ')
{%- endmacro %}

{% macro spark__example_values(column, condition) -%}
  array_join(transform(slice(array_sort(collect_set({{ column }}) filter (where {{ condition }})), 1, 3),
      value -> concat('''', value, '''')), ', ')
{%- endmacro %}

{#- Up to three values of an expression, in order, joined with a separator (an aggregate). -#}
{% macro first_values_text(expression, separator) -%}
  {{ return(adapter.dispatch('first_values_text', 'smartcart')(expression, separator)) }}
{%- endmacro %}

{% macro default__first_values_text(expression, separator) -%}
  array_to_string(list_slice(list({{ expression }} order by {{ expression }}), 1, 3), '{{ separator }}')
{%- endmacro %}

{% macro spark__first_values_text(expression, separator) -%}
  array_join(slice(array_sort(collect_list({{ expression }})), 1, 3), '{{ separator }}')
{%- endmacro %}

{#- A discrete quantile of dates (an aggregate): Spark's percentile_disc takes numbers only, so it ranks the
    dates as days since 1970. -#}
{% macro quantile_disc_date(expression, fraction) -%}
  {{ return(adapter.dispatch('quantile_disc_date', 'smartcart')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile_disc_date(expression, fraction) -%}
  quantile_disc({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_disc_date(expression, fraction) -%}
  date_add(date'1970-01-01', cast(percentile_disc({{ fraction }}) within group (
      order by datediff(cast({{ expression }} as date), date'1970-01-01')) as int))
{%- endmacro %}

{#- The line of the file each row of a raw file comes from, 1 for the first data line (a window function
    over the scan of the file). DuckDB keeps the file's row order (preserve_insertion_order); Spark reads a
    file in splits that monotonically_increasing_id numbers in file order. -#}
{% macro file_line_number() -%}
  {{ return(adapter.dispatch('file_line_number', 'smartcart')()) }}
{%- endmacro %}

{% macro default__file_line_number() -%}
  row_number() over ()
{%- endmacro %}

{% macro spark__file_line_number() -%}
  cast(row_number() over (order by monotonically_increasing_id()) as bigint)
{%- endmacro %}

{#- True when a regular expression matches somewhere in / all of a text. -#}
{% macro regex_search(text, pattern) -%}
  {{ return(adapter.dispatch('regex_search', 'smartcart')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_search(text, pattern) -%}
  regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_search(text, pattern) -%}
  ({{ text }} rlike {{ pattern }})
{%- endmacro %}

{% macro regex_full_match(text, pattern) -%}
  {{ return(adapter.dispatch('regex_full_match', 'smartcart')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text, pattern) -%}
  regexp_full_match({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_full_match(text, pattern) -%}
  ({{ text }} rlike concat('^(?:', {{ pattern }}, ')$'))
{%- endmacro %}

{#- One 64-bit hash of several expressions (to partition or compare rows by many columns at once). -#}
{% macro row_hash(expressions) -%}
  {{ return(adapter.dispatch('row_hash', 'smartcart')(expressions)) }}
{%- endmacro %}

{% macro default__row_hash(expressions) -%}
  hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro spark__row_hash(expressions) -%}
  xxhash64({{ expressions | join(', ') }})
{%- endmacro %}

{#- Every column but the named ones (of a relation alias when given): `* exclude (..)` on DuckDB,
    `* except (..)` on Spark. -#}
{% macro star_except(columns, alias=none) -%}
  {{ return(adapter.dispatch('star_except', 'smartcart')(columns, alias)) }}
{%- endmacro %}

{% macro default__star_except(columns, alias) -%}
  {{ alias ~ '.' if alias }}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns, alias) -%}
  {{ alias ~ '.' if alias }}* except ({{ columns | join(', ') }})
{%- endmacro %}

{#- A text split on a (literal) separator into an array. -#}
{% macro split_text(text, separator) -%}
  {{ return(adapter.dispatch('split_text', 'smartcart')(text, separator)) }}
{%- endmacro %}

{% macro default__split_text(text, separator) -%}
  string_split({{ text }}, {{ sql_string(separator) }})
{%- endmacro %}

{% macro spark__split_text(text, separator) -%}
  {#- Spark's split takes a regular expression: the separator is quoted as a literal. -#}
  split({{ text }}, {{ sql_string('\\Q' ~ separator ~ '\\E') }})
{%- endmacro %}

{#- ISO day of the week of a date or timestamp: 1 (Monday) to 7 (Sunday). -#}
{% macro iso_day_of_week(value) -%}
  {{ return(adapter.dispatch('iso_day_of_week', 'smartcart')(value)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(value) -%}
  isodow({{ value }})
{%- endmacro %}

{% macro spark__iso_day_of_week(value) -%}
  extract(dayofweek_iso from {{ value }})
{%- endmacro %}

{#- A timestamp as text in a strptime format (translated to a Java pattern on Spark). -#}
{% macro format_timestamp(value, strptime_format) -%}
  {{ return(adapter.dispatch('format_timestamp', 'smartcart')(value, strptime_format)) }}
{%- endmacro %}

{% macro default__format_timestamp(value, strptime_format) -%}
  strftime({{ value }}, {{ sql_string(strptime_format) }})
{%- endmacro %}

{% macro spark__format_timestamp(value, strptime_format) -%}
  date_format({{ value }}, {{ sql_string(java_datetime_pattern(strptime_format, padded=true)) }})
{%- endmacro %}

{#- One row per element of an array, in a select list (a set-returning function). -#}
{% macro unnest_array(array) -%}
  {{ return(adapter.dispatch('unnest_array', 'smartcart')(array)) }}
{%- endmacro %}

{% macro default__unnest_array(array) -%}
  unnest({{ array }})
{%- endmacro %}

{% macro spark__unnest_array(array) -%}
  explode({{ array }})
{%- endmacro %}

{#- An array without its null elements. -#}
{% macro drop_nulls(array) -%}
  {{ return(adapter.dispatch('drop_nulls', 'smartcart')(array)) }}
{%- endmacro %}

{% macro default__drop_nulls(array) -%}
  list_filter({{ array }}, lambda item: item is not null)
{%- endmacro %}

{% macro spark__drop_nulls(array) -%}
  filter({{ array }}, item -> item is not null)
{%- endmacro %}

{#- How many elements of an array are below a value. -#}
{% macro count_elements_below(array, value) -%}
  {{ return(adapter.dispatch('count_elements_below', 'smartcart')(array, value)) }}
{%- endmacro %}

{% macro default__count_elements_below(array, value) -%}
  len(list_filter({{ array }}, lambda element: element < {{ value }}))
{%- endmacro %}

{% macro spark__count_elements_below(array, value) -%}
  cast(size(filter({{ array }}, element -> element < {{ value }})) as bigint)
{%- endmacro %}

{#- The values of a group as an array, in the order of a key (an aggregate). -#}
{% macro ordered_array_agg(value, order_by) -%}
  {{ return(adapter.dispatch('ordered_array_agg', 'smartcart')(value, order_by)) }}
{%- endmacro %}

{% macro default__ordered_array_agg(value, order_by) -%}
  list({{ value }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_array_agg(value, order_by) -%}
  transform(array_sort(collect_list(struct({{ order_by }} as sort_key, {{ value }} as value))), item -> item.value)
{%- endmacro %}

{#- One row per whole number from start up to, not including, stop (none when stop <= start), in a select
    list (a set-returning function). -#}
{% macro integer_series(start, stop) -%}
  {{ return(adapter.dispatch('integer_series', 'smartcart')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_series(start, stop) -%}
  unnest(range(cast({{ start }} as bigint), cast({{ stop }} as bigint)))
{%- endmacro %}

{% macro spark__integer_series(start, stop) -%}
  {#- sequence() includes its end and counts down when the end is below the start: cut to the length. -#}
  explode(slice(sequence(cast({{ start }} as bigint), greatest(cast({{ start }} as bigint), cast({{ stop }} as bigint) - 1)),
      1, cast(greatest(cast({{ stop }} as bigint) - cast({{ start }} as bigint), 0) as int)))
{%- endmacro %}

{#- One row per day from start to end, both included (dates), in a select list. -#}
{% macro day_series(start, finish) -%}
  {{ return(adapter.dispatch('day_series', 'smartcart')(start, finish)) }}
{%- endmacro %}

{% macro default__day_series(start, finish) -%}
  unnest(range({{ start }}, {{ finish }} + interval 1 day, interval 1 day))
{%- endmacro %}

{% macro spark__day_series(start, finish) -%}
  explode(sequence({{ start }}, {{ finish }}, interval 1 day))
{%- endmacro %}

{#- Whole calendar months from one month to another (month boundaries crossed). -#}
{% macro months_between(start, finish) -%}
  ((year({{ finish }}) * 12 + month({{ finish }})) - (year({{ start }}) * 12 + month({{ start }})))
{%- endmacro %}

{#- log |Gamma(x)|, for x > 0 and for x in (-1, 0) (the value models' hypergeometric series need both). -#}
{% macro log_abs_gamma(x) -%}
  {{ return(adapter.dispatch('log_abs_gamma', 'smartcart')(x)) }}
{%- endmacro %}

{% macro default__log_abs_gamma(x) -%}
  lgamma({{ x }})
{%- endmacro %}

{% macro spark__log_abs_gamma(x) -%}
  {#- Spark SQL has no lgamma: Apache Commons Math's logGamma, which Spark ships, through reflect (text to
      double is exact: Java writes the shortest text that reads back as the same double). It is defined
      for x > 0; below, Gamma(x) = Gamma(x + 1) / x. -#}
  case
    when {{ x }} > 0
      then cast(reflect('org.apache.commons.math3.special.Gamma', 'logGamma', cast({{ x }} as double)) as double)
    else cast(reflect('org.apache.commons.math3.special.Gamma', 'logGamma', cast({{ x }} + 1 as double)) as double)
      - ln(abs({{ x }}))
  end
{%- endmacro %}

{#- Delete the rows of a table that match a condition, now (run_query; returns nothing). -#}
{% macro delete_rows(relation, condition) -%}
  {{ return(adapter.dispatch('delete_rows', 'smartcart')(relation, condition)) }}
{%- endmacro %}

{% macro default__delete_rows(relation, condition) -%}
  {% do run_query('delete from ' ~ relation ~ ' where ' ~ condition) %}
{%- endmacro %}

{% macro spark__delete_rows(relation, condition) -%}
  {#- Parquet tables take no DELETE (Delta would): the kept rows are written aside and back. -#}
  {% do rewrite_rows(relation, 'select * from ' ~ relation ~ ' where not coalesce(' ~ condition ~ ', false)') %}
{%- endmacro %}

{#- Set one column to a value (a SQL expression) in the rows that match a condition, now. -#}
{% macro update_rows(relation, column, value, condition) -%}
  {{ return(adapter.dispatch('update_rows', 'smartcart')(relation, column, value, condition)) }}
{%- endmacro %}

{% macro default__update_rows(relation, column, value, condition) -%}
  {% do run_query('update ' ~ relation ~ ' set ' ~ column ~ ' = ' ~ value ~ ' where ' ~ condition) %}
{%- endmacro %}

{% macro spark__update_rows(relation, column, value, condition) -%}
  {% set names = [] %}
  {% for existing in adapter.get_columns_in_relation(relation) %}
    {% if existing.name | lower == column | lower %}
      {% do names.append('case when coalesce(' ~ condition ~ ', false) then ' ~ value ~ ' else ' ~ existing.name ~ ' end as ' ~ existing.name) %}
    {% else %}
      {% do names.append(existing.name) %}
    {% endif %}
  {% endfor %}
  {% do rewrite_rows(relation, 'select ' ~ names | join(', ') ~ ' from ' ~ relation) %}
{%- endmacro %}

{#- Spark: replace a Parquet table's rows with a query over the table itself. Spark will not overwrite a
    table while reading it, so the rows go to a scratch table first. -#}
{% macro rewrite_rows(relation, query) -%}
  {% set scratch = relation.incorporate(path={'identifier': relation.identifier ~ '__rewrite'}) %}
  {% do run_query('drop table if exists ' ~ scratch) %}
  {% do run_query('create table ' ~ scratch ~ ' using parquet as ' ~ query) %}
  {% do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ scratch) %}
  {% do run_query('drop table ' ~ scratch) %}
{%- endmacro %}
