"""Customer profile segmentation: fit on customer_features, label every customer (thin: logic in ml/)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.engine import fit_segmentation, resolve_config

    config = resolve_config("customers", dbt.config.get("segmentation_settings"))
    features = dbt.ref("customer_features").df()
    _, labels, _ = fit_segmentation(features, config, dbt.config.get("artifacts_dir"))
    return labels
