"""Last model before the outputs: validate the persona tables (GX) and publish the warehouse atomically.

dbt only runs this model when every model and test upstream passed (publication_manifest references every
published table), so a failed build never reaches the published file. Logic in ml/dbt_models/publishing.py.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.dbt_models.publishing import publish_model

    return publish_model(
        dbt,
        session,
        dbt.ref("publication_manifest"),
        dbt.ref("run_summary"),
        registry=dbt.config.get("registry"),
        reports_dir=dbt.config.get("reports_dir"),
        published_path=dbt.config.get("published_path"),
    )
