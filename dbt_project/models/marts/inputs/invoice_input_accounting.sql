-- One row: where every line of the invoices file went (invoice_line_accounting has the breakdown by fate).
-- "Excluded from fit" lines are accepted lines kept out of customer features: no CustomerID, services,
-- adjustments, duplicates.

with

quarantine_reasons as (

    {{ quarantine_reason_counts(ref('invoice_line_quarantine')) }}

)

select
    cast((select count(*) from {{ ref('stg_online_retail__invoice_lines') }}) as bigint) as rows_read,
    cast((select count(*) from {{ ref('invoice_line_quarantine') }}) as bigint) as rows_quarantined,
    (select quarantine_reason_counts from quarantine_reasons) as quarantine_reason_counts,
    cast((select count(*) from {{ ref('invoice_lines') }}) as bigint) as rows_accepted,
    cast((
        select count(*) from {{ ref('invoice_lines') }}
        where not is_customer_feature_line
    ) as bigint)
        as rows_excluded_from_fit
