-- Persona sizes add up to the customers scored and shares add up to 1.

with

profiles as (

    select
        sum(customer_count) as customers_in_profiles,
        sum(customer_share) as share_total
    from {{ ref('persona_profiles') }}

),

scored as (

    select count(*) as customers_scored from {{ ref('customer_personas') }}

)

select *
from profiles, scored
where customers_in_profiles <> customers_scored
    or abs(share_total - 1) > 1e-9
