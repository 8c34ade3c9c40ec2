-- One row per accepted customer: the model-ready features of the customer profile segmentation.
-- Every time-based feature is relative to as_of_date (dbt var), never to today.

with

customers as (

    select * from {{ ref('customers') }}

),

totals as (

    select
        *,
        spend_wines + spend_fruits + spend_meat + spend_fish + spend_sweets + spend_gold as spend_total,
        purchases_web + purchases_catalog + purchases_store as purchases_total,
        kids_at_home_count + teens_at_home_count as children_count

    from customers

),

features as (

    select
        -- ids
        customer_id,

        -- demographics
        cast(year(as_of_date) - birth_year as integer) as age_years,
        cast({{ days_between('enrolled_date', 'as_of_date') }} as integer) as tenure_days,
        cast(income as double) as income,
        education_level,
        lives_with_partner,
        cast(children_count as integer) as children_count,
        children_count > 0 as is_parent,
        cast(1 + cast(lives_with_partner as integer) + children_count as integer) as household_size,

        -- spend
        cast(spend_total as double) as spend_total,
        cast(spend_wines as double) as spend_wines,
        cast(spend_gold as double) as spend_gold,
        {% for category in ['wines', 'fruits', 'meat', 'fish', 'sweets', 'gold'] -%}
        case when spend_total > 0 then spend_{{ category }} / spend_total else 0 end
            as spend_{{ category }}_share,
        {% endfor %}

        -- purchases and channels
        cast(purchases_total as integer) as purchases_total,
        cast(purchases_catalog as integer) as purchases_catalog,
        {% for channel in ['web', 'catalog', 'store'] -%}
        case when purchases_total > 0 then purchases_{{ channel }} / purchases_total else 0 end
            as purchases_{{ channel }}_share,
        {% endfor %}
        -- Deals are counted across channels; a few exports report more deals than purchases, so cap at 1.
        case when purchases_total > 0 then least(1.0, purchases_deals / purchases_total) else 0 end
            as deal_purchases_share,
        cast(web_visits_last_month as integer) as web_visits_per_month,

        -- engagement
        cast(
            accepted_campaign_1 + accepted_campaign_2 + accepted_campaign_3 + accepted_campaign_4
            + accepted_campaign_5 + accepted_last_campaign as integer
        ) as campaigns_accepted,
        has_complained,
        cast(recency_days as double) as recency_days,

        -- flags
        is_income_imputed,
        is_excluded_from_fit,
        as_of_date

    from totals

)

select * from features
