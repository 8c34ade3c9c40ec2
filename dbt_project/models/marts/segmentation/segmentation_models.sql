-- One row per fitted model of every segmentation: when and why it was fitted, on how many rows, which k
-- and why, its quality metrics and artifact. is_active_model marks the model each segmentation scores with.

with

model_rows as (

    select * from {{ ref('segmentation_fits') }}
    where section = 'model'

),

pivoted as (

    select
        segmentation_name,
        model_version,
        fit_sequence,
        max(case when item = 'fitted_at' then text end) as fitted_at_text,
        max(case when item = 'fit_seconds' then value end) as fit_seconds,
        max(case when item = 'refit_reason' then text end) as refit_reason,
        max(case when item = 'previous_model_version' then text end) as previous_model_version,
        max(case when item = 'k' then value end) as k,
        max(case when item = 'k_rule' then text end) as k_rule,
        max(case when item = 'rows_available' then value end) as rows_available,
        max(case when item = 'rows_fitted' then value end) as rows_fitted,
        max(case when item = 'inertia' then value end) as inertia,
        max(case when item = 'silhouette' then value end) as silhouette,
        max(case when item = 'calinski_harabasz' then value end) as calinski_harabasz,
        max(case when item = 'davies_bouldin' then value end) as davies_bouldin,
        max(case when item = 'stability_ari' then value end) as stability_ari,
        max(case when item = 'ward_agreement_ari' then value end) as ward_agreement_ari,
        max(case when item = 'explained_variance_total' then value end) as explained_variance_total,
        max(case when item = 'mean_distance_to_centroid' then value end) as mean_distance_to_centroid,
        max(case when item = 'low_margin_share' then value end) as low_margin_share,
        max(case when item = 'configuration' then text end) as configuration,
        max(case when item = 'sample_fingerprint' then text end) as sample_fingerprint,
        max(case when item = 'artifact_sha256' then text end) as artifact_sha256,
        max(case when item = 'artifact_path' then text end) as artifact_path,
        max(case when item = 'library_versions' then text end) as library_versions,
        max(case when item = 'data_warnings' then text end) as data_warnings

    from model_rows
    group by segmentation_name, model_version, fit_sequence

)

select
    segmentation_name,
    model_version,
    cast(fit_sequence as bigint) as fit_sequence,
    fit_sequence = max(fit_sequence) over (partition by segmentation_name) as is_active_model,
    cast(fitted_at_text as timestamp) as fitted_at,
    fit_seconds,
    refit_reason,
    previous_model_version,
    cast(k as integer) as k,
    k_rule,
    cast(rows_available as bigint) as rows_available,
    cast(rows_fitted as bigint) as rows_fitted,
    inertia,
    silhouette,
    calinski_harabasz,
    davies_bouldin,
    stability_ari,
    ward_agreement_ari,
    explained_variance_total,
    mean_distance_to_centroid,
    low_margin_share,
    configuration,
    sample_fingerprint,
    artifact_sha256,
    artifact_path,
    library_versions,
    coalesce(data_warnings, '') as data_warnings

from pivoted
