{#-
  Accepted rows only. Imputes missing income with the median, flags implausible values and duplicated
  profiles, and says why a row is left out of model fitting. Nothing is dropped here: flagged customers
  stay in every customer table and are still given their nearest persona after the fit.
-#}
{%- set profile_columns = ['birth_year', 'education_raw', 'marital_status_raw', 'income', 'kids_at_home_count',
    'teens_at_home_count', 'enrolled_date', 'recency_days', 'spend_wines', 'spend_fruits', 'spend_meat',
    'spend_fish', 'spend_sweets', 'spend_gold', 'purchases_deals', 'purchases_web', 'purchases_catalog',
    'purchases_store', 'web_visits_last_month', 'accepted_campaign_1', 'accepted_campaign_2',
    'accepted_campaign_3', 'accepted_campaign_4', 'accepted_campaign_5', 'accepted_last_campaign',
    'complained_flag'] -%}

with

accepted as (

    select * from {{ ref('int_customers_validated') }}
    where not is_quarantined

),

income_statistics as (

    select
        {{ median('income') }} as income_median,
        {{ quantile_cont('income', 0.25) }} as income_q1,
        {{ quantile_cont('income', 0.75) }} as income_q3

    from accepted
    where income is not null

),

flagged as (

    select
        {{ star_except(['income', 'is_quarantined', 'quarantine_reasons'], 'accepted') }},
        coalesce(accepted.income, income_statistics.income_median) as income,
        accepted.income is null as is_income_imputed,
        accepted.birth_year < {{ var('min_plausible_birth_year') }} as is_implausible_birth_year,
        coalesce(
            accepted.income > income_statistics.income_q3
            + {{ var('income_outlier_iqr_multiplier') }}
            * (income_statistics.income_q3 - income_statistics.income_q1),
            false
        ) as is_extreme_income,
        -- Exact duplicates under different ids: the lowest id is kept for fitting, the others are flagged
        -- so that one household is not weighted twice.
        min(accepted.customer_id) over (partition by {{ profile_columns | join(', ') }})
            as duplicate_of_customer_id,
        count(*) over (partition by {{ profile_columns | join(', ') }}) > 1 as has_duplicate_profile

    from accepted
    cross join income_statistics

),

with_reasons as (

    select
        {{ star_except(['duplicate_of_customer_id']) }},
        case
            when duplicate_of_customer_id <> customer_id then duplicate_of_customer_id
        end as duplicate_of_customer_id,
        duplicate_of_customer_id <> customer_id as is_duplicate_profile,
        {% call non_null_array() %}
            case when is_implausible_birth_year then 'implausible_birth_year' end,
            case when is_extreme_income then 'extreme_income' end,
            case when duplicate_of_customer_id <> customer_id then 'duplicate_profile' end
        {% endcall %} as fit_exclusion_reasons

    from flagged

)

select
    *,
    {{ array_length('fit_exclusion_reasons') }} > 0 as is_excluded_from_fit

from with_reasons
