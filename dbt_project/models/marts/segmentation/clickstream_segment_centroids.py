"""Centroids of the clickstream segmentation in original units and standardised, read from its artifact."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import centroid_frame

    dbt.ref("clickstream_customer_segments")  # the fit that wrote the artifact runs first
    return centroid_frame("clickstream", dbt.config.get("artifacts_dir"))
