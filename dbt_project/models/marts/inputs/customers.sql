-- One row per accepted customer: cleaned attributes, normalised categories and every data-quality flag.
{{ assert_quarantine_share_within_limit(
    ref('customer_quarantine'), ref('stg_smartcart__customers'), 'customers_file'
) }}

with

customers as (

    select * from {{ ref('int_customers_flagged') }}

),

final as (

    select
        customer_id,
        birth_year,
        education_level,
        marital_status,
        lives_with_partner,
        income,
        kids_at_home_count,
        teens_at_home_count,
        enrolled_date,
        recency_days,
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
        accepted_campaign_1,
        accepted_campaign_2,
        accepted_campaign_3,
        accepted_campaign_4,
        accepted_campaign_5,
        accepted_last_campaign,
        complained_flag = 1 as has_complained,
        as_of_date,
        is_income_imputed,
        is_implausible_birth_year,
        is_extreme_income,
        is_duplicate_profile,
        duplicate_of_customer_id,
        is_excluded_from_fit,
        {{ join_array('fit_exclusion_reasons', ',') }} as fit_exclusion_reasons

    from customers

)

select * from final
