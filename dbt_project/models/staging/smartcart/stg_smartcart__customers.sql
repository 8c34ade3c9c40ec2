{#- The input gate runs first: a file that cannot be trusted stops the build here, naming file and column. -#}
{{ assert_source_file_is_valid('smartcart', 'customers', key_column='ID') }}

with

source as (

    select * from {{ source('smartcart', 'customers') }}

),

renamed as (

    select
        -- ids
        {{ cast_from_source('smartcart', 'customers', 'ID') }} as customer_id,

        -- strings
        {{ cast_from_source('smartcart', 'customers', 'Education') }} as education_raw,
        {{ cast_from_source('smartcart', 'customers', 'Marital_Status') }} as marital_status_raw,

        -- numerics
        {{ cast_from_source('smartcart', 'customers', 'Year_Birth') }} as birth_year,
        {{ cast_from_source('smartcart', 'customers', 'Income') }} as income,
        {{ cast_from_source('smartcart', 'customers', 'Kidhome') }} as kids_at_home_count,
        {{ cast_from_source('smartcart', 'customers', 'Teenhome') }} as teens_at_home_count,
        {{ cast_from_source('smartcart', 'customers', 'Recency') }} as recency_days,
        {{ cast_from_source('smartcart', 'customers', 'MntWines') }} as spend_wines,
        {{ cast_from_source('smartcart', 'customers', 'MntFruits') }} as spend_fruits,
        {{ cast_from_source('smartcart', 'customers', 'MntMeatProducts') }} as spend_meat,
        {{ cast_from_source('smartcart', 'customers', 'MntFishProducts') }} as spend_fish,
        {{ cast_from_source('smartcart', 'customers', 'MntSweetProducts') }} as spend_sweets,
        {{ cast_from_source('smartcart', 'customers', 'MntGoldProds') }} as spend_gold,
        {{ cast_from_source('smartcart', 'customers', 'NumDealsPurchases') }} as purchases_deals,
        {{ cast_from_source('smartcart', 'customers', 'NumWebPurchases') }} as purchases_web,
        {{ cast_from_source('smartcart', 'customers', 'NumCatalogPurchases') }} as purchases_catalog,
        {{ cast_from_source('smartcart', 'customers', 'NumStorePurchases') }} as purchases_store,
        {{ cast_from_source('smartcart', 'customers', 'NumWebVisitsMonth') }} as web_visits_last_month,
        {{ cast_from_source('smartcart', 'customers', 'AcceptedCmp1') }} as accepted_campaign_1,
        {{ cast_from_source('smartcart', 'customers', 'AcceptedCmp2') }} as accepted_campaign_2,
        {{ cast_from_source('smartcart', 'customers', 'AcceptedCmp3') }} as accepted_campaign_3,
        {{ cast_from_source('smartcart', 'customers', 'AcceptedCmp4') }} as accepted_campaign_4,
        {{ cast_from_source('smartcart', 'customers', 'AcceptedCmp5') }} as accepted_campaign_5,
        {{ cast_from_source('smartcart', 'customers', 'Response') }} as accepted_last_campaign,
        {{ cast_from_source('smartcart', 'customers', 'Complain') }} as complained_flag,
        -- Z_CostContact and Z_Revenue are dropped: constant by design (tested on the source).

        -- dates
        {{ cast_from_source('smartcart', 'customers', 'Dt_Customer') }} as enrolled_date

    from source

)

select * from renamed
