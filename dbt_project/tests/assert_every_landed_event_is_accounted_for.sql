-- Every landed clickstream event has exactly one fate (used, duplicate removed, quarantined): the accounting
-- adds up to the landed events in total. Per file it need not: a copy counts against the first file (by
-- name) it appeared in. A row returned here is a mismatch.
select
    sum(events_landed) as events_landed,
    sum(events_read) as events_accounted
from {{ ref('clickstream_event_accounting') }}
having sum(events_landed) <> sum(events_read)
