"""Which persona each customer cluster is: matched from centroids to the catalogue (logic in ml/personas)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import persona_frame

    return persona_frame(
        "customers",
        dbt.ref("customer_segment_centroids").df(),
        dbt.ref("persona_catalogue").df(),
        dbt.ref("persona_traits").df(),
        dbt.ref("feature_labels").df(),
        dbt.config.get("segmentation_settings"),
    )
