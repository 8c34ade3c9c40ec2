{#-
  Cohort retention: customers by the month of their first purchase (invoices) or visit (clickstream), and
  per month since then the share of the cohort active again and the revenue they brought. Month 0 is the
  first month (every customer of the cohort is active in it). A cohort whose later months lie beyond the
  data has no rows for them: no row means not observed, not zero.
-#}

with

activity as (

    select
        *,
        {{ months_between('cohort_month', 'activity_month') }} as months_since_first
    from {{ ref('cohort_activity') }}

),

cohort_sizes as (

    select
        segmentation_name,
        cohort_month,
        count(distinct customer_id) as cohort_customers
    from activity
    group by segmentation_name, cohort_month

)

select
    activity.segmentation_name,
    activity.cohort_month,
    cast(activity.months_since_first as bigint) as months_since_first,
    cast(cohort_sizes.cohort_customers as bigint) as cohort_customers,
    cast(count(distinct activity.customer_id) as bigint) as active_customers,
    count(distinct activity.customer_id) / cohort_sizes.cohort_customers as active_share,
    cast(sum(cast(activity.revenue as decimal(18, 4))) as double) as revenue,
    cast(sum(cast(activity.revenue as decimal(18, 4))) as double) / cohort_sizes.cohort_customers
        as revenue_per_cohort_customer
from activity
inner join cohort_sizes using (segmentation_name, cohort_month)
group by activity.segmentation_name, activity.cohort_month, activity.months_since_first, cohort_sizes.cohort_customers
