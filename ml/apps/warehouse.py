"""The one place the applications read the published warehouse (CLI, reports, dashboard, API)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

DEFAULT_DATABASE = Path("data/warehouse/smartcart.duckdb")


class NotBuiltError(FileNotFoundError):
    """The published warehouse, or a segmentation's tables in it, do not exist yet."""


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--db flag, else SMARTCART_DUCKDB_PATH (the variable profiles.yml reads), else the default file."""
    return Path(explicit or os.environ.get("SMARTCART_DUCKDB_PATH") or DEFAULT_DATABASE)


@contextmanager
def connect(database: str | os.PathLike[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection. Everything read through one connection comes from one published file,
    even if a build publishes a new one meanwhile (publishing renames a new file over the old)."""
    path = database_path(database)
    if not path.exists():
        raise NotBuiltError(f"no warehouse at {path}: run `smartcart run` (or `dbt build`) first")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def read_frame(
    sql: str,
    database: str | os.PathLike[str] | duckdb.DuckDBPyConnection | None = None,
    parameters: list | None = None,
) -> pd.DataFrame:
    """Run a read-only query on an open connection, or on a connection opened and closed at once
    (DuckDB allows one writer per file, so the applications never hold the file open for long)."""
    if isinstance(database, duckdb.DuckDBPyConnection):
        return _query(database, sql, parameters, "the connected warehouse")
    with connect(database) as connection:
        return _query(connection, sql, parameters, str(database_path(database)))


def _query(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None, where: str) -> pd.DataFrame:
    try:
        return connection.execute(sql, parameters or []).df()
    except duckdb.CatalogException as error:
        raise NotBuiltError(f"the warehouse {where} has no such table yet ({str(error).splitlines()[0]})") from error


def persona_table(
    name: str, key_features: tuple[str, ...], database: str | duckdb.DuckDBPyConnection | None = None
) -> pd.DataFrame:
    """One row per persona of segmentation ``name``: size, share, how well the name fits (catalogue match
    score, null for a name built from the persona's own traits) and how stable it is (bootstrap Jaccard),
    medians of its key figures, traits."""
    profiles = read_frame(
        "select profiles.persona_id, profiles.persona_name, profiles.member_count, "
        "round(profiles.member_share, 3) as member_share, round(profiles.match_score, 2) as match_score, "
        "round(stability.bootstrap_jaccard, 2) as stability_jaccard, profiles.top_traits, "
        "profiles.marketing_strategy from persona_profiles as profiles "
        "left join persona_stability as stability on stability.segmentation_name = profiles.segmentation_name "
        "and stability.model_version = profiles.model_version and stability.persona_id = profiles.persona_id "
        "where profiles.segmentation_name = ? order by profiles.member_count desc, profiles.persona_name",
        database,
        [name],
    )
    if profiles.empty:
        raise NotBuiltError(f"segmentation {name!r} has no personas in the published warehouse yet")
    medians = read_frame(
        "select persona_id, feature_name, member_median from persona_feature_profiles where segmentation_name = ?",
        database,
        [name],
    ).pivot(index="persona_id", columns="feature_name", values="member_median")
    for feature in key_features:
        if feature in medians.columns:
            profiles.insert(
                len(profiles.columns) - 2,
                f"{feature}_median",
                profiles["persona_id"].map(medians[feature]).round(2).to_numpy(),
            )
    values = persona_values(name, database)
    for column in ("median_predicted_clv", "high_churn_risk_share"):
        if len(values):
            profiles.insert(
                len(profiles.columns) - 2, column, profiles["persona_id"].map(values[column]).round(3).to_numpy()
            )
    return profiles


def persona_values(name: str, database: str | duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Median predicted CLV and share at high churn risk per persona (persona_value_profiles), indexed by
    persona_id; empty where the source has no customer value (too little history, or no purchases)."""
    try:
        return read_frame(
            "select persona_id, median_predicted_clv, high_churn_risk_share from persona_value_profiles "
            "where segmentation_name = ?",
            database,
            [name],
        ).set_index("persona_id")
    except NotBuiltError:
        return pd.DataFrame(columns=["median_predicted_clv", "high_churn_risk_share"])


def segmentation_verdicts(
    database: str | duckdb.DuckDBPyConnection | None = None, name: str | None = None
) -> pd.DataFrame:
    """Per segmentation (or only ``name``): its verdict (segmentation_trust) beside what the data guardrails
    found (segmentation_sufficiency); an empty frame for a warehouse published before these tables."""
    where, parameters = ("where segmentation_name = ? ", [name]) if name else ("", [])
    try:
        return read_frame(
            "select trust.*, sufficiency.warnings, sufficiency.unsupported_features, sufficiency.span_days "
            "from segmentation_trust as trust inner join segmentation_sufficiency as sufficiency "
            f"using (segmentation_name) {where}order by segmentation_name",
            database,
            parameters,
        )
    except NotBuiltError:
        return pd.DataFrame()


def customer_value_status(database: str | duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Per source of purchases: whether it has customer value figures, and the message saying why."""
    try:
        return read_frame(
            "select segmentation_name, is_sufficient, message from clv_sufficiency order by segmentation_name", database
        )
    except NotBuiltError:
        return pd.DataFrame(columns=["segmentation_name", "is_sufficient", "message"])
