{#-
  One row per customer with at least one sale or cancellation line: the RFM measures and the behaviour
  around them, as of the var as_of_date (default: the day after the last invoice; never today's date).
  Monetary is net of returns. Customers with no sale in the file, or a net monetary of zero or less
  (returns of goods bought before the file starts), cannot be placed on the RFM axes: they are kept,
  flagged is_excluded_from_fit, left out of the fit and the RFM quintiles, and still scored by the model.
  Skewed measures (frequency, monetary, ...) are log-transformed for modelling by the engine (ml/), which
  records the transformed features in the model sidecar; this table keeps the business units.
-#}

with

lines as (

    select * from {{ ref('invoice_lines') }}
    where is_customer_feature_line

),

reference_date as (

    select {{ as_of_date(ref('invoice_lines'), 'invoice_date') }} as as_of_date

),

country_counts as (

    select
        customer_id,
        country,
        count(*) as line_count
    from lines
    group by customer_id, country

),

home_country as (

    -- The country of most of the customer's lines; ties go to the first name alphabetically.
    select
        customer_id,
        country
    from country_counts
    qualify row_number() over (partition by customer_id order by line_count desc, country asc) = 1

),

per_customer as (

    select
        customer_id,
        count(distinct invoice_no) filter (where line_category = 'sale') as frequency,
        count(distinct invoice_no) filter (where line_category = 'cancellation') as cancelled_invoice_count,
        coalesce(sum(line_revenue) filter (where line_category = 'sale'), 0) as gross_revenue,
        coalesce(-sum(line_revenue) filter (where line_category = 'cancellation'), 0) as returned_revenue,
        sum(line_revenue) as net_revenue,
        coalesce(sum(quantity) filter (where line_category = 'sale'), 0) as units_bought,
        count(distinct stock_code) filter (where line_category = 'sale') as distinct_products,
        count(*) filter (where line_category = 'cancellation') / count(*) as return_rate,
        min(invoice_date) filter (where line_category = 'sale') as first_order_date,
        max(invoice_date) filter (where line_category = 'sale') as last_order_date,
        min(invoice_date) as first_activity_date,
        max(invoice_date) as last_activity_date

    from lines
    group by customer_id

),

final as (

    select
        per_customer.customer_id,
        home_country.country,
        reference_date.as_of_date,
        per_customer.first_order_date,
        per_customer.last_order_date,
        -- Days as double in every source (clickstream counts fractions of a day): one type per concept.
        cast({{ days_between(
            'coalesce(per_customer.last_order_date, per_customer.last_activity_date)', 'reference_date.as_of_date'
        ) }} as double) as recency_days,
        per_customer.frequency,
        cast(per_customer.net_revenue as double) as monetary,
        cast({{ days_between('per_customer.first_activity_date', 'reference_date.as_of_date') }} as integer)
            as tenure_days,
        cast(per_customer.gross_revenue as double) as gross_revenue,
        cast(per_customer.returned_revenue as double) as returned_revenue,
        -- Divided as doubles: decimal division rounds differently on DuckDB and Spark.
        coalesce(cast(per_customer.gross_revenue as double) / nullif(per_customer.frequency, 0), 0)
            as average_order_value,
        cast(per_customer.units_bought as bigint) as units_bought,
        per_customer.distinct_products,
        per_customer.cancelled_invoice_count,
        cast(per_customer.return_rate as double) as return_rate,
        per_customer.frequency = 0 or per_customer.net_revenue <= 0 as is_excluded_from_fit,
        case
            when per_customer.frequency = 0 then 'no_sale_in_period'
            when per_customer.net_revenue <= 0 then 'net_revenue_not_positive'
        end as fit_exclusion_reason

    from per_customer
    inner join home_country
        on per_customer.customer_id = home_country.customer_id
    cross join reference_date

)

select * from final
