"""The clickstream source end to end: the real REES46 sample, incremental loading, file formats, SQLite,
bad events. Recovery of planted groups: test_planted_truth.py. Real dbt builds in subprocesses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.synthetic.events import generate_events, write_events
from tests.conftest import ROOT, SMALL_CUSTOMERS, Build, built_once, copy_of, upstream_of

SAMPLE = ROOT / "data" / "raw" / "clickstream" / "rees46_2019-Oct_head.csv"
FEATURES = "select * exclude (as_of_at) from clickstream_customer_features order by user_id"


def build_query(build: Build, sql: str) -> pd.DataFrame:
    """The landing and staging tables stay in the build database (they are not published)."""
    with duckdb.connect(str(build.database) + ".build", read_only=True) as connection:
        return connection.execute(sql).df()


def build_events(workdir: Path, events_path: str, **extra) -> Build:
    result = Build(workdir).dbt(
        "build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "events_path": events_path, **extra}
    )
    assert result.returncode == 0, result.output[-4000:]
    return result


def build_features(workdir: Path, events_path: str) -> Build:
    """The clickstream features and what they read, alone (no fits, personas or report): for tests that compare
    features, a fraction of a whole build. Not published: read them with build_query."""
    result = Build(workdir).dbt(
        "build",
        *upstream_of("clickstream_customer_features"),
        dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "events_path": events_path},
    )
    assert result.returncode == 0, result.output[-4000:]
    return result


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Build:
    return built_once(tmp_path_factory, "clickstream_sample", lambda folder: build_events(folder, str(SAMPLE)))


def test_the_real_sample_gives_the_known_counts(sample):
    staged = build_query(sample, "select event_type, count(*) as n from clickstream_events group by 1")
    # 17,434 events: 17,055 views, 165 carts, 214 purchases; 5 exact duplicates (4 views, 1 cart) removed.
    assert staged.set_index("event_type")["n"].to_dict() == {"view": 17_051, "cart": 164, "purchase": 214}
    accounting = sample.query("select * from clickstream_event_accounting").iloc[0]
    assert accounting["events_landed"] == accounting["events_read"] == 17_434
    assert accounting["events_used"] == 17_429
    assert accounting["duplicate_events_removed"] == 5 and accounting["events_quarantined"] == 0
    features = sample.query("select * from clickstream_customer_features")
    assert len(features) == 4_504  # users
    assert features["session_count"].sum() == 5_067  # 5,066 session ids, one shared by two users
    assert (features["recency_days"] >= 0).all() and (features["recency_days"] < 1).all()  # under 3 hours
    summary = sample.query("select * from run_summary where input_name = 'clickstream'").iloc[0]
    assert summary["rows_read"] == 17_434 and summary["entities_scored"] == 4_504
    profiles = sample.query("select * from persona_profiles where segmentation_name = 'clickstream'")
    assert profiles["member_count"].sum() == 4_504 and profiles["marketing_strategy"].notna().all()
    k_table = sample.query("select * from k_selection where segmentation_name = 'clickstream'")
    assert sorted(k_table["k"]) == list(range(2, 11)) and k_table["is_chosen"].sum() == 1


def test_the_report_has_a_clickstream_section(sample):
    report = (sample.reports / "insights.md").read_text()
    section = report[report.index("## Clickstream") :]
    assert "clickstream_event_accounting" in section  # the registry's report table
    for persona in sample.query("select persona_name from persona_profiles where segmentation_name = 'clickstream'")[
        "persona_name"
    ]:
        assert f"### {persona}" in section
    assert (sample.reports / "clickstream" / "pca_2d.png").stat().st_size > 1000


def test_adding_a_file_processes_only_the_new_events(tmp_path):
    events = generate_events(60_000, days=14, seed=4)
    half = len(events) // 2
    folder = tmp_path / "events"
    folder.mkdir()
    events.iloc[:half].to_csv(folder / "week_1.csv", index=False)
    incremental = build_features(tmp_path / "incremental", str(folder / "*.csv"))
    first_loads = build_query(incremental, "select distinct load_id from raw_clickstream_events")
    events.iloc[half:].to_csv(folder / "week_2.csv", index=False)
    build_features(tmp_path / "incremental", str(folder / "*.csv"))
    landed = build_query(
        incremental,
        "select source_file, load_id, count(*) as n from raw_clickstream_events group by all order by source_file",
    )
    assert len(landed) == 2 and landed["n"].tolist() == [half, len(events) - half]
    assert landed.loc[0, "load_id"] == first_loads["load_id"].item()  # week 1 was not read again
    assert landed.loc[1, "load_id"] != landed.loc[0, "load_id"]

    combined = tmp_path / "combined.csv"
    events.to_csv(combined, index=False)
    whole = build_features(tmp_path / "whole", str(combined))
    pd.testing.assert_frame_equal(build_query(incremental, FEATURES), build_query(whole, FEATURES))


def test_a_landed_file_that_changed_stops_the_landing(tmp_path):
    events = generate_events(4_000, days=2, seed=5)
    folder = tmp_path / "events"
    folder.mkdir()
    day_1 = folder / "day_1.csv"
    events.iloc[:2_000].to_csv(day_1, index=False)
    build = build_features(tmp_path / "build", str(folder / "*.csv"))
    landed_size = day_1.stat().st_size
    recorded = build_query(build, "select distinct source_file, source_file_bytes from raw_clickstream_events")
    assert recorded.values.tolist() == [[str(day_1), landed_size]]

    # Lines added to a landed file (exported again, or landed while still being written) would never be read.
    events.iloc[2_000:].to_csv(day_1, mode="a", header=False, index=False)
    failed = Build(tmp_path / "build").dbt(
        "build",
        *upstream_of("clickstream_customer_features"),
        dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "events_path": str(folder / "*.csv")},
    )
    assert failed.returncode != 0
    assert (
        f"'{day_1}' had {landed_size:,} bytes when it was landed and has {day_1.stat().st_size:,} now" in failed.output
    )
    assert "--full-refresh" in failed.output
    assert build_query(build, "select count(*) as n from raw_clickstream_events")["n"].item() == 2_000

    # A new file beside it, with the landed file as it was, lands as usual.
    events.iloc[:2_000].to_csv(day_1, index=False)
    events.iloc[2_000:].to_csv(folder / "day_2.csv", index=False)
    build_features(tmp_path / "build", str(folder / "*.csv"))
    assert build_query(build, "select count(*) as n from raw_clickstream_events")["n"].item() == len(events)


def test_parquet_and_sqlite_inputs_give_the_same_features(tmp_path):
    events = generate_events(30_000, days=7, seed=6)
    csv = tmp_path / "events.csv"
    events.to_csv(csv, index=False)
    parquet_folder = tmp_path / "parquet"
    write_events(parquet_folder, 30_000, files=2, days=7, seed=6, file_format="parquet")
    database = tmp_path / "shop.sqlite"
    with sqlite3.connect(database) as connection:
        events.to_sql("events", connection, index=False)
    from_csv = build_query(build_features(tmp_path / "csv", str(csv)), FEATURES)
    from_parquet = build_query(build_features(tmp_path / "pq", str(parquet_folder / "*.parquet")), FEATURES)
    from_sqlite = build_query(build_features(tmp_path / "sqlite", str(database)), FEATURES)
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    pd.testing.assert_frame_equal(from_csv, from_sqlite)


def test_bad_events_are_quarantined_and_a_missing_column_stops_the_build(tmp_path):
    lines = SAMPLE.read_text().splitlines()
    lines[1] = lines[1].replace(",view,", ",teleport,", 1)
    fields = lines[2].split(",")
    fields[6] = "-5.00"
    lines[2] = ",".join(fields)
    fields = lines[3].split(",")
    fields[6] = "12.x"
    lines[3] = ",".join(fields)
    fields = lines[4].split(",")
    fields[0] = "yesterday"
    lines[4] = ",".join(fields)
    lines[5] = lines[5].replace(",view,", ",,", 1)  # no event type
    fields = lines[6].split(",")
    fields[2] = "abc"
    lines[6] = ",".join(fields)
    lines[7] = lines[7] + ",an extra field"  # a line of the wrong shape
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = build_events(tmp_path / "bad", str(bad))
    quarantine = result.query("select * from clickstream_event_quarantine order by quarantine_reasons")
    assert quarantine["quarantine_reasons"].tolist() == [
        "malformed_line",
        "negative_price",
        "unknown_event_type",
        "unknown_event_type",
        "unparseable_event_time",
        "unparseable_price",
        "unparseable_product_id",
    ]
    assert quarantine["event_time_raw"].tolist()[4] == "yesterday"  # the text as written
    # A line the typed reader rejected keeps its text and its line number (line 1 is the header).
    rejected = quarantine.set_index("quarantine_reasons").loc["unparseable_product_id"]
    assert rejected["rejected_line"] == lines[6] and rejected["source_row"] == 7
    landed = build_query(result, "select price_raw from raw_clickstream_events where price_raw is not null")
    assert landed["price_raw"].tolist() == ["12.x"]
    # Every event, rejected lines too, keeps the size its file had when it was landed.
    sizes = build_query(result, "select distinct source_file_bytes from raw_clickstream_events")
    assert sizes["source_file_bytes"].tolist() == [bad.stat().st_size]
    accounting = result.query("select * from clickstream_event_accounting").iloc[0]
    assert accounting["events_quarantined"] == 7 and accounting["events_read"] == accounting["events_landed"] == 17_434

    header = lines[0].replace("user_session", "session")
    missing = tmp_path / "missing.csv"
    missing.write_text("\n".join([header, *lines[1:]]) + "\n")
    failed = Build(tmp_path / "missing").dbt(
        "build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "events_path": str(missing)}
    )
    assert failed.returncode != 0
    assert "missing.csv" in failed.output and "missing required column(s) user_session" in failed.output


def test_an_events_input_that_cannot_be_read_stops_the_landing_with_a_clear_message(tmp_path):
    write_events(tmp_path / "parquet", 2_000, files=1, days=1, seed=3, file_format="parquet")
    cases = {
        str(tmp_path / "nowhere" / "*.csv"): "no file matches this path or glob",
        str(tmp_path / "parquet" / "*"): "name Parquet files with a path or glob ending in '.parquet'",
        str(tmp_path / "missing.sqlite"): "the SQLite file does not exist",
    }
    for events_path, message in cases.items():
        # The landing model alone: it reads the source first, so nothing else is needed to see the refusal.
        failed = Build(tmp_path / "build").dbt(
            "run", "--select", "raw_clickstream_events", dbt_vars={"events_path": events_path}
        )
        assert failed.returncode != 0 and message in failed.output and events_path in failed.output, (
            events_path,
            failed.output[-2000:],
        )


def test_a_landing_table_of_an_older_version_asks_for_one_full_refresh(sample, tmp_path):
    """Landing moved from text to typed columns; an old landing table must not be appended to."""
    build = copy_of(sample, tmp_path / "build")  # a warehouse that landed the sample
    with duckdb.connect(str(build.database) + ".build") as connection:
        connection.execute(
            "create or replace table raw_clickstream_events as select source_file, source_row, "
            "cast(event_at as varchar) || ' UTC' as event_time, event_type, cast(product_id as varchar) "
            "as product_id, cast(category_id as varchar) as category_id, category_code, brand, "
            "cast(price as varchar) as price, cast(user_id as varchar) as user_id, user_session, load_id "
            "from raw_clickstream_events"
        )
    before = build.query("select * from persona_profiles where segmentation_name = 'clickstream'")
    refused = build.smartcart("run")
    assert refused.returncode != 0
    assert "older version" in refused.stdout and "smartcart run --full-refresh" in refused.stdout
    pd.testing.assert_frame_equal(
        build.query("select * from persona_profiles where segmentation_name = 'clickstream'"), before
    )
    rebuilt = build.smartcart("run", "--full-refresh")
    assert rebuilt.returncode == 0, (rebuilt.stdout + rebuilt.stderr)[-3000:]
    assert build_query(build, "select count(*) as n from raw_clickstream_events")["n"].item() == 17_434
