"""Invoice (RFM) segmentation: one row per customer of invoice_customer_features (thin: logic in ml/).

Incremental: the first build (or the var invoices_refit: true, or --full-refresh) fits and labels everyone;
later builds load the stored model, hash-checked against the artifact_sha256 this table recorded, and label
only new customers and customers whose recency, frequency or monetary value changed.
"""


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="customer_id", incremental_strategy="delete+insert")
    from ml.engine import resolve_config
    from ml.scoring import segment_incrementally

    config = resolve_config("invoices", dbt.config.get("segmentation_settings"))
    refit = str(dbt.config.get("refit")).strip().lower() in {"true", "1", "yes"}
    return segment_incrementally(
        session,
        dbt.ref("invoice_customer_features"),
        str(dbt.this) if dbt.is_incremental else None,
        config,
        dbt.config.get("artifacts_dir"),
        refit,
    )
