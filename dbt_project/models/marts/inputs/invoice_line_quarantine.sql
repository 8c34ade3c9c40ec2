-- Invoice lines that cannot be used as they are, with the reasons (comma-separated codes). They are
-- counted in run_summary and invoice_line_accounting; fix the export and rebuild to bring them back.

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
    quarantine_reasons

from {{ ref('int_invoice_lines_classified') }}
where is_quarantined
