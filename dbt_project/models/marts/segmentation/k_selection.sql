-- The evidence for the number of segments: one row per model and candidate k, with inertia (elbow),
-- silhouette, Calinski-Harabasz, Davies-Bouldin, bootstrap stability of the partition (ARI) and of its least
-- stable segment (Jaccard); is_chosen marks the model's k.

with

fits as (

    select * from {{ ref('segmentation_fits') }}

),

chosen as (

    select
        segmentation_name,
        model_version,
        fit_sequence,
        cast(value as integer) as chosen_k
    from fits
    where section = 'model' and item = 'k'

),

metrics as (

    select
        segmentation_name,
        model_version,
        cast(k as integer) as k,
        max(case when item = 'inertia' then value end) as inertia,
        max(case when item = 'silhouette' then value end) as silhouette,
        max(case when item = 'calinski_harabasz' then value end) as calinski_harabasz,
        max(case when item = 'davies_bouldin' then value end) as davies_bouldin,
        max(case when item = 'stability_ari' then value end) as stability_ari,
        max(case when item = 'stability_ari_std' then value end) as stability_ari_std,
        max(case when item = 'min_cluster_jaccard' then value end) as min_cluster_jaccard

    from fits
    where section = 'k_selection'
    group by segmentation_name, model_version, k

)

select
    metrics.segmentation_name,
    metrics.model_version,
    chosen.fit_sequence = max(chosen.fit_sequence) over (partition by metrics.segmentation_name)
        as is_active_model,
    metrics.k,
    metrics.inertia,
    metrics.silhouette,
    metrics.calinski_harabasz,
    metrics.davies_bouldin,
    metrics.stability_ari,
    metrics.stability_ari_std,
    metrics.min_cluster_jaccard,
    metrics.k = chosen.chosen_k as is_chosen

from metrics
inner join chosen
    on metrics.segmentation_name = chosen.segmentation_name
        and metrics.model_version = chosen.model_version
