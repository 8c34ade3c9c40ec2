{#
  The members table of a segmentation: one row per entity of its feature model, scored in SQL with the
  active model, with its persona (id, name), the scoring columns, its profile features and the registry's
  member_joins. The only model file a source adds for the engine is one line calling this macro.
#}
{% macro segment_members(segmentation_name) %}
{%- set entry = segmentation_entry(segmentation_name) -%}
{%- set key = entry.entity_key -%}
{%- set exclude = entry.model.get('exclude_column') -%}
{%- set feature_columns = member_feature_columns(entry) -%}
{%- set passthrough = [key] + feature_columns + ([exclude] if exclude else []) -%}
with

features as (

    select * from {{ ref(entry.feature_model) }}

),

scored as (

    {{ score_segments('features', segmentation_name, passthrough=passthrough) }}

),

personas as (

    select * from {{ ref('segment_personas') }}
    where segmentation_name = {{ sql_string(segmentation_name) }}

)
{%- for join in entry.get('member_joins', []) %},

joined_{{ loop.index }} as (

    select {{ join.get('key', key) }} as {{ key }}, {{ join.columns | join(', ') }}
    from {{ ref(join.model) }}
    {%- for column, value in (join.get('match') or {}).items() %}
    {{ 'where' if loop.first else 'and' }} {{ column }} = {{ sql_string(value) }}
    {%- endfor %}

)
{%- endfor %},

final as (

    select
        scored.{{ key }},
        personas.persona_id,
        personas.persona_name,
        personas.is_fallback_name as is_fallback_persona_name,
        scored.cluster_id,
        scored.distance_to_centroid,
        scored.margin_to_next_centroid,
        scored.distances_to_centroids,
        scored.is_distance_outlier,
        {% for c in range(1, entry.model.get('n_components', 3) + 1) -%}
        scored.pc{{ c }},
        {% endfor -%}
        {% if exclude -%}
        scored.{{ exclude }} as is_excluded_from_fit,
        {%- else -%}
        false as is_excluded_from_fit,
        {%- endif %}
        {% for column in feature_columns -%}
        scored.{{ column }},
        {% endfor -%}
        {% for join in entry.get('member_joins', []) -%}
        {% set outer = loop.index %}
        {%- for column in join.columns -%}
        joined_{{ outer }}.{{ column }},
        {% endfor -%}
        {% endfor -%}
        scored.model_version

    from scored
    inner join personas
        on scored.model_version = personas.model_version
        and scored.cluster_id = personas.cluster_id
    {% for join in entry.get('member_joins', []) -%}
    left join joined_{{ loop.index }}
        on scored.{{ key }} = joined_{{ loop.index }}.{{ key }}
    {% endfor %}

)

select * from final
{% endmacro %}
