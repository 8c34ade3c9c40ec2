{{ config(materialized='incremental', unique_key=['run_id', 'input_name'], on_schema_change='append_new_columns') }}
-- One row per build and input file: which file (and its SHA-256), and what happened to every row of it.
-- rows_read = rows_quarantined + rows_accepted; rows_accepted = rows_excluded_from_fit + rows_fitted;
-- customers_scored = customers_in_features (tested by every_row_accounted_for). For the invoices,
-- "excluded" lines are those kept out of customer features (no CustomerID, services, adjustments, ...;
-- invoice_line_accounting breaks them down). Failed builds add rows with outcome 'failed: <nodes>'
-- through the on-run-end hook record_failed_run.

with

customer_quarantine_reasons as (

    {{ quarantine_reason_counts(ref('customer_quarantine')) }}

),

invoice_quarantine_reasons as (

    {{ quarantine_reason_counts(ref('invoice_line_quarantine')) }}

),

customers_input as (

    select
        'customers' as input_name,
        {{ sql_string(var('customers_file')) }} as file_path,
        (select sha256(content) from read_blob({{ sql_string(var('customers_file')) }})) as file_sha256,
        (select count(*) from {{ ref('stg_smartcart__customers') }}) as rows_read,
        (select count(*) from {{ ref('customers') }}) as rows_accepted,
        (select count(*) from {{ ref('customer_quarantine') }}) as rows_quarantined,
        (select quarantine_reason_counts from customer_quarantine_reasons) as quarantine_reason_counts,
        (select count(*) filter (where is_excluded_from_fit) from {{ ref('customers') }}) as rows_excluded_from_fit,
        (select count(*) from {{ ref('customers') }}) as customers_in_features,
        (select count(*) from {{ ref('customer_personas') }}) as customers_scored

),

invoices_input as (

    select
        'invoices' as input_name,
        {{ sql_string(var('invoices_file')) }} as file_path,
        (select sha256(content) from read_blob({{ sql_string(var('invoices_file')) }})) as file_sha256,
        (select count(*) from {{ ref('stg_online_retail__invoice_lines') }}) as rows_read,
        (select count(*) from {{ ref('invoice_lines') }}) as rows_accepted,
        (select count(*) from {{ ref('invoice_line_quarantine') }}) as rows_quarantined,
        (select quarantine_reason_counts from invoice_quarantine_reasons) as quarantine_reason_counts,
        (select count(*) filter (where not is_customer_feature_line) from {{ ref('invoice_lines') }})
            as rows_excluded_from_fit,
        (select count(*) from {{ ref('invoice_customer_features') }}) as customers_in_features,
        (select count(*) from {{ ref('invoice_customer_personas') }}) as customers_scored

),

clickstream_quarantine_reasons as (

    {{ quarantine_reason_counts(ref('clickstream_event_quarantine')) }}

),

-- Events accumulate over incremental builds: the row describes every event landed so far. The files can
-- be gigabytes, so their fingerprint hashes the listing (name, size, modification time), not the bytes.
clickstream_input as (

    select
        'clickstream' as input_name,
        {{ sql_string(var('events_path')) }} as file_path,
        (
            select sha256(string_agg(filename || ':' || size || ':' || last_modified, '|' order by filename))
            from read_blob({{ sql_string(var('events_path')) }})
        ) as file_sha256,
        (select sum(events_read) from {{ ref('clickstream_event_accounting') }}) as rows_read,
        (select sum(events_read - events_quarantined) from {{ ref('clickstream_event_accounting') }})
            as rows_accepted,
        (select sum(events_quarantined) from {{ ref('clickstream_event_accounting') }}) as rows_quarantined,
        (select quarantine_reason_counts from clickstream_quarantine_reasons) as quarantine_reason_counts,
        (select sum(duplicate_events_removed) from {{ ref('clickstream_event_accounting') }})
            as rows_excluded_from_fit,
        (select count(*) from {{ ref('clickstream_customer_features') }}) as customers_in_features,
        (select count(*) from {{ ref('clickstream_customer_personas') }}) as customers_scored

),

inputs as (

    select * from customers_input
    union all
    select * from invoices_input
    union all
    select * from clickstream_input

)

select
    '{{ invocation_id }}' as run_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
    input_name,
    file_path,
    file_sha256,
    rows_read,
    rows_accepted,
    rows_quarantined,
    coalesce(quarantine_reason_counts, '') as quarantine_reason_counts,
    rows_excluded_from_fit,
    rows_accepted - rows_excluded_from_fit as rows_fitted,
    customers_in_features,
    customers_scored,
    'built' as outcome

from inputs
