{#-
  Clickstream events checked: one row per landed event, with the rule it fails. event_type must be one of
  the four known types, user_id present and an integer, product and category ids integers, price a
  non-negative number, and the line must have been read (a line the CSV reader rejected carries its own
  reason); otherwise the event is quarantined with reasons.

  A view, not a table: the events are stored once, in the landing (raw_clickstream_events). Models that
  need every event read the landing through the same rules for the days they rebuild
  (int_clickstream_session_days) or only the failing rows (clickstream_event_quarantine); this view is
  the rules in one place for SQL users. Exact duplicates are removed where events are aggregated (an exact
  copy has the same time, hence the same day).
-#}
{{ config(materialized='view') }}

select
    source_file,
    source_row,
    load_id,
    event_at,
    event_type,
    product_id,
    category_id,
    category_code,
    brand,
    price,
    user_id,
    user_session,
    -- Only for quarantined events (null otherwise); DuckDB computes them only for the rows a query keeps.
    -- The time as written when it could not be read, else the UTC time read from it.
    case when {{ clickstream_event_is_quarantined() }} then coalesce(event_time_raw, cast(event_at as string)) end
        as event_time_raw,
    case
        when {{ clickstream_event_is_quarantined() }}
            then {{ join_array(clickstream_quarantine_reason_list(), ',') }}
    end as quarantine_reasons,
    case when {{ clickstream_event_is_quarantined() }} then rejected_line end as rejected_line,
    -- The raw texts are part of an event's identity for duplicates: two different bad values are two events.
    product_id_raw,
    category_id_raw,
    price_raw,
    user_id_raw,
    {{ clickstream_event_is_quarantined() }} as is_quarantined

from {{ ref('raw_clickstream_events') }}
