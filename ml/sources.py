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

# Clickstream: behaviour from browsing. The model sees recency, frequency (sessions), money (purchase
# revenue) and the funnel as counts (views, carts, purchases). Rates, breadth, prices and the time mix
# describe the personas but stay out of the model: for the many users with a handful of events a rate is
# 0/0 or 1/1, noise that splits real groups (on synthetic events with four planted groups the rule picks
# k=4 and recovers them at ARI 0.9 with these inputs, 0.6-0.8 with every feature; docs/clickstream.md).
CLICKSTREAM = SegmentationConfig(
    name="clickstream",
    id_column="user_id",
    numeric_features=(
        "recency_days",
        "session_count",
        "purchase_revenue",
        "view_count",
        "cart_count",
        "purchase_count",
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
    # The biggest clickstream segment is often most visitors, so its centroid sits near the average and
    # its z-scores are small: a lower bar lets it take its catalogue name (Window Shoppers).
    min_match_score=0.1,
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
