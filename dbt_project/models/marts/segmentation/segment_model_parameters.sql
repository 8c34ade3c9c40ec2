-- The fitted models as data: one row per parameter of every model (log1p flags, scaler centres and scales,
-- one-hot categories, PCA means and loadings, centroids, the outlier distance threshold). The macro
-- score_segments turns the active model's rows into one SQL query (docs/modelling.md).

with

parameters as (

    select * from {{ ref('segmentation_fits') }}
    where section = 'parameter'

),

active as (

    select
        segmentation_name,
        max(fit_sequence) as active_sequence
    from {{ ref('segmentation_fits') }}
    group by segmentation_name

)

select
    parameters.segmentation_name,
    parameters.model_version,
    parameters.fit_sequence = active.active_sequence as is_active_model,
    parameters.item as parameter,
    parameters.feature_name,
    parameters.category_value,
    cast(parameters.input_index as integer) as input_index,
    cast(parameters.component_index as integer) as component_index,
    cast(parameters.cluster_id as integer) as cluster_id,
    parameters.value

from parameters
inner join active
    on parameters.segmentation_name = active.segmentation_name
