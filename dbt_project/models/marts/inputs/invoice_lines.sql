{{ assert_quarantine_share_within_limit(ref('invoice_line_quarantine'), ref('stg_online_retail__invoice_lines'),
    'invoices_file', 'line_number', 'invoice_line_quarantine') }}
-- Every accepted invoice line (all but the quarantined ones), classified, with its revenue and whether it
-- counts toward customer features. Cancellation lines carry negative quantities, so their revenue is
-- negative and sums net of returns.

with

classified as (

    select * from {{ ref('int_invoice_lines_classified') }}
    where not is_quarantined

),

final as (

    select
        line_number,
        invoice_no,
        stock_code,
        customer_id,
        product_description,
        country,
        quantity,
        unit_price,
        invoiced_at,
        cast(invoiced_at as date) as invoice_date,
        -- Decimal, not double: sums of decimals are exact, so totals are bit-for-bit the same on every build.
        cast(quantity * unit_price as decimal(18, 4)) as line_revenue,
        line_category,
        service_category,
        has_customer,
        line_category in ('sale', 'cancellation') and has_customer as is_customer_feature_line

    from classified

)

select * from final
