{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    pre_hook="{{ prune_run_history(this) }}"
) }}
{#-
  Append-only: every successful build adds, for every scored entity of every segmentation, its persona in
  that run. full_refresh=false: `dbt build --full-refresh` never rewrites earlier runs; only the explicit var
  history_keep_runs prunes (pre-hook). A failed build's rows are removed by the on-run-end hook
  (record_failed_run), so a failed or blocked build appends nothing. Publishing copies the whole table.
-#}

{% for name, entry in segmentations().items() -%}
{%- set features = ref(entry.feature_model) %}
select
    '{{ invocation_id }}' as run_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
    {% if 'as_of_date' in column_names(features) -%}
    (select max(cast(as_of_date as date)) from {{ features }}) as as_of_date,
    {%- else -%}
    cast(null as date) as as_of_date,  -- the feature model has no as_of_date column
    {%- endif %}
    '{{ name }}' as segmentation_name,
    members.model_version,
    cast(members.{{ entry.entity_key }} as string) as entity_key,
    members.persona_id,
    members.persona_name,
    members.distance_to_centroid,
    members.margin_to_next_centroid
from {{ ref(entry.members_model) }} as members
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
