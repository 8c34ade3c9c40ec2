-- Which persona each cluster of every model is: the persona id (stable across refits while it describes the
-- same group), the name matched from the fit profile against the catalogue, description and strategy.

with

persona_rows as (

    select * from {{ ref('segmentation_fits') }}
    where section = 'persona' and cluster_id is not null

),

pivoted as (

    select
        segmentation_name,
        model_version,
        fit_sequence,
        cast(cluster_id as integer) as cluster_id,
        max(case when item = 'persona_id' then text end) as persona_id,
        max(case when item = 'persona_name' then text end) as persona_name,
        max(case when item = 'description' then text end) as description,
        max(case when item = 'marketing_strategy' then text end) as marketing_strategy,
        max(case when item = 'match_score' then value end) as match_score,
        max(case when item = 'is_fallback_name' then value end) = 1 as is_fallback_name,
        max(case when item = 'identity_status' then text end) as identity_status,
        max(case when item = 'identity_distance' then value end) as identity_distance,
        max(case when item = 'fit_share' then value end) as fit_share,
        max(case when item = 'naming_note' then text end) as naming_note

    from persona_rows
    group by segmentation_name, model_version, fit_sequence, cluster_id

)

select
    segmentation_name,
    model_version,
    fit_sequence = max(fit_sequence) over (partition by segmentation_name) as is_active_model,
    cluster_id,
    persona_id,
    persona_name,
    description,
    marketing_strategy,
    match_score,
    is_fallback_name,
    identity_status,
    identity_distance,
    fit_share,
    naming_note

from pivoted
