{#-
  Row-level rules: a value that cannot be right while the file as a whole is usable. Every rule that fires
  adds a reason code; a row with any reason goes to customer_quarantine and is neither fitted nor scored.
  Values that can be right but are implausible (birth year before 1900, extreme income) are not here:
  they are flagged in int_customers_flagged. docs/data_quality.md explains where the line lies.
-#}
{%- set spend_columns = ['spend_wines', 'spend_fruits', 'spend_meat', 'spend_fish', 'spend_sweets', 'spend_gold'] -%}
{%- set count_columns = ['kids_at_home_count', 'teens_at_home_count', 'recency_days', 'purchases_deals',
    'purchases_web', 'purchases_catalog', 'purchases_store', 'web_visits_last_month'] -%}
{%- set flag_columns = ['accepted_campaign_1', 'accepted_campaign_2', 'accepted_campaign_3',
    'accepted_campaign_4', 'accepted_campaign_5', 'accepted_last_campaign', 'complained_flag'] -%}

with

customers as (

    select * from {{ ref('int_customers_normalised') }}

),

reference_date as (

    select {{ as_of_date(ref('stg_smartcart__customers'), 'enrolled_date') }} as as_of_date

),

checked as (

    select
        customers.*,
        reference_date.as_of_date,
        {% call non_null_array() %}
            case when customer_id is null then 'missing_customer_id' end,
            case when birth_year is null then 'missing_birth_year' end,
            case when enrolled_date is null then 'missing_enrolled_date' end,
            case when education_raw is null then 'missing_education' end,
            case when marital_status_raw is null then 'missing_marital_status' end,
            case when education_raw is not null and education_level is null then 'unknown_education' end,
            case
                when marital_status_raw is not null and marital_status is null then 'unknown_marital_status'
            end,
            case
                when {{ spend_columns | join(' is null or ') }} is null
                    or {{ count_columns | join(' is null or ') }} is null
                    or {{ flag_columns | join(' is null or ') }} is null
                    then 'missing_value'
            end,
            case when {{ spend_columns | join(' < 0 or ') }} < 0 then 'negative_spend' end,
            case when {{ count_columns | join(' < 0 or ') }} < 0 then 'negative_count' end,
            case when {{ flag_columns | join(' not in (0, 1) or ') }} not in (0, 1) then 'invalid_flag_value' end,
            case when birth_year > year(reference_date.as_of_date) then 'birth_year_after_as_of_date' end,
            case when enrolled_date > reference_date.as_of_date then 'enrolled_after_as_of_date' end
        {% endcall %} as quarantine_reasons

    from customers
    cross join reference_date

)

select
    *,
    {{ array_length('quarantine_reasons') }} > 0 as is_quarantined

from checked
