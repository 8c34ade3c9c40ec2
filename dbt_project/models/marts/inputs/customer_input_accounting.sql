-- One row: where every row of the customer export went. run_summary reads it through the registry
-- (input.accounting_model); rows_read = rows_quarantined + rows_accepted is tested there.

with

quarantine_reasons as (

    {{ quarantine_reason_counts(ref('customer_quarantine')) }}

)

select
    cast((select count(*) from {{ ref('stg_smartcart__customers') }}) as bigint) as rows_read,
    cast((select count(*) from {{ ref('customer_quarantine') }}) as bigint) as rows_quarantined,
    (select quarantine_reason_counts from quarantine_reasons) as quarantine_reason_counts,
    cast((select count(*) from {{ ref('customers') }}) as bigint) as rows_accepted,
    -- Implausible values and duplicate profiles: kept and scored, not fitted.
    cast((
        select count(*) from {{ ref('customers') }}
        where is_excluded_from_fit
    ) as bigint)
        as rows_excluded_from_fit
