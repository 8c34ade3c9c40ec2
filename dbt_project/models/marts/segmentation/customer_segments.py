"""Customer profile segmentation: fit on customer_features, label every customer (thin: logic in ml/)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import fit_segmentation, resolve_config
    from ml.feature_source import RelationSource

    config = resolve_config("customers", dbt.config.get("segmentation_settings"))
    # A relation, not a frame: the engine samples it in SQL and streams it in batches, so memory stays
    # bounded at any number of customers.
    source = RelationSource(dbt.ref("customer_features"), config)
    _, labels, _ = fit_segmentation(source, config, dbt.config.get("artifacts_dir"))
    return labels
