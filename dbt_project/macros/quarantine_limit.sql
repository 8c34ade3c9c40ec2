{#
  Stops the build when too many rows are quarantined: beyond var max_quarantine_share (default 5%), the file
  as a whole is suspect (a shifted column, a new export format), and segmenting the rest would mislead.
  Called by the customers and invoice_lines models, so the quarantine table is built (and inspectable) but nothing downstream.
#}
{% macro assert_quarantine_share_within_limit(quarantine_relation, source_relation, file_var,
    key_column='customer_id', quarantine_table='customer_quarantine') %}
  {% if not execute %}{{ return('') }}{% endif %}
  {#- Absent only when compiling outside a build (dbt compile, sqlfluff): in a build the quarantine runs first. -#}
  {% if load_relation(quarantine_relation) is none or load_relation(source_relation) is none %}{{ return('') }}{% endif %}
  {% set limit = var('max_quarantine_share') | float %}
  {% set row = run_query(
      "select (select count(*) from " ~ quarantine_relation ~ "), (select count(*) from " ~ source_relation ~ ")"
  ).rows[0] %}
  {% set quarantined, total = row[0], row[1] %}
  {% if total > 0 and quarantined / total > limit %}
    {#- Portable SQL (the list macros of cross_engine.sql): the same message on DuckDB and Spark. -#}
    {% set reasons = run_query(
        "select reason || ': ' || cast(count(*) as string) from (select "
        ~ unnest_array(split_text('quarantine_reasons', ',')) ~ " as reason from " ~ quarantine_relation
        ~ ") as reasons group by reason order by count(*) desc, reason limit 5"
    ).columns[0].values() %}
    {% set examples = run_query(
        "select " ~ ordered_string_agg('example', 'sort_key', '; ') ~ " from (select row_number() over (order by "
        ~ key_column ~ " nulls last) as sort_key, coalesce(cast(" ~ key_column ~ " as string), '(no id)') || ' ('"
        ~ " || quarantine_reasons || ')' as example from " ~ quarantine_relation ~ " order by sort_key limit 3)"
        ~ " as examples"
    ).rows[0][0] %}
    {{ exceptions.raise_compiler_error(
        "Input file '" ~ var(file_var) ~ "' (dbt var " ~ file_var ~ "): " ~ quarantined ~ " of " ~ total
        ~ " rows (" ~ (100 * quarantined / total) | round(1) ~ "%) were quarantined, more than the limit of "
        ~ (100 * limit) | round(1) ~ "% (var max_quarantine_share). Reasons: " ~ reasons | join(', ')
        ~ ". Examples: " ~ examples ~ ". See table " ~ quarantine_table ~ ".") }}
  {% endif %}
  {{ return('') }}
{% endmacro %}
