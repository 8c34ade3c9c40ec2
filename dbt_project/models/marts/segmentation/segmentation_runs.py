"""History of fits: one row per fit of every segmentation, appended on each build (incremental)."""


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="run_id")
    import pandas as pd

    from ml.engine import run_frame

    artifacts_dir = dbt.config.get("artifacts_dir")
    segmentations = {
        "customers": dbt.ref("customer_segments"),
        "invoices": dbt.ref("invoice_customer_segments"),
        "clickstream": dbt.ref("clickstream_customer_segments"),
    }
    latest = pd.concat([run_frame(name, artifacts_dir) for name in segmentations], ignore_index=True)
    if dbt.is_incremental:
        known = {row[0] for row in session.execute(f"select run_id from {dbt.this}").fetchall()}
        latest = latest[~latest["run_id"].isin(known)]
    return latest
