-- Where every line of the invoices file went: one row per fate (quarantined, or a line category) and
-- whether the line has a customer. The line counts sum to the lines of the file (tested).

with

classified as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

counted as (

    select
        coalesce(line_category, 'quarantined') as line_category,
        has_customer,
        count(*) as line_count,
        coalesce(sum(cast(quantity * unit_price as decimal(18, 4))) filter (where not is_quarantined), 0)
            as revenue,
        coalesce(line_category in ('sale', 'cancellation') and has_customer, false)
            as is_used_in_customer_features

    from classified
    group by all

)

select
    line_category,
    has_customer,
    is_used_in_customer_features,
    line_count,
    line_count / sum(line_count) over () as line_share,
    cast(round(revenue, 2) as decimal(38, 2)) as revenue

from counted
order by line_category, has_customer
