{#-
  Activity per customer and calendar month, for the cohort tables: invoices count a month in which the
  customer bought; clickstream a month in which the user visited (any event), with the revenue of its
  purchases. cohort_month is the customer's first active month.
-#}

with

activity as (

    select
        'invoices' as segmentation_name,
        customer_id,
        cast(date_trunc('month', purchase_date) as date) as activity_month,
        -- Decimal sums: a sum of doubles depends on the order threads add them in (bit-for-bit builds).
        cast(sum(cast(revenue as decimal(18, 4))) as double) as revenue
    from {{ ref('value_purchase_days') }}
    where segmentation_name = 'invoices'
    group by all

    union all

    -- From the partial aggregates (purchase revenue per user, day and session, exact decimals).
    select
        'clickstream' as segmentation_name,
        cast(user_id as bigint) as customer_id,
        cast(date_trunc('month', event_date) as date) as activity_month,
        coalesce(cast(sum(purchase_revenue) as double), 0) as revenue
    from {{ ref('int_clickstream_session_days') }}
    group by all

)

select
    *,
    min(activity_month) over (partition by segmentation_name, customer_id) as cohort_month
from activity
