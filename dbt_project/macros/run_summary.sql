{#
  on-run-end: a build that failed leaves a row with outcome 'failed' in run_summary of the build database,
  naming the nodes that failed (the published warehouse is untouched; the row is published with the next
  successful build). Successful runs are written by the run_summary model itself.
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
  {% set relation = adapter.get_relation(database=target.database, schema=target.schema, identifier='run_summary') %}
  {% if relation is none %}{{ return('') }}{% endif %}
  {% set outcome = sql_string('failed: ' ~ (failed | join(', '))) %}
  {% set statement %}
    -- A build can fail after run_summary was built (e.g. in the report): mark its rows, do not add more.
    update {{ relation }} set outcome = {{ outcome }} where run_id = '{{ invocation_id }}';
    {% for input_name, file_var in [('customers', 'customers_file'), ('invoices', 'invoices_file'), ('clickstream', 'events_path')] %}
    insert into {{ relation }} (run_id, run_started_at, input_name, file_path, outcome)
    select '{{ invocation_id }}', cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
           '{{ input_name }}', {{ sql_string(var(file_var)) }}, {{ outcome }}
    where not exists (
        select 1 from {{ relation }} where run_id = '{{ invocation_id }}' and input_name = '{{ input_name }}'
    );
    {% endfor %}
  {% endset %}
  {% do run_query(statement) %}
  {{ return('') }}
{% endmacro %}

{#- Rows per quarantine reason of a quarantine table, as one text: "negative_spend=3, unknown_education=1". -#}
{% macro quarantine_reason_counts(quarantine_relation) %}
    select string_agg(reason || '=' || reason_rows, ', ' order by reason) as quarantine_reason_counts
    from (
        select reason, count(*) as reason_rows
        from (select unnest(string_split(quarantine_reasons, ',')) as reason from {{ quarantine_relation }})
        group by reason
    )
{% endmacro %}
