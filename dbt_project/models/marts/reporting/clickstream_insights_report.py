"""Writes the clickstream section of the insights report under reports/clickstream/ (logic in ml/)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from pathlib import Path

    import pandas as pd

    from ml.report_clickstream import build_clickstream_report

    dbt.ref("published_warehouse")  # only once the tables are published
    reports_dir = dbt.config.get("reports_dir")
    # dbt reads refs statically: one literal dbt.ref per table.
    relations = {
        "clickstream_persona_profiles": dbt.ref("clickstream_persona_profiles"),
        "clickstream_segment_centroids": dbt.ref("clickstream_segment_centroids"),
        "clickstream_cluster_personas": dbt.ref("clickstream_cluster_personas"),
        "clickstream_customer_segments": dbt.ref("clickstream_customer_segments"),
        "clickstream_customer_features": dbt.ref("clickstream_customer_features"),
        "clickstream_event_accounting": dbt.ref("clickstream_event_accounting"),
        "k_selection": dbt.ref("k_selection"),
        "feature_labels": dbt.ref("feature_labels"),
        "segmentation_runs": dbt.ref("segmentation_runs"),
    }
    files = build_clickstream_report(
        lambda name, sql: relations[name].query("t", sql).df(),
        Path(reports_dir) / "clickstream",
    )
    return pd.DataFrame(files, columns=["file_path", "file_kind"])
