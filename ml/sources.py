"""The per-source configurations of the one engine. A new data source adds an entry here, not a pipeline."""

from __future__ import annotations

from ml.config import ConfigurationError, SegmentationConfig

CUSTOMERS = SegmentationConfig(
    name="customers",
    id_column="customer_id",
    numeric_features=(
        "age_years",
        "tenure_days",
        "income",
        "spend_total",
        "spend_wines_share",
        "spend_fruits_share",
        "spend_meat_share",
        "spend_fish_share",
        "spend_sweets_share",
        "spend_gold_share",
        "purchases_total",
        "purchases_web_share",
        "purchases_catalog_share",
        "purchases_store_share",
        "deal_purchases_share",
        "web_visits_per_month",
        "children_count",
        "household_size",
        "is_parent",
        "lives_with_partner",
        "campaigns_accepted",
        "has_complained",
        "recency_days",
    ),
    categorical_features=("education_level",),
    exclude_column="is_excluded_from_fit",
    cluster_personas_table="customer_cluster_personas",
    profile_features=(
        "age_years",
        "tenure_days",
        "income",
        "spend_total",
        "spend_wines",
        "spend_gold",
        "spend_wines_share",
        "spend_meat_share",
        "spend_gold_share",
        "purchases_total",
        "purchases_catalog",
        "purchases_web_share",
        "purchases_catalog_share",
        "purchases_store_share",
        "deal_purchases_share",
        "web_visits_per_month",
        "children_count",
        "household_size",
        "campaigns_accepted",
        "has_complained",
        "recency_days",
    ),
)

# Invoice lines: the Online Retail RFM method. The model sees only recency, frequency and monetary value,
# so anyone with those three figures (a new customer, a CRM export) can be scored without a refit; the
# other measures describe the segments. k defaults to 4 (dbt var invoices_n_clusters), the sweep still runs.
INVOICES = SegmentationConfig(
    name="invoices",
    id_column="customer_id",
    numeric_features=("recency_days", "frequency", "monetary"),
    exclude_column="is_excluded_from_fit",
    cluster_personas_table="invoice_cluster_personas",
    profile_features=(
        "recency_days",
        "frequency",
        "monetary",
        "tenure_days",
        "average_order_value",
        "distinct_products",
        "return_rate",
    ),
    n_clusters=4,
)

# Clickstream: behaviour from browsing. Shares of time of day are left out of the model (they describe
# habits, not value) but profile the personas; skewed counts are log-transformed by the engine.
CLICKSTREAM = SegmentationConfig(
    name="clickstream",
    id_column="user_id",
    numeric_features=(
        "recency_days",
        "session_count",
        "active_days",
        "purchase_revenue",
        "view_count",
        "cart_count",
        "purchase_count",
        "view_to_cart_rate",
        "cart_to_purchase_rate",
        "cart_abandonment_rate",
        "distinct_products",
        "distinct_categories",
        "avg_price_viewed",
        "events_per_session",
    ),
    exclude_column="is_excluded_from_fit",
    cluster_personas_table="clickstream_cluster_personas",
    profile_features=(
        "recency_days",
        "session_count",
        "active_days",
        "purchase_revenue",
        "view_count",
        "cart_count",
        "purchase_count",
        "view_to_cart_rate",
        "cart_to_purchase_rate",
        "cart_abandonment_rate",
        "distinct_products",
        "distinct_categories",
        "avg_price_viewed",
        "avg_price_bought",
        "events_per_session",
        "evening_share",
        "weekend_share",
    ),
)

SEGMENTATIONS: dict[str, SegmentationConfig] = {
    config.name: config for config in (CUSTOMERS, INVOICES, CLICKSTREAM)
}


def get_segmentation(name: str) -> SegmentationConfig:
    try:
        return SEGMENTATIONS[name]
    except KeyError:
        raise ConfigurationError(
            f"no segmentation named {name!r}; known: {', '.join(sorted(SEGMENTATIONS))}"
        ) from None
