{#-
  Predicted value and churn risk of every customer of every source with enough history (clv_sufficiency),
  scored in SQL from the final fit (clv_parameters, fitted_on = 'all data'):
  - expected_purchases: repeat purchase days in the next var clv_horizon_days;
  - probability_alive: that the customer has not silently left; churn_risk = 1 - probability_alive,
    banded low / medium / high at var churn_risk_thresholds, or unknown when the data showed no drop-out and
    the fit fell back to NBD (clv_parameters.model = 'nbd': the span is too short to see anyone leave);
  - expected_order_value: Gamma-Gamma, the customer's mean repeat spend pulled towards the population;
  - predicted_clv: expected purchases month by month over the horizon, times the expected order value,
    discounted at var clv_annual_discount_rate;
  - value_tier: rank of predicted_clv within the source (ties by customer id).
  Times are in weeks (frequency, recency and age as in clv_summaries).
-#}

{%- set horizon_days = var('clv_horizon_days') -%}
{%- set steps = [1, (horizon_days / 30.4375) | round | int] | max -%}

with

customers as (

    {{ clv_fit_customers('all data') }}

),

-- The horizon in monthly steps: expected purchases at the end of each, for the discounting.
horizon_steps as (

    select
        customers.*,
        step,
        {{ horizon_days }} / cast(7 as double) * step / {{ steps }} as t
    from customers
    cross join (select {{ integer_series(1, steps + 1) }} as step) as steps

),

expected_by_step as (

    {{ conditional_expected_purchases('horizon_steps', ['segmentation_name', 'customer_id', 'step']) }}

),

discounted as (

    select
        segmentation_name,
        customer_id,
        max(expected_purchases) filter (where step = {{ steps }}) as expected_purchases,
        {{ exact_sum(
            '(expected_purchases - coalesce(previous_expected_purchases, 0)) / pow(1 + '
            ~ var('clv_annual_discount_rate') ~ ', step * ' ~ horizon_days ~ ' / ' ~ steps ~ ' / cast(365.25 as double))'
        ) }} as discounted_purchases
    from (
        select
            *,
            lag(expected_purchases) over (partition by segmentation_name, customer_id order by step)
                as previous_expected_purchases
        from expected_by_step
    ) as steps_with_previous
    group by segmentation_name, customer_id

),

scored as (

    select
        customers.segmentation_name,
        customers.customer_id,
        customers.x as frequency,
        customers.recency,
        customers.age,
        customers.first_purchase_date,
        customers.last_purchase_date,
        customers.mean_repeat_spend,
        {{ horizon_days }} as horizon_days,
        discounted.expected_purchases,
        1 / (1 + {{ dropout_odds(clv_model()) }}) as probability_alive,
        -- Gamma-Gamma: (gamma + x m) p / (p x + q - 1); m = 0 where there is no repeat purchase.
        (customers.gamma + customers.x * coalesce(customers.mean_repeat_spend, 0)) * customers.p
        / (customers.p * customers.x + customers.q - 1) as expected_order_value,
        discounted.discounted_purchases,
        -- Null under NBD: the fit found no drop-out.
        customers.a is null as is_dropout_unknown
    from customers
    inner join discounted using (segmentation_name, customer_id)

),

valued as (

    select
        {{ star_except(['discounted_purchases']) }},
        1 - probability_alive as churn_risk,
        discounted_purchases * expected_order_value as predicted_clv
    from scored

),

ranked as (

    select
        *,
        (row_number() over (partition by segmentation_name order by predicted_clv desc, customer_id asc) - 1)
        / count(*) over (partition by segmentation_name) as clv_rank_share
    from valued

)

select
    segmentation_name,
    customer_id,
    frequency,
    recency,
    age,
    first_purchase_date,
    last_purchase_date,
    mean_repeat_spend,
    horizon_days,
    expected_purchases,
    probability_alive,
    churn_risk,
    case
        -- Where the data showed no drop-out (a short span: nobody has been away long enough to tell), the
        -- model is NBD and everyone counts as active; that is no evidence of low churn: unknown.
        when is_dropout_unknown then 'unknown'
        when churn_risk >= {{ var('churn_risk_thresholds')['high'] }} then 'high'
        when churn_risk >= {{ var('churn_risk_thresholds')['medium'] }} then 'medium'
        else 'low'
    end as churn_risk_band,
    expected_order_value,
    predicted_clv,
    case
        when clv_rank_share < 0.01 then 'top 1%'
        when clv_rank_share < 0.05 then 'top 1-5%'
        when clv_rank_share < 0.10 then 'top 5-10%'
        when clv_rank_share < 0.25 then 'top 10-25%'
        when clv_rank_share < 0.50 then 'top 25-50%'
        else 'bottom 50%'
    end as value_tier
from ranked
