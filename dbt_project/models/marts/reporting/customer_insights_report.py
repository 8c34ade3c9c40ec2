"""Writes the customer plots and insights report under reports/ and lists the files (logic in ml/report)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from pathlib import Path

    import pandas as pd

    from ml.report import CustomerReportInputs, build_customer_report

    reports_dir = dbt.config.get("reports_dir")
    inputs = CustomerReportInputs(
        raw=dbt.ref("stg_smartcart__customers").df(),
        customers=dbt.ref("customers").df(),
        quarantine=dbt.ref("customer_quarantine").df(),
        features=dbt.ref("customer_features").df(),
        customer_personas=dbt.ref("customer_personas").df(),
        segments=dbt.ref("customer_segments").df(),
        persona_profiles=dbt.ref("persona_profiles").df(),
        centroids=dbt.ref("customer_segment_centroids").df(),
        cluster_personas=dbt.ref("customer_cluster_personas").df(),
        k_selection=dbt.ref("k_selection").df().query("segmentation_name == 'customers'"),
        feature_labels=dbt.ref("feature_labels").df().query("segmentation_name == 'customers'"),
    )
    files = build_customer_report(inputs, Path(reports_dir) / "customers")
    return pd.DataFrame(files, columns=["file_path", "file_kind"])
