{#- The fitted value models (clv_fits, the Python fit) with their contract: see the model's YAML. -#}

select
    cast(segmentation_name as string) as segmentation_name,
    cast(fitted_on as string) as fitted_on,
    cast(model as string) as model,
    cast(parameter as string) as parameter,
    cast(value as double) as value,
    cast(time_unit as string) as time_unit,
    cast(time_unit_days as integer) as time_unit_days,
    cast(calibration_end_date as date) as calibration_end_date,
    cast(observation_end_date as date) as observation_end_date,
    cast(customers as bigint) as customers,
    cast(log_likelihood as double) as log_likelihood,
    -- The settings customer_value scores with, so a reader of the published file (the API) scores the same.
    cast({{ var('clv_horizon_days') }} as integer) as horizon_days,
    cast({{ var('clv_annual_discount_rate') }} as double) as annual_discount_rate,
    cast({{ var('churn_risk_thresholds')['medium'] }} as double) as churn_risk_medium,
    cast({{ var('churn_risk_thresholds')['high'] }} as double) as churn_risk_high
from {{ ref('clv_fits') }}
