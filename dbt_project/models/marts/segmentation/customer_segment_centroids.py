"""Centroids of the customer segmentation in original units and standardised, read from its artifact."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import centroid_frame

    dbt.ref("customer_segments")  # the fit that wrote the artifact runs first
    return centroid_frame("customers", dbt.config.get("artifacts_dir"))
