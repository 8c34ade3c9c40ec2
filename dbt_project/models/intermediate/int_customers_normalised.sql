-- Maps the free-form Education and Marital_Status values onto the normalised categories of the seeds.
-- A left join keeps every row: a value the seeds do not know stays null and is quarantined downstream.

with

customers as (

    select * from {{ ref('stg_smartcart__customers') }}

),

education as (

    select * from {{ ref('education_mapping') }}

),

marital_status as (

    select * from {{ ref('marital_status_mapping') }}

),

normalised as (

    select
        customers.*,
        education.education_level,
        education.education_rank,
        marital_status.marital_status,
        marital_status.lives_with_partner

    from customers
    left join education
        on lower(customers.education_raw) = lower(education.raw_value)
    left join marital_status
        on lower(customers.marital_status_raw) = lower(marital_status.raw_value)

)

select * from normalised
