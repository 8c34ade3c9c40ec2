-- How stable each persona of every model is: the mean bootstrap Jaccard similarity of its cluster
-- (clusterboot: refit on resamples, best-matching cluster's shared rows / rows in either), its lowest and
-- spread over the resamples, and the band it reads as. Personas below 0.75 are flagged in the report and
-- the dashboard (docs/modelling.md).

with

stability_rows as (

    select * from {{ ref('segmentation_fits') }}
    where section = 'stability'

),

pivoted as (

    select
        segmentation_name,
        model_version,
        cast(cluster_id as integer) as cluster_id,
        max(case when item = 'bootstrap_jaccard' then value end) as bootstrap_jaccard,
        max(case when item = 'bootstrap_jaccard_min' then value end) as bootstrap_jaccard_min,
        max(case when item = 'bootstrap_jaccard_std' then value end) as bootstrap_jaccard_std,
        cast(max(case when item = 'n_bootstrap' then value end) as integer) as n_bootstrap,
        max(case when item = 'stability_band' then text end) as stability_band

    from stability_rows
    group by segmentation_name, model_version, cluster_id

)

select
    personas.segmentation_name,
    personas.model_version,
    personas.is_active_model,
    personas.cluster_id,
    personas.persona_id,
    personas.persona_name,
    pivoted.bootstrap_jaccard,
    pivoted.bootstrap_jaccard_min,
    pivoted.bootstrap_jaccard_std,
    pivoted.n_bootstrap,
    pivoted.stability_band,
    pivoted.bootstrap_jaccard < 0.75 as is_flagged_unstable

from pivoted
inner join {{ ref('segment_personas') }} as personas
    on pivoted.segmentation_name = personas.segmentation_name
        and pivoted.model_version = personas.model_version
        and pivoted.cluster_id = personas.cluster_id
