{#-
  Can the data support a segmentation? One row per segmentation of the registry, checked before any fit
  (segmentation_fits reads it): the time span the input covers, the entities there are to fit, how many
  have history (registry sufficiency.history), which features the span can support (time_features need
  segment_min_span_days) and how many model inputs remain that the data supports and that vary.
  problems stop the fit unless var allow_insufficient_data is true; warnings are shown in the run output,
  the report and the dashboard, and unsupported features are never claimed by a persona name.
-#}

{%- set min_span_days = var('segment_min_span_days') -%}
{%- set min_entities = var('segment_min_entities') -%}
{%- set min_history_share = var('segment_min_history_share') -%}
{%- set min_segment_size = var('segment_min_segment_size') -%}

with

{% for name, entry in segmentations().items() -%}
{%- set sufficiency = entry.get('sufficiency') or {} -%}
{%- set time_features = sufficiency.get('time_features') or [] -%}
{%- set exclude = entry.model.get('exclude_column') -%}
{%- set fit_rows = 'not ' ~ adapter.quote(exclude) if exclude else 'true' -%}
{%- set numeric_inputs = entry.model.numeric_features -%}
{%- set categorical_inputs = entry.model.get('categorical_features') or [] -%}
span_{{ name }} as (

    {% if sufficiency -%}
    select
        cast(min({{ adapter.quote(sufficiency.time_span.column) }}) as timestamp) as first_observed_at,
        cast(max({{ adapter.quote(sufficiency.time_span.end_column or sufficiency.time_span.column) }}) as timestamp)
            as last_observed_at
    from {{ ref(sufficiency.time_span.model) }}
    {%- else -%}
    select cast(null as timestamp) as first_observed_at, cast(null as timestamp) as last_observed_at
    {%- endif %}

),

features_{{ name }} as (

    select
        count(*) as entities,
        count(*) filter (where {{ fit_rows }}) as fit_entities,
        {% if sufficiency -%}
        count(*) filter (
            where {{ fit_rows }} and {{ adapter.quote(sufficiency.history.feature) }} >= {{ sufficiency.history.min }}
        )
        {%- else %}cast(null as bigint){% endif %} as entities_with_history,
        {% for feature in numeric_inputs -%}
        coalesce(
            min({{ adapter.quote(feature) }}) filter (where {{ fit_rows }})
            < max({{ adapter.quote(feature) }}) filter (where {{ fit_rows }}),
            false
        ) as varies_{{ loop.index }},
        {% endfor -%}
        {% for feature in categorical_inputs -%}
        count(distinct {{ adapter.quote(feature) }}) filter (where {{ fit_rows }}) > 1
            as varies_categorical_{{ loop.index }},
        {% endfor -%}
        true as counted
    from {{ ref(entry.feature_model) }}

),

checked_{{ name }} as (

    select
        '{{ name }}' as segmentation_name,
        span_{{ name }}.first_observed_at,
        span_{{ name }}.last_observed_at,
        {{ seconds_between('span_' ~ name ~ '.first_observed_at', 'span_' ~ name ~ '.last_observed_at') }}
        / cast(86400 as double)
            as span_days,
        features_{{ name }}.entities,
        features_{{ name }}.fit_entities,
        features_{{ name }}.entities_with_history,
        {{ sql_string(sufficiency.history.feature ~ ' >= ' ~ sufficiency.history.min if sufficiency else '') }}
            as history_rule,
        {{ sql_string(time_features | join(', ')) }} as time_features,
        0
        {%- for feature in numeric_inputs %}
        {%- set supported = 'true' if feature not in time_features else 'span_ok' %}
        + case when features_{{ name }}.varies_{{ loop.index }} and {{ supported }} then 1 else 0 end  -- noqa: LT02, LT05
        {%- endfor %}
        {%- for feature in categorical_inputs %}
        + case when features_{{ name }}.varies_categorical_{{ loop.index }} then 1 else 0 end  -- noqa: LT02, LT05
        {%- endfor %}
        -- the indent of these terms differs per registry entry, hence noqa
        as supported_varying_inputs,  -- noqa: LT02
        {{ (numeric_inputs | length) + (categorical_inputs | length) }} as model_inputs
    from span_{{ name }}
    cross join features_{{ name }}
    cross join (
        select
            coalesce(
                {{ seconds_between('first_observed_at', 'last_observed_at') }} >= {{ min_span_days }} * 86400, false
            ) as span_ok
        from span_{{ name }}
    ) as span_check

),

{% endfor -%}

checked as (

    {% for name in segmentations() -%}
    select * from checked_{{ name }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

assessed as (

    select
        *,
        span_days >= {{ min_span_days }} as is_span_sufficient,
        case when span_days < {{ min_span_days }} then time_features else '' end as unsupported_features,
        entities_with_history / nullif(fit_entities, 0) as history_share,
        cast(floor(fit_entities / {{ min_segment_size }}) as bigint) as max_supported_k,
        {{ array_of([
            "case when fit_entities < " ~ min_entities ~ " then 'only ' || fit_entities
                || ' row(s) can be fitted; at least " ~ min_entities ~ " are needed' end",
            "case when supported_varying_inputs < 2 then 'only ' || supported_varying_inputs || ' of the '
                || model_inputs || ' model inputs vary and are supported by the data; at least 2 are needed' end",
            "case when fit_entities < 2 * " ~ min_segment_size ~ " then 'two segments of at least "
                ~ min_segment_size ~ " rows need ' || (2 * " ~ min_segment_size ~ ") || ' rows to fit' end",
        ]) }} as problem_list,
        {{ array_of([
            "case when span_days < " ~ min_span_days ~ " and time_features <> '' then 'the data spans '
                || case when span_days < 2 then " ~ format_number('span_days * 24', 1) ~ " || ' hours'
                   else " ~ format_number('span_days', 0) ~ " || ' days' end
                || '; ' || time_features || ' need at least " ~ min_span_days ~ " days, so no persona name claims them' end",
            "case when entities_with_history < " ~ min_history_share ~ " * fit_entities then 'only '
                || " ~ format_number('100.0 * entities_with_history / nullif(fit_entities, 0)', 1) ~ " || '% of the rows have '
                || history_rule || ' (at least " ~ (100 * min_history_share) ~ "% expected): most have little history to go on' end",
        ]) }} as warning_list
    from checked

)

select
    segmentation_name,
    first_observed_at,
    last_observed_at,
    span_days,
    entities,
    fit_entities,
    entities_with_history,
    history_rule,
    history_share,
    time_features,
    is_span_sufficient,
    unsupported_features,
    supported_varying_inputs,
    model_inputs,
    max_supported_k,
    coalesce({{ join_array(drop_nulls('problem_list'), '; ') }}, '') as problems,
    coalesce({{ join_array(drop_nulls('warning_list'), '; ') }}, '') as warnings,
    {{ array_length(drop_nulls('problem_list')) }} = 0 as is_sufficient,
    {{ var('allow_insufficient_data') }} as is_insufficiency_allowed

from assessed
