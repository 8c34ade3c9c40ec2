"""Writes the customer plots and insights report under reports/ and lists the files (logic in ml/report).

Runs after published_warehouse: the report describes what was published, never a build that failed.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pathlib import Path

    import pandas as pd

    from ml.report import build_customer_report, load_customer_report_inputs

    dbt.ref("published_warehouse")  # only once the tables are published
    reports_dir = dbt.config.get("reports_dir")
    relations = {
        "stg_smartcart__customers": dbt.ref("stg_smartcart__customers"),
        "customers": dbt.ref("customers"),
        "customer_quarantine": dbt.ref("customer_quarantine"),
        "customer_features": dbt.ref("customer_features"),
        "customer_personas": dbt.ref("customer_personas"),
        "customer_segments": dbt.ref("customer_segments"),
        "persona_profiles": dbt.ref("persona_profiles"),
        "customer_segment_centroids": dbt.ref("customer_segment_centroids"),
        "customer_cluster_personas": dbt.ref("customer_cluster_personas"),
        "k_selection": dbt.ref("k_selection"),
        "feature_labels": dbt.ref("feature_labels"),
        "segmentation_runs": dbt.ref("segmentation_runs"),
    }
    inputs = load_customer_report_inputs(
        lambda name, sql: relations[name].query("t", sql).df(),
        lambda name: list(relations[name].columns),
    )
    files = build_customer_report(inputs, Path(reports_dir) / "customers")
    return pd.DataFrame(files, columns=["file_path", "file_kind"])
