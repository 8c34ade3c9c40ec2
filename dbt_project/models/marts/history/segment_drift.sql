{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    pre_hook="{{ prune_run_history(this) }}"
) }}
{#-
  Per run and segmentation: how far today's data has moved from the sample the active model was fitted on.
    input_psi                 population stability index of every model input: sum over the fit's decile
                              bins (categories) of (current - fit) * ln(current / fit), shares floored at 1e-4
    persona_share_change      each persona's share of the scored entities minus its share of the fit sample
    mean_distance_ratio       mean distance to the own centroid, current / fit
    low_margin_share_increase share of members nearly as close to the next centroid, current - fit
  Entities left out of fitting are left out here too, so like is compared with like. A row is flagged when
  its drift value reaches the var drift_thresholds; refit_recommendation turns flags into a decision. Kept
  per run like persona_membership_history (append-only, never rewritten by a full refresh).
-#}

{%- set psi_floor = 0.0001 %}

with

fits as (

    select * from {{ ref('segmentation_fits') }}

),

active_models as (

    select
        segmentation_name,
        model_version,
        mean_distance_to_centroid,
        low_margin_share
    from {{ ref('segmentation_models') }}
    where is_active_model

),

low_margin_thresholds as (

    select
        fits.segmentation_name,
        max(fits.value) as low_margin_threshold
    from fits
    inner join active_models using (segmentation_name, model_version)
    where fits.section = 'model' and fits.item = 'low_margin_threshold'
    group by fits.segmentation_name

),

fit_distribution as (

    select
        fits.segmentation_name,
        fits.feature_name,
        fits.category_value,
        fits.input_index,
        fits.item,
        fits.value
    from fits
    inner join active_models using (segmentation_name, model_version)
    where fits.section = 'input_distribution'

),

fit_shares as (

    select
        segmentation_name,
        feature_name,
        coalesce(category_value, cast(input_index as string)) as bin,
        value as fit_share
    from fit_distribution
    where item = 'share'

),

{% for name, entry in segmentations().items() -%}
{%- set exclude = entry.model.get('exclude_column') %}
eligible_{{ name }} as (

    select * from {{ ref(entry.feature_model) }}
    {% if exclude %}where not coalesce({{ exclude }}, false){% endif %}

),

members_{{ name }} as (

    select * from {{ ref(entry.members_model) }}
    where not is_excluded_from_fit

),

current_bins_{{ name }} as (

    {% for feature in entry.model.get('numeric_features', []) -%}
    select
        '{{ name }}' as segmentation_name,
        '{{ feature }}' as feature_name,
        -- bin b holds edges[b-1] < v <= edges[b]: the number of edges below the value
        cast(
            {{ count_elements_below('edges.bin_edges', 'cast(eligible.' ~ feature ~ ' as double)') }} as string
        ) as bin,
        count(*) as bin_rows
    from eligible_{{ name }} as eligible
    cross join (
        select {{ ordered_array_agg('value', 'input_index') }} as bin_edges
        from fit_distribution
        where segmentation_name = '{{ name }}' and feature_name = '{{ feature }}' and item = 'bin_upper'
            and value is not null
    ) as edges
    group by all
    union all
    {% endfor -%}
    {% for feature in entry.model.get('categorical_features', []) -%}
    select
        '{{ name }}' as segmentation_name,
        '{{ feature }}' as feature_name,
        coalesce(cast({{ feature }} as string), '(missing)') as bin,
        count(*) as bin_rows
    from eligible_{{ name }}
    group by all
    union all
    {% endfor -%}
    select
        null as segmentation_name,
        null as feature_name,
        null as bin,
        null as bin_rows
    where false

),

persona_shares_{{ name }} as (

    select
        '{{ name }}' as segmentation_name,
        persona_id,
        any_value(persona_name) as persona_name,
        count(*) / (select count(*) from members_{{ name }}) as current_share
    from members_{{ name }}
    group by persona_id

),

fit_statistics_{{ name }} as (

    select
        '{{ name }}' as segmentation_name,
        {{ exact_avg('distance_to_centroid') }} as current_mean_distance,
        avg(case when margin_to_next_centroid < (
                    select low_margin_threshold from low_margin_thresholds
                    where segmentation_name = '{{ name }}'
                ) then 1.0
            else 0.0
        end) as current_low_margin_share
    from members_{{ name }}

),

{% endfor -%}

current_bins as (

    {% for name in segmentations() -%}
    select * from current_bins_{{ name }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

current_shares as (

    select
        *,
        bin_rows / sum(bin_rows) over (partition by segmentation_name, feature_name) as current_share
    from current_bins

),

psi_terms as (

    select
        coalesce(fit_shares.segmentation_name, current_shares.segmentation_name) as segmentation_name,
        coalesce(fit_shares.feature_name, current_shares.feature_name) as feature_name,
        (
            greatest(coalesce(current_shares.current_share, 0), {{ psi_floor }})
            - greatest(coalesce(fit_shares.fit_share, 0), {{ psi_floor }})
        )
        * ln(
            greatest(coalesce(current_shares.current_share, 0), {{ psi_floor }})
            / greatest(coalesce(fit_shares.fit_share, 0), {{ psi_floor }})
        ) as psi_term
    from fit_shares
    full outer join current_shares
        on fit_shares.segmentation_name = current_shares.segmentation_name
            and fit_shares.feature_name = current_shares.feature_name
            and fit_shares.bin = current_shares.bin

),

psi as (

    select
        segmentation_name,
        feature_name,
        {{ exact_sum('psi_term') }} as population_stability_index
    from psi_terms
    group by segmentation_name, feature_name

),

persona_changes as (

    select
        personas.segmentation_name,
        personas.persona_id,
        personas.persona_name,
        coalesce(personas.fit_share, 0) as fit_share,
        coalesce(current_shares.current_share, 0) as current_share
    from {{ ref('segment_personas') }} as personas
    left join (
        {% for name in segmentations() -%}
        select * from persona_shares_{{ name }}
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ) as current_shares
        on personas.segmentation_name = current_shares.segmentation_name
            and personas.persona_id = current_shares.persona_id
    where personas.is_active_model

),

current_statistics as (

    {% for name in segmentations() -%}
    select * from fit_statistics_{{ name }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

drift as (

    select
        segmentation_name,
        'input_psi' as metric,
        feature_name as subject,
        feature_name as subject_label,
        cast(null as double) as fit_value,
        cast(null as double) as current_value,
        population_stability_index as drift_value,
        cast({{ drift_threshold('input_psi') }} as double) as threshold
    from psi
    union all
    select
        segmentation_name,
        'persona_share_change' as metric,
        persona_id as subject,
        persona_name as subject_label,
        fit_share as fit_value,
        current_share as current_value,
        current_share - fit_share as drift_value,
        cast({{ drift_threshold('persona_share_change') }} as double) as threshold
    from persona_changes
    union all
    select
        current_statistics.segmentation_name,
        'mean_distance_ratio' as metric,
        null as subject,
        null as subject_label,
        active_models.mean_distance_to_centroid as fit_value,
        current_statistics.current_mean_distance as current_value,
        current_statistics.current_mean_distance / nullif(active_models.mean_distance_to_centroid, 0) as drift_value,
        cast({{ drift_threshold('mean_distance_ratio') }} as double) as threshold
    from current_statistics
    inner join active_models using (segmentation_name)
    union all
    select
        current_statistics.segmentation_name,
        'low_margin_share_increase' as metric,
        null as subject,
        null as subject_label,
        active_models.low_margin_share as fit_value,
        current_statistics.current_low_margin_share as current_value,
        current_statistics.current_low_margin_share - active_models.low_margin_share as drift_value,
        cast({{ drift_threshold('low_margin_share_increase') }} as double) as threshold
    from current_statistics
    inner join active_models using (segmentation_name)

)

select
    '{{ invocation_id }}' as run_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
    drift.segmentation_name,
    active_models.model_version,
    drift.metric,
    drift.subject,
    drift.subject_label,
    drift.fit_value,
    drift.current_value,
    drift.drift_value,
    drift.threshold,
    -- A persona's share counts in both directions; the other figures only when they grow.
    coalesce(
        case when drift.metric = 'persona_share_change' then abs(drift.drift_value) else drift.drift_value end
        >= drift.threshold,
        false
    ) as is_flagged
from drift
inner join active_models using (segmentation_name)
