"""The one place the Python side reads the published warehouse (CLI, reports, benchmarks, dashboard)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

DEFAULT_DATABASE = Path("data/warehouse/smartcart.duckdb")


class NotBuiltError(FileNotFoundError):
    """The published warehouse, or a source's tables in it, do not exist yet."""


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--db flag, else SMARTCART_DUCKDB_PATH (the variable profiles.yml reads), else the default file."""
    return Path(explicit or os.environ.get("SMARTCART_DUCKDB_PATH") or DEFAULT_DATABASE)


def read_frame(
    sql: str, database: str | os.PathLike[str] | None = None, parameters: list | None = None
) -> pd.DataFrame:
    """Run a read-only query and close the connection at once (DuckDB allows one writer per file)."""
    path = database_path(database)
    if not path.exists():
        raise NotBuiltError(f"no warehouse at {path}: run `smartcart run` (or `dbt build`) first")
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, parameters or []).df()


def persona_table(database: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    return read_frame(
        """
        select persona_name, customer_count, round(customer_share, 3) as customer_share,
               round(income_median) as income_median, round(spend_total_median) as spend_median,
               top_traits, marketing_strategy
        from persona_profiles
        order by customer_count desc, persona_name
        """,
        database,
    )


def invoice_persona_table(database: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    return read_frame(
        """
        select persona_name, customer_count, round(customer_share, 3) as customer_share,
               round(recency_days_median) as recency_median, round(frequency_median, 1) as frequency_median,
               round(monetary_median) as monetary_median, top_traits
        from invoice_persona_profiles
        order by customer_count desc, persona_name
        """,
        database,
    )


def clickstream_persona_table(database: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    return read_frame(
        """
        select persona_name, customer_count as user_count, round(customer_share, 3) as user_share,
               round(session_count_mean, 2) as sessions_mean, round(purchase_count_mean, 2) as purchases_mean,
               round(purchase_revenue_mean) as revenue_mean, top_traits
        from clickstream_persona_profiles
        order by customer_count desc, persona_name
        """,
        database,
    )
