-- Every raw row of the export is either quarantined (with a reason) or an accepted customer, and every
-- accepted customer is either fitted or excluded from fitting with a reason. Returns a row on any gap.

with

raw_rows as (

    select count(*) as row_count from {{ source('smartcart', 'customers') }}

),

quarantined as (

    select
        count(*) as row_count,
        count(*) filter (where quarantine_reasons is null or quarantine_reasons = '') as without_reason
    from {{ ref('customer_quarantine') }}

),

accepted as (

    select
        count(*) as row_count,
        count(*) filter (where not is_excluded_from_fit) as fitted,
        count(*) filter (where is_excluded_from_fit) as excluded,
        count(*) filter (where is_excluded_from_fit and coalesce(fit_exclusion_reasons, '') = '')
            as excluded_without_reason
    from {{ ref('customers') }}

),

scored as (

    select count(*) as row_count from {{ ref('customer_personas') }}

)

select
    raw_rows.row_count as raw_rows,
    quarantined.row_count as quarantined_rows,
    accepted.fitted as fitted_rows,
    accepted.excluded as excluded_rows,
    scored.row_count as scored_rows

from raw_rows, quarantined, accepted, scored
where raw_rows.row_count <> quarantined.row_count + accepted.fitted + accepted.excluded
    or quarantined.without_reason > 0
    or accepted.excluded_without_reason > 0
    or scored.row_count <> accepted.row_count
