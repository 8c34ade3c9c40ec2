{#-
  The day spine MetricFlow (dbt's semantic layer) needs for metrics over time: one row per day from 2000 to
  2050, fixed (not from today's date), so every build gives the same table.
-#}
select cast(spine.spine_day as date) as date_day
from (select {{ day_series("date '2000-01-01'", "date '2050-12-31'") }} as spine_day) as spine
