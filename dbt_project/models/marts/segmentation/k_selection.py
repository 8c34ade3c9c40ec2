"""The evidence for the number of segments: one row per segmentation and k, from each fit's artifact."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from ml.engine import k_selection_frame

    artifacts_dir = dbt.config.get("artifacts_dir")
    segmentations = {
        "customers": dbt.ref("customer_segments"),
        "invoices": dbt.ref("invoice_customer_segments"),
        "clickstream": dbt.ref("clickstream_customer_segments"),
    }
    return pd.concat(
        [k_selection_frame(name, artifacts_dir) for name in segmentations],
        ignore_index=True,
    )
