{#
  The input gate: checks a raw file declared as a dbt source before anything is built on it, and stops the
  build with a message that names the file, the column, how many values fail and examples of them.
  The declared column types (`data_type`) and formats (`meta.format`) of the source are the contract; the
  staging cast (macro cast_from_source) applies the same declarations, so the two cannot drift apart.
  Blocking checks (the file as a whole cannot be trusted): no data rows, required column missing (with a
  hint when the delimiter looks wrong), values that do not parse as the declared type, duplicate keys.
#}

{% macro source_node(source_name, table_name) %}
  {% for node in graph.sources.values() %}
    {% if node.source_name == source_name and node.name == table_name %}
      {{ return(node) }}
    {% endif %}
  {% endfor %}
  {{ exceptions.raise_compiler_error("No source " ~ source_name ~ "." ~ table_name ~ " is declared.") }}
{% endmacro %}

{% macro source_meta(node) %}
  {# dbt 1.10+ keeps source meta under config; older manifests keep it at the top level. #}
  {% set meta = node.config.get('meta', {}) if node.config is mapping else {} %}
  {{ return(meta if meta else node.meta) }}
{% endmacro %}

{#- A value as an SQL string literal. Spark reads backslash escapes in literals and joins adjacent literals
    (so a doubled quote would silently vanish): there both are escaped with a backslash. -#}
{% macro sql_string(value) -%}
  {{ return(adapter.dispatch('sql_string', 'smartcart')(value)) }}
{%- endmacro %}

{% macro default__sql_string(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__sql_string(value) -%}
  '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#
  The raw text of a column as both the gate and the staging cast see it: trimmed, '' as null, and for
  columns declared meta.strip_decimal_zero a trailing '.0' removed (exports that wrote ids as 17850.0).
#}
{% macro raw_text(column_name, column) -%}
  {%- set raw = 'nullif(trim(' ~ adapter.quote(column_name) ~ "), '')" -%}
  {%- if column.meta.get('strip_decimal_zero', false) -%}
    {%- set raw = "regexp_replace(" ~ raw ~ ", '[.]0+$', '')" -%}
  {%- endif -%}
  {{- raw -}}
{%- endmacro %}

{#
  The strptime format of a date or timestamp column: meta.format when fixed; else the var named by
  meta.format_var, where 'auto' takes the first of meta.formats under which every non-empty value of the
  first 100,000 rows parses (or, when none does, the one with the fewest failures, so the gate reports the
  failing values against the most plausible format). ml/quality/contract.py::resolve_format is the same rule.
#}
{% macro column_format(source_name, table_name, column_name) %}
  {% set node = source_node(source_name, table_name) %}
  {% set column = node.columns[column_name] %}
  {% if column.meta.get('format') %}{{ return(column.meta.format) }}{% endif %}
  {% set chosen = var(column.meta.format_var, 'auto') if column.meta.get('format_var') else 'auto' %}
  {% if chosen != 'auto' %}{{ return(chosen) }}{% endif %}
  {% set candidates = column.meta.get('formats', []) %}
  {% if not execute or not candidates %}{{ return(candidates[0] if candidates else '%Y-%m-%d') }}{% endif %}
  {% set raw = 'nullif(trim(' ~ adapter.quote(column_name) ~ "), '')" %}
  {% set detection %}
    select
    {% for candidate in candidates %}
      count(*) filter (where {{ raw }} is not null and {{ try_parse_timestamp(raw, candidate) }} is null)
      {%- if not loop.last %},{% endif %}
    {% endfor %}
    from (select * from {{ source(source_name, table_name) }} limit 100000)
  {% endset %}
  {% set failures = run_query(detection).rows[0] %}
  {% set best = namespace(index=0) %}
  {% for candidate in candidates %}
    {% if failures[loop.index0] < failures[best.index] %}{% set best.index = loop.index0 %}{% endif %}
  {% endfor %}
  {{ return(candidates[best.index]) }}
{% endmacro %}

{% macro cast_from_source(source_name, table_name, column_name) -%}
  {%- if not execute -%}{{ return(adapter.quote(column_name)) }}{%- endif -%}
  {%- set node = source_node(source_name, table_name) -%}
  {%- set column = node.columns[column_name] -%}
  {%- set data_type = column.data_type | lower -%}
  {%- set raw = raw_text(column_name, column) -%}
  {%- if data_type in ('date', 'timestamp') -%}
    cast({{ parse_timestamp(raw, column_format(source_name, table_name, column_name)) }} as {{ data_type }})
  {%- elif data_type == 'varchar' -%}
    {{ raw }}
  {%- else -%}
    cast({{ raw }} as {{ data_type }})
  {%- endif -%}
{%- endmacro %}

{% macro try_cast_failure_condition(column_name, column, date_format=none) -%}
  {%- set data_type = column.data_type | lower -%}
  {%- set raw = raw_text(column_name, column) -%}
  {%- if data_type in ('date', 'timestamp') -%}
    {{ raw }} is not null and {{ try_parse_timestamp(raw, date_format or column.meta.format) }} is null
  {%- else -%}
    {{ raw }} is not null and try_cast({{ raw }} as {{ data_type }}) is null
  {%- endif -%}
{%- endmacro %}

{% macro assert_source_file_is_valid(source_name, table_name, key_column=none) %}
  {% if not execute %}{{ return('') }}{% endif %}
  {% set node = source_node(source_name, table_name) %}
  {% set meta = source_meta(node) %}
  {% set file_path = var(meta.get('file_var')) if meta.get('file_var') else node.identifier %}
  {% set where = "Input file '" ~ file_path ~ "' (dbt var " ~ meta.get('file_var', '?') ~ ", source "
      ~ source_name ~ "." ~ table_name ~ ")" %}
  {% set relation = source(source_name, table_name) %}

  {# 1. Header: every required column present. #}
  {% set found = run_query("select * from " ~ relation ~ " limit 0").column_names %}
  {% set found_lower = found | map('lower') | list %}
  {% set missing = [] %}
  {% for name, column in node.columns.items() %}
    {% if column.meta.get('required', false) and name | lower not in found_lower %}
      {% do missing.append(name) %}
    {% endif %}
  {% endfor %}
  {% if missing %}
    {% set hint = '' %}
    {% if found | length == 1 %}
      {% set hint = " The file has a single column named '" ~ (found[0] | truncate(80)) ~ "': it is probably not "
          ~ meta.get('delimiter_name', 'correctly') ~ "-separated." %}
    {% endif %}
    {{ exceptions.raise_compiler_error(where ~ " is missing required column(s) " ~ (missing | join(', ') | truncate(200))
        ~ ". Columns found: " ~ (found | join(', ') | truncate(300)) ~ "." ~ hint) }}
  {% endif %}

  {# 2. Rows, distinct keys, and every value parses as its declared type: one scan for all of it. #}
  {% set typed = [] %}
  {% set formats = {} %}
  {% set required_columns = [] %}
  {% for name, column in node.columns.items() %}
    {% if (column.data_type or 'varchar') | lower != 'varchar' %}{% do typed.append(name) %}{% endif %}
    {% if (column.data_type or '') | lower in ('date', 'timestamp') %}
      {% do formats.update({name: column_format(source_name, table_name, name)}) %}
    {% endif %}
    {% if column.meta.get('required', false) %}{% do required_columns.append(name) %}{% endif %}
  {% endfor %}
  {% set checks %}
    select
      count(*) as row_count,
      {% if key_column %}count(*) - count(distinct trim({{ adapter.quote(key_column) }})){% else %}0{% endif %}
          as surplus_key_rows
      {% for name in typed %}
      , count(*) filter (where {{ try_cast_failure_condition(name, node.columns[name], formats.get(name)) }})
      {% endfor %}
      {% for name in required_columns %}
      , count(nullif(trim({{ adapter.quote(name) }}), ''))
      {% endfor %}
    from {{ relation }}
  {% endset %}
  {% set row = run_query(checks).rows[0] %}
  {% if row[0] == 0 %}
    {{ exceptions.raise_compiler_error(where ~ " has a header but no data rows (or is empty).") }}
  {% endif %}
  {% set empty_columns = [] %}
  {% for name in required_columns %}
    {% if row[2 + typed | length + loop.index0] == 0 %}{% do empty_columns.append(name) %}{% endif %}
  {% endfor %}
  {% if empty_columns %}
    {{ exceptions.raise_compiler_error(where ~ ": column(s) " ~ empty_columns | join(', ')
        ~ " are empty in every row: the export lost them.") }}
  {% endif %}
  {% set failing_columns = [] %}
  {% for name in typed %}
    {% if row[2 + loop.index0] > 0 %}{% do failing_columns.append(name) %}{% endif %}
  {% endfor %}
  {% if failing_columns %}
    {# Slow path, only for a bad file: collect examples of the failing values. #}
    {% set examples_query %}
      select
      {% for name in failing_columns %}
        {{ example_values(adapter.quote(name),
            try_cast_failure_condition(name, node.columns[name], formats.get(name))) }}{% if not loop.last %},{% endif %}
      {% endfor %}
      from {{ relation }}
    {% endset %}
    {% set examples = run_query(examples_query).rows[0] %}
    {% set problems = [] %}
    {% for name in failing_columns %}
      {% set column = node.columns[name] %}
      {% set expected = column.data_type ~ (" in format " ~ formats[name] if name in formats else '') %}
      {% do problems.append("column " ~ name ~ ": " ~ row[2 + typed.index(name)] ~ " value(s) are not "
          ~ expected ~ ", e.g. " ~ examples[loop.index0]) %}
    {% endfor %}
    {{ exceptions.raise_compiler_error(where ~ " has values that cannot be parsed: " ~ problems | join('; ') ~ ".") }}
  {% endif %}

  {# 3. Keys are unique: two rows under one id cannot both be right. Examples only when there is a problem. #}
  {% if key_column and row[1] > 0 %}
    {% set duplicates = run_query("select count(*), " ~ first_values_text('key', ', ')
        ~ " from (select trim(" ~ adapter.quote(key_column) ~ ") as key from " ~ relation
        ~ " group by 1 having count(*) > 1)").rows[0] %}
    {{ exceptions.raise_compiler_error(where ~ ": column " ~ key_column ~ " has " ~ duplicates[0]
        ~ " duplicated value(s), e.g. " ~ duplicates[1]
        ~ ". Each row must have its own " ~ key_column ~ ".") }}
  {% endif %}
  {{ return('') }}
{% endmacro %}
