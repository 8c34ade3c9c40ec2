{#-
  One row per persona of every segmentation's active model: its stable id and name, size and share of all
  scored members (flagged members included), how many were left out of the fit, its top three traits in
  words (from persona_feature_profiles), and the catalogue's description and strategy with the match score.
  Per-feature means, medians and z-scores are in persona_feature_profiles (join on persona_id).
-#}

with

sizes as (

    {% for name, entry in segmentations().items() -%}
    select
        '{{ name }}' as segmentation_name,
        persona_id,
        count(*) as member_count,
        count(case when is_excluded_from_fit then 1 end) as excluded_member_count
    from {{ ref(entry.members_model) }}
    group by persona_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

personas as (

    select * from {{ ref('segment_personas') }}
    where is_active_model

),

ranked_traits as (

    select
        segmentation_name,
        persona_id,
        feature_name,
        case when z_score > 0 then 'high ' else 'low ' end || feature_label
        || ' (' || case when z_score > 0 then '+' else '' end
        || {{ format_one_decimal('z_score') }} || ' sd)' as trait,
        row_number() over (
            partition by segmentation_name, persona_id
            order by abs(z_score) desc, feature_name
        ) as trait_rank

    from {{ ref('persona_feature_profiles') }}

),

top_traits as (

    select
        segmentation_name,
        persona_id,
        {{ ordered_string_agg('trait', 'trait_rank', ', ') }} as top_traits

    from ranked_traits
    where trait_rank <= 3
    group by segmentation_name, persona_id

),

final as (

    select
        personas.segmentation_name,
        personas.persona_id,
        personas.persona_name,
        personas.cluster_id,
        cast(sizes.member_count as bigint) as member_count,
        sizes.member_count / sum(sizes.member_count) over (partition by personas.segmentation_name)
            as member_share,
        cast(sizes.excluded_member_count as bigint) as excluded_member_count,
        top_traits.top_traits,
        personas.description,
        personas.marketing_strategy,
        personas.match_score,
        personas.is_fallback_name,
        personas.identity_status,
        personas.model_version

    from personas
    inner join sizes
        on personas.segmentation_name = sizes.segmentation_name
            and personas.persona_id = sizes.persona_id
    left join top_traits
        on personas.segmentation_name = top_traits.segmentation_name
            and personas.persona_id = top_traits.persona_id

)

select * from final
