-- One row per raw row that failed a row-level rule, with its reason codes. These rows are neither fitted
-- nor scored; they are kept whole so an analyst can see and fix them at the source.

with

validated as (

    select * from {{ ref('int_customers_validated') }}

),

quarantined as (

    select
        customer_id,
        {{ join_array('quarantine_reasons', ',') }} as quarantine_reasons,
        {{ array_length('quarantine_reasons') }} as quarantine_reason_count,
        as_of_date,
        education_raw,
        marital_status_raw,
        birth_year,
        income,
        enrolled_date,
        spend_wines,
        spend_fruits,
        spend_meat,
        spend_fish,
        spend_sweets,
        spend_gold,
        purchases_deals,
        purchases_web,
        purchases_catalog,
        purchases_store,
        web_visits_last_month,
        recency_days

    from validated
    where is_quarantined

)

select * from quarantined
