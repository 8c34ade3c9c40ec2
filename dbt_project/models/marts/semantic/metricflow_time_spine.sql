{#-
  The day spine MetricFlow (dbt's semantic layer) needs for metrics over time: one row per day from 2000 to
  2050, fixed (not from today's date), so every build gives the same table.
-#}
select cast(spine.day as date) as date_day
from range(date '2000-01-01', date '2051-01-01', interval 1 day) as spine (day)
