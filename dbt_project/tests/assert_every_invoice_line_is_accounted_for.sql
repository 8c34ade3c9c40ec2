-- Every line of the invoices file has exactly one fate: the accounting table's lines sum to the staged
-- lines, and the accepted and quarantined lines to it too. A row returned here is a mismatch.
with

counts as (

    select
        (select count(*) from {{ ref('stg_online_retail__invoice_lines') }}) as lines_read,
        (select sum(line_count) from {{ ref('invoice_line_accounting') }}) as lines_accounted,
        (select count(*) from {{ ref('invoice_lines') }})
            + (select count(*) from {{ ref('invoice_line_quarantine') }}) as lines_kept_or_quarantined

)

select * from counts
where lines_read <> lines_accounted or lines_read <> lines_kept_or_quarantined
