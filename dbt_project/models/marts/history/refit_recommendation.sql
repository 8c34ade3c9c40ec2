{#-
  Should each segmentation be refitted? Yes when any drift figure of this build reaches its threshold
  (segment_drift.is_flagged; thresholds: var drift_thresholds), with the reasons in words; no otherwise,
  with the largest figures. What happens next follows the registry's refit_policy: when_recommended refits
  in the next build, on_request waits for --refit (or var refit), always refits anyway. `smartcart run`
  prints this table; segmentation_fits reads the previous build's copy of it.
-#}

with

this_run as (

    select * from {{ ref('segment_drift') }}
    where run_id = '{{ invocation_id }}'

),

described as (

    select
        *,
        case metric
            when 'input_psi'
                then 'input ' || subject || ' shifted (PSI ' || {{ format_number('drift_value', 2) }}
                    || ' >= ' || {{ format_number('threshold', 2) }} || ')'
            when 'persona_share_change'
                then 'persona ' || subject_label || ' went from '
                    || {{ format_number('100 * fit_value', 1) }} || '% of the fit to '
                    || {{ format_number('100 * current_value', 1) }} || '% (change >= '
                    || {{ format_number('100 * threshold', 0) }} || ' points)'
            when 'mean_distance_ratio'
                then 'members sit ' || {{ format_number('drift_value', 2) }}
                    || 'x as far from their centroids as in the fit (>= ' || {{ format_number('threshold', 2) }} || 'x)'
            when 'low_margin_share_increase' then 'members on a persona border went from '
                || {{ format_number('100 * fit_value', 1) }} || '% to ' || {{ format_number('100 * current_value', 1) }}
                || '% (increase >= ' || {{ format_number('100 * threshold', 0) }} || ' points)'
        end as description
    from this_run

),

summarised as (

    select
        segmentation_name,
        any_value(run_id) as run_id,
        any_value(model_version) as model_version,
        count(*) filter (where is_flagged) as flagged_figures,
        {{ ordered_string_agg('case when is_flagged then description end', 'metric, subject', '; ') }}
            as flagged_reasons,
        max(drift_value) filter (where metric = 'input_psi') as largest_input_psi,
        max_by(subject, drift_value) filter (where metric = 'input_psi') as largest_psi_input,
        max(abs(drift_value)) filter (where metric = 'persona_share_change') as largest_share_change
    from described
    group by segmentation_name

)

select
    summarised.segmentation_name,
    summarised.run_id,
    summarised.model_version,
    registry.refit_policy,
    summarised.flagged_figures > 0 as is_refit_recommended,
    case
        when summarised.flagged_figures > 0 then 'refit recommended: ' || summarised.flagged_reasons
        else
            'no refit needed: largest input PSI '
            || {{ format_number('coalesce(summarised.largest_input_psi, 0)', 2) }}
            || coalesce(' (' || summarised.largest_psi_input || ')', '') || ', largest persona share change '
            || {{ format_number('100 * coalesce(summarised.largest_share_change, 0)', 1) }}
            || ' points, all below the thresholds'
    end as reason,
    case
        when summarised.flagged_figures = 0 then 'keep scoring with the stored model'
        when registry.refit_policy = 'when_recommended' then 'the next build refits'
        when registry.refit_policy = 'always' then 'every build refits anyway'
        else 'refit on request: smartcart run --refit ' || summarised.segmentation_name
    end as next_step,
    cast(summarised.flagged_figures as bigint) as flagged_figures
from summarised
inner join (
    {% for name, entry in segmentations().items() -%}
    select
        '{{ name }}' as segmentation_name,
        '{{ entry.refit_policy }}' as refit_policy
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
) as registry
    on registry.segmentation_name = summarised.segmentation_name
