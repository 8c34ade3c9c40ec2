-- Other algorithms on the same model inputs as evidence for the K-Means segments of every model: the
-- Gaussian mixture (components by BIC), Ward (cut at the K-Means k) and HDBSCAN (its own groups, the rest
-- noise), each with its number of groups and its agreement (adjusted Rand index) with K-Means.

with

comparison_rows as (

    select * from {{ ref('segmentation_fits') }}
    where section = 'comparison'

),

pivoted as (

    select
        segmentation_name,
        model_version,
        fit_sequence,
        cast(input_index as integer) as algorithm_order,
        max(text) as algorithm,
        cast(max(case when item = 'groups' then value end) as integer) as groups_found,
        max(case when item = 'noise_share' then value end) as noise_share,
        max(case when item = 'ari_with_model' then value end) as ari_with_model,
        cast(max(case when item = 'points' then value end) as bigint) as points_compared

    from comparison_rows
    group by segmentation_name, model_version, fit_sequence, input_index

)

select
    segmentation_name,
    model_version,
    fit_sequence = max(fit_sequence) over (partition by segmentation_name) as is_active_model,
    algorithm_order,
    algorithm,
    groups_found,
    noise_share,
    ari_with_model,
    points_compared

from pivoted
