"""Incremental clickstream partials on Spark (issue 16): the same week of daily files as the DuckDB test
(tests/integration/test_clickstream_incremental.py), landed in three builds on a real local Spark, gives the
same partial aggregates, features, accounting and purchase days as one whole Spark build, row for row, and
the same features and inferred session keys as DuckDB. Each build rebuilds only the days its new files
touch: dbt-spark's insert_overwrite replaces those days' partitions, and the buckets of the users they
change."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import built_once
from tests.integration.test_clickstream_incremental import (
    COMPARED,
    INFERRED,
    ITEMS,
    SESSION_DAYS,
    TOTALS,
    builds,  # noqa: F401 (the DuckDB builds of the same files, a fixture)
    incremental_and_whole_builds,
    rebuilt_days,
)
from tests.spark.test_spark_build import SparkBuild

# Four Spark builds (a JVM each) on a loaded 2-core machine: minutes, beyond the suite's per-test timeout.
pytestmark = pytest.mark.timeout(2400)

# The tables the comparisons read, in Spark's build schema (partitioned ones in a folder per partition).
TABLES = [
    "clickstream_customer_features",
    "clickstream_event_accounting",
    "value_purchase_days",
    "int_clickstream_session_days",
    "int_clickstream_user_day_items",
    "int_clickstream_user_totals",
    "int_clickstream_inferred_sessions",
]


def query(spark: SparkBuild, sql: str) -> pd.DataFrame:
    """``sql`` run by DuckDB over the Parquet files of the build's tables, each a view of its name."""
    with duckdb.connect() as connection:
        for table in TABLES:
            folder = spark.spark_warehouse / "smartcart_build.db" / table
            connection.execute(
                f"create view {table} as select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
            )
        return connection.execute(sql).df()


@pytest.fixture(scope="module")
def spark_builds(tmp_path_factory) -> tuple[SparkBuild, SparkBuild, list[list[str]]]:
    def on_spark(root: Path) -> tuple[SparkBuild, SparkBuild, list[list[str]]]:
        return incremental_and_whole_builds(root, SparkBuild, "--target", "spark")  # type: ignore[return-value]

    return built_once(tmp_path_factory, "spark_clickstream_incremental", on_spark)


def started_at(build: SparkBuild) -> float:
    """When the build's last dbt invocation started (run_results.json), as a file time."""
    metadata = json.loads((build.workdir / "target" / "run_results.json").read_text())["metadata"]
    return datetime.fromisoformat(metadata["invocation_started_at"].replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_an_incremental_spark_build_gives_the_same_tables_as_a_whole_one(spark_builds, name):
    incremental, whole, _ = spark_builds
    pd.testing.assert_frame_equal(query(incremental, COMPARED[name]), query(whole, COMPARED[name]))


def test_the_partial_aggregates_on_spark_are_the_same_row_for_row(spark_builds):
    incremental, whole, _ = spark_builds
    for sql in (SESSION_DAYS, ITEMS, TOTALS, INFERRED):
        pd.testing.assert_frame_equal(query(incremental, sql), query(whole, sql))


def test_spark_rebuilds_the_days_duckdb_rebuilds_and_gives_its_features(spark_builds, builds):  # noqa: F811
    incremental, _, rebuilt = spark_builds
    on_duckdb, _, rebuilt_on_duckdb = builds
    assert rebuilt == rebuilt_on_duckdb
    assert rebuilt[0] == [] and len(rebuilt[1]) == 1 and len(rebuilt[2]) >= 3
    pd.testing.assert_frame_equal(
        query(incremental, COMPARED["features"]), on_duckdb.query_build_database(COMPARED["features"])
    )


def test_inferred_sessions_have_the_keys_duckdb_gives_them(spark_builds, builds):  # noqa: F811
    """The key is written as strftime writes the session's start (zero-padded), so the two sessions of the
    user of day 1 that start at 01:23:00 and 12:03:00 keep two keys on Spark too."""
    incremental, _, _ = spark_builds
    on_duckdb, _, _ = builds
    keys = (
        "select user_id, strftime(event_at, '%Y-%m-%d %H:%M:%S.%f') as event_at, session_key "
        "from int_clickstream_inferred_sessions order by all"
    )
    on_spark = query(incremental, keys)
    pd.testing.assert_frame_equal(on_spark, on_duckdb.query_build_database(keys))
    two_sessions = on_spark[on_spark["user_id"] == 999_999_998]["session_key"]
    assert len(two_sessions) == 2 and two_sessions.nunique() == 2, two_sessions


def test_only_the_changed_partitions_were_written_again(spark_builds):
    """The last build wrote the partitions of the days it rebuilt and left the others' files as they were;
    the per-user tables are partitioned by bucket of users."""
    incremental, _, _ = spark_builds
    last_started = started_at(incremental)
    schema = incremental.spark_warehouse / "smartcart_build.db"
    for table in ("int_clickstream_session_days", "int_clickstream_user_day_items"):
        # The days the last build rebuilt in this table: the items leave out a day whose inferred session
        # keys alone changed (day 3), the session partials do not.
        rebuilt = rebuilt_days(incremental, table)
        written = {
            folder.name.removeprefix("event_date="): max(f.stat().st_mtime for f in folder.glob("*.parquet"))
            for folder in (schema / table).glob("event_date=*")
        }
        assert rebuilt and sorted(day for day, at in written.items() if at >= last_started) == rebuilt, table
        assert len(written) > len(rebuilt)  # the other days' files are as the earlier builds wrote them
    for table in ("int_clickstream_user_totals", "int_clickstream_inferred_sessions"):
        buckets = sorted(int(f.name.removeprefix("user_bucket=")) for f in (schema / table).glob("user_bucket=*"))
        assert buckets and set(buckets) <= set(range(16))
