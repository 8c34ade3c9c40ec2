{#-
  The holdout check of the repeat-purchase model, built into every build: fitted on the purchases before
  the calibration end (clv_parameters, fitted_on = 'calibration'), it predicts each calibration customer's
  repeat purchases in the holdout period, compared with what they did. One row per number of repeat
  purchases in the calibration period (0 to 6, then '7+'), and one row 'all customers'. error =
  predicted - actual; relative_error = error / actual (null when actual is 0).
-#}

with

calibration as (

    select
        *,
        {{ days_between('calibration_end_date', 'observation_end_date') }} / cast(7 as double) as t
    from ({{ clv_fit_customers('calibration') }})

),

predicted as (

    {{ conditional_expected_purchases('calibration', ['segmentation_name', 'customer_id']) }}

),

customers as (

    select
        calibration.segmentation_name,
        calibration.customer_id,
        calibration.x,
        calibration.t,
        calibration.calibration_end_date,
        calibration.observation_end_date,
        calibration.holdout_purchases,
        predicted.expected_purchases
    from calibration
    inner join predicted using (segmentation_name, customer_id)

),

grouped as (

    select
        segmentation_name,
        least(x, 7) as group_order,
        case when x >= 7 then '7+' else cast(x as string) end as calibration_repeat_purchases,
        count(*) as customers,
        sum(holdout_purchases) as actual_repeat_purchases,
        {{ exact_sum('expected_purchases') }} as predicted_repeat_purchases,
        any_value(calibration_end_date) as calibration_end_date,
        any_value(observation_end_date) as observation_end_date
    from customers
    group by segmentation_name, least(x, 7), case when x >= 7 then '7+' else cast(x as string) end

    union all

    select
        segmentation_name,
        8 as group_order,
        'all customers' as calibration_repeat_purchases,
        count(*) as customers,
        sum(holdout_purchases) as actual_repeat_purchases,
        {{ exact_sum('expected_purchases') }} as predicted_repeat_purchases,
        any_value(calibration_end_date) as calibration_end_date,
        any_value(observation_end_date) as observation_end_date
    from customers
    group by segmentation_name

)

select
    grouped.segmentation_name,
    grouped.group_order,
    grouped.calibration_repeat_purchases,
    cast(grouped.customers as bigint) as customers,
    grouped.calibration_end_date,
    grouped.observation_end_date,
    {{ days_between('grouped.calibration_end_date', 'grouped.observation_end_date') }} as holdout_days,
    cast(grouped.actual_repeat_purchases as bigint) as actual_repeat_purchases,
    grouped.predicted_repeat_purchases,
    grouped.actual_repeat_purchases / grouped.customers as actual_per_customer,
    grouped.predicted_repeat_purchases / grouped.customers as predicted_per_customer,
    grouped.predicted_repeat_purchases - grouped.actual_repeat_purchases as error,
    (grouped.predicted_repeat_purchases - grouped.actual_repeat_purchases)
    / nullif(grouped.actual_repeat_purchases, 0) as relative_error
from grouped
