{{ config(
    materialized='incremental',
    unique_key=['run_id', 'input_name'],
    on_schema_change='append_new_columns',
    full_refresh=false
) }}
{#-
  One row per build and input of every segmentation in the registry: which file (and its fingerprint), and
  what happened to every row of it, read from the source's accounting model (registry input.accounting_model).
  rows_read = rows_quarantined + rows_accepted; rows_accepted = rows_excluded_from_fit + rows_fitted;
  entities_scored = entities_in_features (tested by every_row_accounted_for). Failed builds add rows with
  outcome 'failed: <nodes>' through the on-run-end hook record_failed_run.
-#}

with

{% for name, entry in segmentations().items() -%}
input_{{ name }} as (

    select
        '{{ name }}' as input_name,
        {{ sql_string(var(entry.input.file_var)) }} as file_path,
        {{ file_fingerprint(var(entry.input.file_var)) }} as file_sha256,
        accounting.rows_read,
        accounting.rows_accepted,
        accounting.rows_quarantined,
        accounting.quarantine_reason_counts,
        accounting.rows_excluded_from_fit,
        (select count(*) from {{ ref(entry.feature_model) }}) as entities_in_features,
        (select count(*) from {{ ref(entry.members_model) }}) as entities_scored,
        (select max(model_version) from {{ ref(entry.members_model) }}) as model_version

    from {{ ref(entry.input.accounting_model) }} as accounting

),

{% endfor -%}

inputs as (

    {% for name in segmentations() -%}
    select * from input_{{ name }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    '{{ invocation_id }}' as run_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
    input_name,
    file_path,
    file_sha256,
    cast(rows_read as bigint) as rows_read,
    cast(rows_accepted as bigint) as rows_accepted,
    cast(rows_quarantined as bigint) as rows_quarantined,
    coalesce(quarantine_reason_counts, '') as quarantine_reason_counts,
    cast(rows_excluded_from_fit as bigint) as rows_excluded_from_fit,
    cast(rows_accepted - rows_excluded_from_fit as bigint) as rows_fitted,
    cast(entities_in_features as bigint) as entities_in_features,
    cast(entities_scored as bigint) as entities_scored,
    model_version,
    'built' as outcome,
    -- Customer value: what the sufficiency check found (null for a source without purchases).
    sufficiency.message as customer_value_status,
    -- Segmentation: what the data-sufficiency guardrails found (empty: nothing to say).
    trim(
        case when segmentation_check.problems <> '' then 'problems: ' || segmentation_check.problems || '. ' else '' end
        || segmentation_check.warnings
    ) as segmentation_data_notes

from inputs
left join {{ ref('clv_sufficiency') }} as sufficiency on sufficiency.segmentation_name = inputs.input_name
left join {{ ref('segmentation_sufficiency') }} as segmentation_check
    on segmentation_check.segmentation_name = inputs.input_name
