{#-
  The tracking plot of the holdout check: per week since the first purchase of the source, the cumulative
  repeat purchases of the calibration customers, actual and as the calibration fit expects them (each
  customer's expected repeat purchases since their own first purchase, summed). The weeks before the
  calibration end show the fit; the weeks after it, the forecast (is_holdout).
-#}

with

parameters as (

    {{ clv_parameter_columns('calibration') }}

),

calibration_customers as (

    select
        segmentation_name,
        customer_id,
        first_purchase_date
    from {{ ref('clv_summaries') }}
    where fitted_on = 'calibration'

),

weeks as (

    select
        {{ star_except(['window_first_purchase_date'], 'numbered') }},
        least(numbered.window_first_purchase_date + cast(7 * numbered.week as integer), numbered.observation_end_date)
            as week_end_date
    from (
        select
            parameters.*,
            windows.first_purchase_date as window_first_purchase_date,
            {{ integer_series(1, 'cast(ceil(windows.observed_days / cast(7 as double)) as bigint) + 1') }} as week
        from parameters
        inner join {{ ref('value_observation_windows') }} as windows
            on parameters.segmentation_name = windows.segmentation_name
    ) as numbered

),

-- Customers by first purchase day: the expectation depends only on the time since it.
cohorts as (

    select
        segmentation_name,
        first_purchase_date,
        count(*) as customers
    from calibration_customers
    group by all

),

-- Every week with every cohort that had started by its end, and the days between. Named columns, so that
-- the join with the expectations below is a plain equi-join (on an expression, the planner once chose a
-- join of billions of rows).
week_cohorts as (

    select
        weeks.segmentation_name,
        weeks.week,
        cohorts.customers,
        {{ days_between('cohorts.first_purchase_date', 'weeks.week_end_date') }} as elapsed_days,
        weeks.r,
        weeks.alpha,
        weeks.a,
        weeks.b
    from weeks
    inner join cohorts
        on cohorts.segmentation_name = weeks.segmentation_name
            and cohorts.first_purchase_date < weeks.week_end_date

),

elapsed as (

    select
        *,
        elapsed_days / cast(7 as double) as t
    from (
        select distinct
            segmentation_name,
            elapsed_days,
            r,
            alpha,
            a,
            b
        from week_cohorts
    ) as cohort_elapsed_days

),

expected as (

    {{ unconditional_expected_purchases('elapsed', ['segmentation_name', 'elapsed_days']) }}

),

predicted as (

    select
        week_cohorts.segmentation_name,
        week_cohorts.week,
        {{ exact_sum('week_cohorts.customers * expected.expected_purchases') }} as predicted_cumulative_repeat_purchases
    from week_cohorts
    inner join expected using (segmentation_name, elapsed_days)
    group by week_cohorts.segmentation_name, week_cohorts.week

),

-- Repeat purchases per week, then a running sum: a join of every week with every earlier purchase would
-- cost weeks x purchases (minutes at millions of purchase days).
repeat_purchases_by_week as (

    select
        purchase_days.segmentation_name,
        cast(floor({{ days_between('windows.first_purchase_date', 'purchase_days.purchase_date') }} / 7) as bigint) + 1
            as week,
        count(*) as repeat_purchases
    from {{ ref('value_purchase_days') }} as purchase_days
    inner join {{ ref('value_observation_windows') }} as windows using (segmentation_name)
    inner join calibration_customers
        on calibration_customers.segmentation_name = purchase_days.segmentation_name
            and calibration_customers.customer_id = purchase_days.customer_id
            and purchase_days.purchase_date > calibration_customers.first_purchase_date
    where purchase_days.purchase_date < windows.observation_end_date
    group by all

),

actual as (

    select
        weeks.segmentation_name,
        weeks.week,
        sum(coalesce(repeat_purchases_by_week.repeat_purchases, 0)) over (
            partition by weeks.segmentation_name order by weeks.week rows unbounded preceding
        ) as actual_cumulative_repeat_purchases
    from weeks
    left join repeat_purchases_by_week using (segmentation_name, week)

)

select
    weeks.segmentation_name,
    weeks.week,
    weeks.week_end_date,
    weeks.week_end_date > weeks.calibration_end_date as is_holdout,
    cast(actual.actual_cumulative_repeat_purchases as bigint) as actual_cumulative_repeat_purchases,
    coalesce(predicted.predicted_cumulative_repeat_purchases, 0) as predicted_cumulative_repeat_purchases
from weeks
inner join actual using (segmentation_name, week)
left join predicted using (segmentation_name, week)
