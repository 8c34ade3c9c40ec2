"""Writes the insights report (a section per segmentation) and its plots under reports/ (logic in ml/).

Runs after published_warehouse: the report describes what was published, never a build that failed.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.dbt_models.reporting import report_model

    dbt.ref("published_warehouse")  # only once the tables are published
    return report_model(
        registry=dbt.config.get("registry"),
        reports_dir=dbt.config.get("reports_dir"),
        published_path=dbt.config.get("published_path"),
    )
