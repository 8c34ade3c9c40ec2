-- Z_CostContact and Z_Revenue are constants in the export, which is why staging drops them. If an export
-- ever varies them they carry information and the drop must be revisited: this test then fails.
-- It reads the source after the input gate has passed (the depends_on below), so a malformed file is
-- reported by the gate with a clear message instead of by this test with a binder error.
-- depends_on: {{ ref('stg_smartcart__customers') }}

select
    count(distinct "Z_CostContact") as distinct_cost_contact,
    count(distinct "Z_Revenue") as distinct_revenue

from {{ source('smartcart', 'customers') }}
having count(distinct "Z_CostContact") > 1
    or count(distinct "Z_Revenue") > 1
