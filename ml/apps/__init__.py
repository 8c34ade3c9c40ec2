"""The applications: the CLI, the dashboard, the HTTP API and the insights report.

They read the published warehouse (ml.apps.warehouse), launch dbt through ml.apps.dbt_runner only, and use
the engine (ml.engine) for scoring with a saved, hash-checked model. Nothing in ml.engine or ml.quality
imports from here.
"""
