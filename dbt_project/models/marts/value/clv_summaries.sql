{#-
  The inputs of the value models, per source and customer, twice: fitted_on = 'all data' (purchases before
  the observation end; the final model) and 'calibration' (purchases before the calibration end, with the
  repeat purchases after it as holdout_purchases; the check). In the notation of the literature:
  frequency x = purchase days after the first, recency t_x = first to last purchase day, age T = first
  purchase day to the end of the period, in weeks (time_unit_days = 7); mean_repeat_spend = mean revenue of
  the repeat purchase days (the first is left out, as Gamma-Gamma expects), null without one.
-#}

with

days as (

    select
        purchase_days.*,
        windows.calibration_end_date,
        windows.observation_end_date
    from {{ ref('value_purchase_days') }} as purchase_days
    inner join {{ ref('value_observation_windows') }} as windows using (segmentation_name)
    where purchase_days.purchase_date < windows.observation_end_date

),

periods as (

    select
        'all data' as fitted_on,
        *,
        observation_end_date as period_end_date,
        false as is_holdout
    from days
    union all
    select
        'calibration' as fitted_on,
        *,
        calibration_end_date as period_end_date,
        purchase_date >= calibration_end_date as is_holdout
    from days

),

per_customer as (

    select
        segmentation_name,
        fitted_on,
        customer_id,
        any_value(period_end_date) as period_end_date,
        min(purchase_date) filter (where not is_holdout) as first_purchase_date,
        max(purchase_date) filter (where not is_holdout) as last_purchase_date,
        count(*) filter (where not is_holdout) as purchase_days,
        -- Summed as decimals (the day revenues are sums of 4-place decimals): a sum of doubles depends on the
        -- order the threads add them in, and the build must give the same figures bit for bit.
        cast(sum(cast(revenue as decimal(18, 4))) filter (where not is_holdout) as double) as revenue,
        min_by(revenue, purchase_date) filter (where not is_holdout) as first_day_revenue,
        count(*) filter (where is_holdout) as holdout_purchases
    from periods
    group by segmentation_name, fitted_on, customer_id

)

select
    segmentation_name,
    fitted_on,
    customer_id,
    first_purchase_date,
    last_purchase_date,
    cast(purchase_days - 1 as bigint) as frequency,
    {{ days_between('first_purchase_date', 'last_purchase_date') }} / cast(7 as double) as recency,
    {{ days_between('first_purchase_date', 'period_end_date') }} / cast(7 as double) as age,
    case when purchase_days > 1 then (revenue - first_day_revenue) / (purchase_days - 1) end as mean_repeat_spend,
    revenue as period_revenue,
    cast(holdout_purchases as bigint) as holdout_purchases,
    7 as time_unit_days
from per_customer
-- Customers whose first purchase falls after the calibration end are not part of the calibration period.
where purchase_days > 0
