{#-
  The profiles of the personas of the current population, computed once, in SQL over the scored members:
  one row per segmentation, persona and profile feature with the persona's mean and median, the
  population's mean, median and standard deviation and the z-score (persona mean - population mean) /
  population standard deviation. Members left out of the fit (implausible values, duplicates) count in
  persona sizes (persona_profiles) but not here, so one extreme value cannot move a persona's profile.
-#}

with

{% for name, entry in segmentations().items() -%}
{%- set features = entry.profile_features -%}
members_{{ name }} as (

    select * from {{ ref(entry.members_model) }}
    where not is_excluded_from_fit

),

persona_{{ name }} as (

    select
        persona_id,
        persona_name,
        model_version,
        {% for feature in features -%}
        {{ exact_avg('cast(' ~ feature ~ ' as double)') }} as {{ feature }}__mean,
        {{ median('cast(' ~ feature ~ ' as double)') }} as {{ feature }}__median,
        {% endfor -%}
        count(*) as fitted_member_count

    from members_{{ name }}
    group by persona_id, persona_name, model_version

),

population_{{ name }} as (

    select
            {% for feature in features -%}
        {%- set value = 'cast(' ~ feature ~ ' as double)' %}
        {{ exact_avg(value) }} as {{ feature }}__mean,
        {{ median(value) }} as {{ feature }}__median,
        {{ exact_stddev_pop(value) }} as {{ feature }}__std{% if not loop.last %},{% endif %}
            {% endfor %}

    from members_{{ name }}

),

{% endfor -%}

unpivoted as (

    {% for name, entry in segmentations().items() -%}
    {%- set outer = loop -%}
    {%- for feature in entry.profile_features -%}
    select
        '{{ name }}' as segmentation_name,
        persona.persona_id,
        persona.persona_name,
        '{{ feature }}' as feature_name,
        persona.fitted_member_count,
        persona.{{ feature }}__mean as member_mean,
        persona.{{ feature }}__median as member_median,
        population.{{ feature }}__mean as population_mean,
        population.{{ feature }}__median as population_median,
        population.{{ feature }}__std as population_std,
        (persona.{{ feature }}__mean - population.{{ feature }}__mean)
        / nullif(population.{{ feature }}__std, 0) as z_score,
        persona.model_version
    from persona_{{ name }} as persona
    cross join population_{{ name }} as population
    {% if not (outer.last and loop.last) %}union all{% endif %}
    {% endfor -%}
    {% endfor %}

),

labels as (

    select * from {{ ref('feature_labels') }}

)

select
    unpivoted.segmentation_name,
    unpivoted.persona_id,
    unpivoted.persona_name,
    unpivoted.feature_name,
    coalesce(labels.feature_label, replace(unpivoted.feature_name, '_', ' ')) as feature_label,
    cast(unpivoted.fitted_member_count as bigint) as fitted_member_count,
    unpivoted.member_mean,
    unpivoted.member_median,
    unpivoted.population_mean,
    unpivoted.population_median,
    unpivoted.population_std,
    coalesce(unpivoted.z_score, 0) as z_score,
    unpivoted.model_version

from unpivoted
left join labels
    on unpivoted.segmentation_name = labels.segmentation_name
        and unpivoted.feature_name = labels.feature_name
