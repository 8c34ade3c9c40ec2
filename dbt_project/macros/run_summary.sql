{#
  on-run-end: a build that failed leaves a row with outcome 'failed' in run_summary of the build database,
  naming the nodes that failed (the published warehouse is untouched; the row is published with the next
  successful build). Successful runs are written by the run_summary model itself. A partial build (--select)
  that does not include run_summary records nothing.
#}
{% macro record_failed_run(results) %}
  {% if not execute %}{{ return('') }}{% endif %}
  {% set failed = [] %}
  {% for result in results %}
    {% if result.status in ('error', 'fail', 'runtime error') %}
      {% do failed.append(result.node.name) %}
    {% endif %}
  {% endfor %}
  {% if not failed %}{{ return('') }}{% endif %}
  {#- A partial build (--select) that does not build run_summary is not a build of the warehouse: its
      failure is dbt's to report, not a row for the next build to publish. -#}
  {% if not selects_run_summary() %}{{ return('') }}{% endif %}
  {% set relation = adapter.get_relation(database=target.database, schema=target.schema, identifier='run_summary') %}
  {% set outcome = sql_string('failed: ' ~ (failed | join(', '))) %}
  {#- The per-run history tables keep nothing of a failed build. -#}
  {% for table in ['persona_membership_history', 'segment_drift'] %}
    {% set history = adapter.get_relation(database=target.database, schema=target.schema, identifier=table) %}
    {% if history is not none %}
      {% do delete_rows(history, "run_id = '" ~ invocation_id ~ "'") %}
    {% endif %}
  {% endfor %}
  {% if relation is none %}{{ return('') }}{% endif %}
  {#- A build can fail after run_summary was built (e.g. in the report): mark its rows, do not add more. -#}
  {% do update_rows(relation, 'outcome', outcome, "run_id = '" ~ invocation_id ~ "'") %}
  {#- One statement per query: Spark's session runs one at a time. -#}
  {% for input_name, entry in segmentations().items() %}
    {% set file_var = entry.input.file_var %}
    {% set statement %}
    insert into {{ relation }} (run_id, run_started_at, input_name, file_path, outcome)
    select '{{ invocation_id }}', cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
           '{{ input_name }}', {{ sql_string(var(file_var)) }}, {{ outcome }}
    where not exists (
        select 1 from {{ relation }} where run_id = '{{ invocation_id }}' and input_name = '{{ input_name }}'
    )
    {% endset %}
    {% do run_query(statement) %}
  {% endfor %}
  {{ return('') }}
{% endmacro %}

{#- Rows per quarantine reason of a quarantine table, as one text: "negative_spend=3, unknown_education=1". -#}
{% macro quarantine_reason_counts(quarantine_relation) %}
    select {{ ordered_string_agg("reason || '=' || reason_rows", 'reason', ', ') }} as quarantine_reason_counts
    from (
        select reason, count(*) as reason_rows
        from (
            select {{ unnest_array(split_text('quarantine_reasons', ',')) }} as reason
            from {{ quarantine_relation }}
        ) as reasons
        group by reason
    ) as counted
{% endmacro %}

{#-
  A fingerprint of an input path: the SHA-256 of its bytes when the matched files total at most 256 MiB,
  else (large or many event files) the SHA-256 of the listing (name, size, modification time), which
  changes whenever a file does but does not read gigabytes. run_summary documents which applies.
-#}
{% macro file_fingerprint(path) -%}
  {{ return(adapter.dispatch('file_fingerprint', 'smartcart')(path)) }}
{%- endmacro %}

{% macro spark__file_fingerprint(path) -%}
  {#- Spark's binaryFile reader: the same SHA-256 of the bytes as DuckDB for one file. For many files, or
      past the size limit, the parts are the file names as Spark writes them (file:...), so such a
      fingerprint differs from DuckDB's for the same files; it still changes whenever a file does. -#}
  {%- set location = spark_file_location(path) -%}
  {%- set files = 'binaryFile.`' ~ location | replace('`', '``') ~ '`' -%}
  {%- set size = 0 -%}
  {%- if execute -%}
    {%- set size = run_query("select coalesce(sum(length), 0) from " ~ files).rows[0][0] -%}
  {%- endif -%}
  {%- if size <= 268435456 -%}
    (select case when count(*) = 1 then max(sha2(content, 256))
                 else sha2({{ ordered_string_agg('sha2(content, 256)', 'path', '|') }}, 256) end
     from {{ files }})
  {%- else -%}
    (select sha2({{ ordered_string_agg("path || ':' || length || ':' || modificationTime", 'path', '|') }}, 256)
     from {{ files }})
  {%- endif -%}
{%- endmacro %}

{% macro default__file_fingerprint(path) -%}
  {%- set size = 0 -%}
  {%- if execute -%}
    {%- set size = run_query("select coalesce(sum(size), 0) from read_blob(" ~ sql_string(path) ~ ")").rows[0][0] -%}
  {%- endif -%}
  {%- if size <= 268435456 -%}
    (select case when count(*) = 1 then max(sha256(content))
                 else sha256(string_agg(sha256(content), '|' order by filename)) end
     from read_blob({{ sql_string(path) }}))
  {%- else -%}
    (select sha256(string_agg(filename || ':' || size || ':' || last_modified, '|' order by filename))
     from read_blob({{ sql_string(path) }}))
  {%- endif -%}
{%- endmacro %}
