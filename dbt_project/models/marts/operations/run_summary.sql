{{ config(materialized='incremental', unique_key='run_id') }}
-- One row per build and input: which file (and its SHA-256), and what happened to every row of it.
-- Failed builds add a row with outcome 'failed: <nodes>' through the on-run-end hook record_failed_run.

with

raw_rows as (

    select count(*) as rows_read from {{ ref('stg_smartcart__customers') }}

),

quarantined as (

    select * from {{ ref('customer_quarantine') }}

),

quarantine_counts as (

    select
        count(*) as rows_quarantined
    from quarantined

),

quarantine_reasons as (

    select string_agg(reason || '=' || reason_rows, ', ' order by reason) as quarantine_reason_counts
    from (
        select reason, count(*) as reason_rows
        from (select unnest(string_split(quarantine_reasons, ',')) as reason from quarantined)
        group by reason
    )

),

accepted as (

    select
        count(*) as rows_accepted,
        count(*) filter (where is_excluded_from_fit) as rows_excluded_from_fit
    from {{ ref('customers') }}

),

scored as (

    select count(*) as customers_scored from {{ ref('customer_personas') }}

),

input_file as (

    select sha256(content) as file_sha256
    from read_blob({{ sql_string(var('customers_file')) }})

)

select
    '{{ invocation_id }}' as run_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
    'customers' as input_name,
    {{ sql_string(var('customers_file')) }} as file_path,
    input_file.file_sha256,
    raw_rows.rows_read,
    accepted.rows_accepted,
    quarantine_counts.rows_quarantined,
    coalesce(quarantine_reasons.quarantine_reason_counts, '') as quarantine_reason_counts,
    accepted.rows_excluded_from_fit,
    accepted.rows_accepted - accepted.rows_excluded_from_fit as rows_fitted,
    scored.customers_scored,
    'built' as outcome

from raw_rows, quarantine_counts, quarantine_reasons, accepted, scored, input_file
