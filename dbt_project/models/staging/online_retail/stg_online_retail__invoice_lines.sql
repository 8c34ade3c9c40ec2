{#- The input gate runs first: a file that cannot be trusted stops the build here, naming file and column. -#}
{{ assert_source_file_is_valid('online_retail', 'invoice_lines') }}

with

source as (

    -- line_number is the data line of the file (1 = first line after the header): stable across builds of
    -- the same file (macro file_line_number says how each engine keeps the file's order).
    select
        *,
        {{ file_line_number() }} as line_number
    from {{ source('online_retail', 'invoice_lines') }}

),

renamed as (

    select
        -- ids
        line_number,
        {{ cast_from_source('online_retail', 'invoice_lines', 'InvoiceNo') }} as invoice_no,
        {{ cast_from_source('online_retail', 'invoice_lines', 'StockCode') }} as stock_code,
        {{ cast_from_source('online_retail', 'invoice_lines', 'CustomerID') }} as customer_id,

        -- strings
        {{ cast_from_source('online_retail', 'invoice_lines', 'Description') }} as product_description,
        {{ cast_from_source('online_retail', 'invoice_lines', 'Country') }} as country,

        -- numerics
        {{ cast_from_source('online_retail', 'invoice_lines', 'Quantity') }} as quantity,
        {{ cast_from_source('online_retail', 'invoice_lines', 'UnitPrice') }} as unit_price,

        -- timestamps
        {{ cast_from_source('online_retail', 'invoice_lines', 'InvoiceDate') }} as invoiced_at

    from source

)

select * from renamed
