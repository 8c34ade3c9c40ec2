"""Which persona each clickstream cluster is: matched from centroids to the catalogue (logic in ml/)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import persona_frame

    return persona_frame(
        "clickstream",
        dbt.ref("clickstream_segment_centroids").df(),
        dbt.ref("persona_catalogue").df(),
        dbt.ref("persona_traits").df(),
        dbt.ref("feature_labels").df(),
        dbt.config.get("segmentation_settings"),
    )
