"""What dbt's Python models call: the only code in ml/ that touches dbt objects (dbt.ref, dbt.config).

Each function turns dbt relations into frames or queries, calls the engine or an application module, and
returns a frame for dbt to store. landing (clickstream files into the warehouse), fits (the fit step),
publishing (the atomic publication), reporting (the insights report), warehouse_folder (a dbt-duckdb plugin
that creates the warehouse folder so `dbt build` works in a fresh clone).
"""
