{#-
  The persona mix of each cohort: customers by first active month (cohort_activity) and their persona in
  this build, with the share of the cohort. Shows whether recent cohorts bring different customers.
-#}


with

cohorts as (

    select distinct
        segmentation_name,
        customer_id,
        cohort_month
    from {{ ref('cohort_activity') }}

),

members as (

    {{ value_source_members() }}

),

counts as (

    select
        cohorts.segmentation_name,
        cohorts.cohort_month,
        members.persona_id,
        any_value(members.persona_name) as persona_name,
        count(*) as customers
    from cohorts
    inner join members using (segmentation_name, customer_id)
    group by cohorts.segmentation_name, cohorts.cohort_month, members.persona_id

)

select
    segmentation_name,
    cohort_month,
    persona_id,
    persona_name,
    cast(customers as bigint) as customers,
    customers / sum(customers) over (partition by segmentation_name, cohort_month) as share_of_cohort
from counts
