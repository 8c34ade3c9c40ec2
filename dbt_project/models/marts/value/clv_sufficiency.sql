{#-
  The data-sufficiency check of the value models, per source of purchases, before anything is fitted.
  A repeat-purchase model learns how often customers come back and when they stop: with a span of a few
  days or hours, or hardly anyone buying twice, its predictions mean nothing. Such a source gets
  is_sufficient = false, a message saying what is missing, and no CLV figures (the fit skips it). The
  thresholds are the vars clv_min_span_days, clv_min_customers and clv_min_repeat_share. A calibration
  period that leaves no holdout, or fewer than 10 repeat buyers before it, also fails: the models could not
  be fitted or checked.
-#}

with

customer_days as (

    select
        purchase_days.segmentation_name,
        purchase_days.customer_id,
        count(*) as purchase_days,
        count(*) filter (where purchase_days.purchase_date < windows.calibration_end_date) as calibration_days
    from {{ ref('value_purchase_days') }} as purchase_days
    inner join {{ ref('value_observation_windows') }} as windows using (segmentation_name)
    group by purchase_days.segmentation_name, purchase_days.customer_id

),

counts as (

    select
        segmentation_name,
        count(*) as customers,
        count(*) filter (where purchase_days > 1) as repeat_customers,
        count(*) filter (where calibration_days > 0) as calibration_customers,
        count(*) filter (where calibration_days > 1) as calibration_repeat_customers
    from customer_days
    group by segmentation_name

),

checked as (

    select
        windows.segmentation_name,
        windows.first_purchase_date,
        windows.observation_end_date,
        windows.calibration_end_date,
        windows.observed_days,
        windows.holdout_days,
        counts.customers,
        counts.repeat_customers,
        counts.repeat_customers / counts.customers as repeat_share,
        counts.calibration_customers,
        counts.calibration_repeat_customers,
        {{ array_of([
            "case when windows.observed_days < " ~ var('clv_min_span_days') ~ " then 'the purchases span '
                || windows.observed_days || ' days; at least " ~ var('clv_min_span_days') ~ " are needed to see customers come back' end",
            "case when counts.customers < " ~ var('clv_min_customers') ~ " then 'only ' || counts.customers
                || ' customers bought; at least " ~ var('clv_min_customers') ~ " are needed' end",
            "case when counts.repeat_customers / counts.customers < " ~ var('clv_min_repeat_share') ~ " then 'only '
                || " ~ format_number('100 * counts.repeat_customers / counts.customers', 1) ~ " || '% of customers bought on more than one day; at least "
                ~ (100 * var('clv_min_repeat_share')) ~ "% are needed' end",
            "case when windows.holdout_days <= 0 or windows.calibration_end_date <= windows.first_purchase_date
                then 'the calibration end ' || windows.calibration_end_date || ' leaves no period to fit or to check on' end",
            "case when counts.calibration_repeat_customers < 10 then 'only ' || counts.calibration_repeat_customers
                || ' customers bought on more than one day before the calibration end; the models need at least 10' end",
        ]) }} as problems
    from {{ ref('value_observation_windows') }} as windows
    inner join counts using (segmentation_name)

)

select
    {{ star_except(['problems']) }},
    {{ array_length(drop_nulls('problems')) }} = 0 as is_sufficient,
    case
        when {{ array_length(drop_nulls('problems')) }} = 0
            then 'enough history for customer value: ' || observed_days || ' days, '
                || {{ format_number('100 * repeat_share', 0) }} || '% repeat customers'
        else 'no customer value figures: '
            || {{ join_array(drop_nulls('problems'), '; ') }}
    end as message
from checked
