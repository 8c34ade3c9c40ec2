"""What the dashboard reads: the published warehouse only, read-only, one short connection per query.

The published file is replaced by an atomic rename at the end of a successful build, so a query either
sees the old tables or the new ones, never the build database (docs/publishing.md). A source that has not
been built yet raises NotBuiltError, which the pages turn into a message.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ml import warehouse
from ml.sources import get_segmentation


@dataclass(frozen=True)
class SegmentationView:
    """Where one segmentation's tables are, and the figures its persona cards show."""

    name: str
    title: str
    profiles: str
    members: str
    features: str
    segments: str
    key_figures: tuple[tuple[str, str], ...]  # (column stem in the profiles table, label)


VIEWS = {
    "customers": SegmentationView(
        "customers",
        "Customer profiles",
        "persona_profiles",
        "customer_personas",
        "customer_features",
        "customer_segments",
        (
            ("income", "income"),
            ("spend_total", "total spend"),
            ("purchases_total", "purchases"),
            ("children_count", "children"),
            ("recency_days", "days since purchase"),
        ),
    ),
    "invoices": SegmentationView(
        "invoices",
        "Invoices (RFM)",
        "invoice_persona_profiles",
        "invoice_customer_personas",
        "invoice_customer_features",
        "invoice_customer_segments",
        (
            ("recency_days", "days since last order"),
            ("frequency", "orders"),
            ("monetary", "net revenue"),
            ("average_order_value", "average order value"),
        ),
    ),
    "clickstream": SegmentationView(
        "clickstream",
        "Clickstream",
        "clickstream_persona_profiles",
        "clickstream_customer_personas",
        "clickstream_customer_features",
        "clickstream_customer_segments",
        (
            ("session_count", "sessions"),
            ("view_count", "views"),
            ("purchase_count", "purchases"),
            ("purchase_revenue", "purchase revenue"),
            ("recency_days", "days since last visit"),
        ),
    ),
}


def read(sql: str, database: str | None = None, parameters: list | None = None) -> pd.DataFrame:
    """A read-only query; a missing table means the source is not built yet."""
    try:
        return warehouse.read_frame(sql, database, parameters)
    except duckdb.CatalogException as error:
        raise warehouse.NotBuiltError(f"not built yet ({str(error).splitlines()[0]})") from error


def available(database: str | None = None) -> list[str]:
    """The segmentations whose persona tables exist in the published warehouse."""
    try:
        tables = set(read("select table_name from information_schema.tables", database)["table_name"])
    except warehouse.NotBuiltError:
        return []
    return [name for name, view in VIEWS.items() if view.profiles in tables]


def profiles(name: str, database: str | None = None) -> pd.DataFrame:
    return read(
        f'select * from "{VIEWS[name].profiles}" order by customer_count desc, persona_name', database
    )


def build_info(database: str | None = None) -> pd.DataFrame:
    """The published build: when, from which files (run_summary rows of the last published run)."""
    return read(
        """
        select input_name, file_path, left(file_sha256, 12) as file_sha256_prefix, run_started_at,
               rows_read, rows_quarantined, customers_scored
        from run_summary
        where run_id = (select run_id from run_summary where outcome = 'published'
                        order by run_started_at desc limit 1)
        order by input_name
        """,
        database,
    )


def k_selection(name: str, database: str | None = None) -> pd.DataFrame:
    return read("select * from k_selection where segmentation_name = ? order by k", database, [name])


def features(name: str, database: str | None = None) -> pd.DataFrame:
    config = get_segmentation(name)
    return read(f'select * from "{VIEWS[name].features}" order by "{config.id_column}"', database)


def pca_points(name: str, database: str | None = None, limit: int = 5_000) -> pd.DataFrame:
    """PCA coordinates and persona of up to ``limit`` customers (a seeded sample, same on every call)."""
    view = VIEWS[name]
    key = get_segmentation(name).id_column
    return read(
        f"""
        select s.pc1, s.pc2, s.pc3, p.persona_name
        from "{view.segments}" as s
        join "{view.members}" as p using ("{key}")
        order by hash(s."{key}", 42), s."{key}"
        limit {int(limit)}
        """,
        database,
    )


def income_and_spend(database: str | None = None) -> pd.DataFrame:
    return read(
        "select customer_id, income, spend_total, persona_name from customer_personas "
        "where not is_extreme_income",
        database,
    )
