{#-
  Every invoice line with its fate. Row-level problems (a required value missing, a zero quantity) send the
  line to quarantine with reason codes. Every other line gets exactly one line_category, checked in this
  order (the first that applies wins):
    bad_debt_adjustment  InvoiceNo starts with 'A' (accounting entries, not customer behaviour)
    duplicate_line       an exact repeat of an earlier line of the file (all eight fields equal)
    service              a non-product stock code (seed non_product_stock_codes: postage, fees, ...)
    cancellation         InvoiceNo starts with 'C': goods returned or an order cancelled
    stock_adjustment     a negative quantity on an ordinary invoice (damaged, lost, recounted stock)
    zero_price           a product line at price 0 (free items, internal moves)
    negative_price       a product line at a negative price outside bad-debt adjustments
    sale                 everything else: a product sold at a positive price
  Customer features use sale and cancellation lines that carry a CustomerID; docs/invoices.md explains why.
  A table, not a view: three models read it, and the duplicate search should run once.
-#}
{{ config(materialized='table') }}

with

lines as (

    select * from {{ ref('stg_online_retail__invoice_lines') }}

),

service_codes as (

    select * from {{ ref('non_product_stock_codes') }}

),

-- Only the distinct codes that do not start with a digit are looked up: product codes (85123A, 22423)
-- never are services, and matching millions of lines against every pattern would cost seconds.
service_lookup as (

    select
        codes.stock_code,
        min(service_codes.service_category) as service_category

    from (
        select distinct stock_code
        from lines
        where stock_code is not null and not {{ regex_search('stock_code', "'^[0-9]'") }}
    ) as codes
    inner join service_codes
        on {{ regex_full_match('upper(codes.stock_code)', 'service_codes.stock_code_pattern') }}
    group by codes.stock_code

),

checked as (

    select
        lines.*,
        service_lookup.service_category,
        {% call non_null_array() %}
            case when lines.invoice_no is null then 'missing_invoice_no' end,
            case when lines.stock_code is null then 'missing_stock_code' end,
            case when lines.quantity is null then 'missing_quantity' end,
            case when lines.quantity = 0 then 'zero_quantity' end,
            case when lines.unit_price is null then 'missing_unit_price' end,
            case when lines.invoiced_at is null then 'missing_invoice_date' end
        {% endcall %} as quarantine_reason_list,
        -- Partitioning on one hash of the eight fields (plus the invoice) is several times faster than on
        -- the eight columns; a 64-bit collision between different lines of one invoice is not a concern.
        row_number() over (
            partition by
                lines.invoice_no, {{ row_hash([
                    'lines.stock_code', 'lines.product_description', 'lines.quantity',
                    'lines.invoiced_at', 'lines.unit_price', 'lines.customer_id', 'lines.country'
                ]) }}
            order by lines.line_number
        ) as occurrence

    from lines
    left join service_lookup
        on lines.stock_code = service_lookup.stock_code

),

classified as (

    select
        line_number,
        invoice_no,
        stock_code,
        customer_id,
        product_description,
        coalesce(country, 'Unspecified') as country,
        quantity,
        unit_price,
        invoiced_at,
        service_category,
        {{ join_array('quarantine_reason_list', ',') }} as quarantine_reasons,
        {{ array_length('quarantine_reason_list') }} > 0 as is_quarantined,
        case
            when {{ array_length('quarantine_reason_list') }} > 0 then null
            when upper(invoice_no) like 'A%' then 'bad_debt_adjustment'
            when occurrence > 1 then 'duplicate_line'
            when service_category is not null then 'service'
            when upper(invoice_no) like 'C%' then 'cancellation'
            when quantity < 0 then 'stock_adjustment'
            when unit_price = 0 then 'zero_price'
            when unit_price < 0 then 'negative_price'
            else 'sale'
        end as line_category,
        customer_id is not null as has_customer

    from checked

)

select * from classified
