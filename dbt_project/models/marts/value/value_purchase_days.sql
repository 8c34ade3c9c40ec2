{#-
  Purchase occasions, one row per customer and day with a purchase, from every source that records
  purchases: invoices (sale lines of customers) and clickstream (purchase events of users). The value
  models count days, not invoices or events: several orders on one day are one occasion (the convention of
  the BG/NBD literature), with their revenue summed. Returns are not netted: the models describe buying.
-#}

with

invoice_days as (

    select
        'invoices' as segmentation_name,
        cast(customer_id as bigint) as customer_id,
        invoice_date as purchase_date,
        cast(sum(line_revenue) as double) as revenue
    from {{ ref('invoice_lines') }}
    where is_customer_feature_line and line_category = 'sale'
    group by customer_id, invoice_date

),

clickstream_days as (

    select
        'clickstream' as segmentation_name,
        cast(user_id as bigint) as customer_id,
        event_date as purchase_date,
        cast(sum(purchase_revenue) as double) as revenue
    from {{ ref('int_clickstream_session_days') }}
    where purchase_count > 0
    group by user_id, event_date

)

select * from invoice_days
union all
select * from clickstream_days
