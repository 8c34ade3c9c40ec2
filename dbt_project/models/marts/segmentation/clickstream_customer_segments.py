"""Clickstream segmentation: one row per user of clickstream_customer_features (thin: logic in ml/)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import fit_segmentation, resolve_config
    from ml.feature_source import RelationSource

    config = resolve_config("clickstream", dbt.config.get("segmentation_settings"))
    source = RelationSource(dbt.ref("clickstream_customer_features"), config)
    _, labels, _ = fit_segmentation(source, config, dbt.config.get("artifacts_dir"))
    return labels
