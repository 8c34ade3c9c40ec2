-- For every segmentation of the registry: persona sizes add up to the members scored, shares add up to 1.

with

profiles as (

    select
        segmentation_name,
        sum(member_count) as members_in_profiles,
        sum(member_share) as share_total
    from {{ ref('persona_profiles') }}
    group by segmentation_name

),

scored as (

    {% for name, entry in segmentations().items() -%}
    select '{{ name }}' as segmentation_name, count(*) as members_scored from {{ ref(entry.members_model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select *
from scored
left join profiles
    on scored.segmentation_name = profiles.segmentation_name
where profiles.members_in_profiles is null
    or profiles.members_in_profiles <> scored.members_scored
    or abs(profiles.share_total - 1) > 1e-9
