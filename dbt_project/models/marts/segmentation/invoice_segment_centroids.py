"""Centroids of the invoice (RFM) segmentation in original units and standardised, read from its artifact."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import centroid_frame

    dbt.ref("invoice_customer_segments")  # the fit that wrote the artifact runs first
    return centroid_frame("invoices", dbt.config.get("artifacts_dir"))
