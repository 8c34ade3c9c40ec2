{#-
  Pre-hook of the per-run history tables: with the var history_keep_runs = N, keep the N most recent runs
  of each segmentation and delete older ones. The default (null) keeps everything; nothing else deletes.
-#}
{% macro prune_run_history(relation) %}
  {%- set keep = checked_var('history_keep_runs') -%}
  {%- if keep is none or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- if keep < 1 -%}
    {{ exceptions.raise_compiler_error("var history_keep_runs must be null or a whole number >= 1, got " ~ keep) }}
  {%- endif -%}
  {%- set condition -%}
(segmentation_name, run_id) not in (
      select segmentation_name, run_id
      from (
          select
              segmentation_name,
              run_id,
              dense_rank() over (partition by segmentation_name order by run_started_at desc, run_id desc) as recency_rank
          from (select distinct segmentation_name, run_id, run_started_at from {{ relation }})
      )
      where recency_rank < {{ keep }}
  )
  {%- endset -%}
  {#- Deleted here (delete_rows: Parquet tables on Spark take no DELETE); the hook itself runs nothing. -#}
  {%- do delete_rows(relation, condition) -%}
  select 1
{% endmacro %}

{#- A threshold of the drift rule (var drift_thresholds); a misspelt or missing key stops the build. -#}
{% macro drift_threshold(name) -%}
  {{ return(checked_var('drift_thresholds')[name]) }}
{%- endmacro %}

{#- Lower-case column names of a relation (empty while parsing). -#}
{% macro column_names(relation) %}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(relation) -%}
  {{ return(columns | map(attribute='name') | map('lower') | list) }}
{% endmacro %}
