{#-
  The clickstream landing on Spark: the same table as the Python model ../raw_clickstream_events.py builds
  on DuckDB (which open-source Spark cannot run, dbt-spark issue 415), in SQL over the source's external
  table (hook register_raw_files: CSV files read as declared text columns, or Parquet with its own types).
  Enabled on the spark target only; the Python model on every other (dbt_project.yml).

  One pass over the new files: each field is typed here, and a value that does not type keeps its text in
  its *_raw column (as the DuckDB landing does for a text input); a line of the wrong shape lands with
  landing_error 'malformed_line', its text and no typed field, as the DuckDB CSV reader's rejects do. The
  staging rules quarantine both with their reason. Incremental (append): a file already landed, by name,
  is not read again, so a landed file whose size changed stops the build (macro
  landed_clickstream_files, as the DuckDB landing does). The landed files are excluded by a list of their
  names, not a subquery: Spark applies a filter on _metadata.file_path with literal values to the files
  when it lists the source, so a build with one new file reads that file only (with a subquery it read
  every line of every file: one more day at 10M events took 43.1 s, now 10.4 s; docs/performance.md).
  SQLite inputs are read on DuckDB only (the hook stops the build naming the path).
-#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='append_new_columns') }}

{%- set source_relation = source('clickstream', 'events') %}
{%- set source_node = graph.sources['source.smartcart.clickstream.events'] %}
{%- set time_format = source_node.columns['event_time'].meta.format %}
{%- set source_types = {} %}
{%- if execute %}
    {%- for column in adapter.get_columns_in_relation(source_relation) %}
        {%- do source_types.update({column.name: column.dtype | lower}) %}
    {%- endfor %}
{%- endif %}
{%- set corrupt = '_corrupt_record' if '_corrupt_record' in source_types else 'cast(null as string)' %}
{%- set landed_files = [] %}
{%- if execute and is_incremental() %}
    {#- The location the hook register_raw_files gave the source's table. -#}
    {%- set landed_files = landed_clickstream_files(spark_file_location(var(source_meta(source_node).file_var))) %}
{%- endif %}
{#- A field as text (trimmed, '' as null): what each field is typed from. -#}
{%- set text_of = "nullif(trim(cast(lines.%s as string)), '')" %}

with

lines as (

    select
        *,
        -- The file's path, as DuckDB names it (without Spark's file: scheme).
        regexp_replace(_metadata.file_path, '^file:', '') as landed_file,
        _metadata.file_size as landed_file_bytes,
        {{ corrupt }} as malformed_text
    from {{ source_relation }}

),

new_lines as (

    select * from lines
    {% if landed_files -%}
    where landed_file not in (
        {%- for file in landed_files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor -%}
    )
    {%- endif %}

),

typed as (

    select
        landed_file,
        landed_file_bytes,
        malformed_text,
        {% if source_types.get('event_time', 'string') == 'string' -%}
        {{ try_parse_timestamp(text_of | format('event_time'), time_format) }}
        {%- else -%}
        cast(lines.event_time as timestamp)
        {%- endif %} as event_at,
        lower({{ text_of | format('event_type') }}) as event_type,
        try_cast({{ text_of | format('product_id') }} as bigint) as product_id,
        try_cast({{ text_of | format('category_id') }} as decimal(38, 0)) as category_id,
        {{ text_of | format('category_code') }} as category_code,
        {{ text_of | format('brand') }} as brand,
        try_cast({{ text_of | format('price') }} as double) as price,
        try_cast({{ text_of | format('user_id') }} as bigint) as user_id,
        {{ text_of | format('user_session') }} as user_session,
        {% for column in ['event_time', 'product_id', 'category_id', 'price', 'user_id'] -%}
        cast(lines.{{ column }} as string) as {{ column }}__text{{ ',' if not loop.last }}
        {% endfor %}
    from new_lines as lines

)

select
    landed_file as source_file,
    cast(null as bigint) as source_row,
    {% for field, column in [('event_at', 'event_time'), ('event_type', none), ('product_id', 'product_id'),
                             ('category_id', 'category_id'), ('category_code', none), ('brand', none),
                             ('price', 'price'), ('user_id', 'user_id'), ('user_session', none)] -%}
    case when malformed_text is null then {{ field }} end as {{ field }},
    {% if column -%}
    case when malformed_text is null and {{ field }} is null and nullif(trim({{ column }}__text), '') is not null
        then {{ column }}__text end as {{ column }}_raw,
    {% endif -%}
    {% endfor -%}
    '{{ invocation_id }}' as load_id,
    case when malformed_text is not null then 'malformed_line' end as landing_error,
    malformed_text as rejected_line,
    cast(landed_file_bytes as bigint) as source_file_bytes
from typed
