"""Safe publishing: failed, blocked or killed builds leave the published tables intact.

And a reader never sees a mix of old and new tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.synthetic.customers import generate_customers, write_customers
from tests.conftest import BUNDLED_CUSTOMERS, ROOT, SMALL_CUSTOMERS, Build, copy_of, customers_with

pytestmark = pytest.mark.integration

SNAPSHOT_SQL = {
    "persona_profiles": "select * from persona_profiles order by segmentation_name, persona_name",
    "customer_personas": "select * from customer_personas order by customer_id",
    "run_summary": "select * from run_summary order by run_started_at",
}


def snapshot(build) -> dict[str, pd.DataFrame]:
    return {name: build.query(sql) for name, sql in SNAPSHOT_SQL.items()}


def assert_unchanged(build, before: dict[str, pd.DataFrame]) -> None:
    for name, frame in snapshot(build).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


@pytest.fixture
def published(small_build, tmp_path) -> Build:
    """A published warehouse of the small fixture for this test to rebuild, fail or kill builds on: a copy of
    the session's small build (its warehouse, build database, models, reports and dbt target), not a new
    build of the same file."""
    copy = copy_of(small_build, tmp_path / "published")
    assert copy.query("select count(*) from run_summary where outcome = 'published'").iloc[0, 0] > 0
    return copy


def test_a_blocking_input_failure_leaves_the_published_tables_intact(published, tmp_path):
    before = snapshot(published)
    stamp = published.database.stat().st_mtime_ns
    bad = tmp_path / "bad.tsv"
    bad.write_text(SMALL_CUSTOMERS.read_text().replace("\t", ","))
    result = published.dbt("build", dbt_vars={"customers_file": str(bad)})
    assert result.returncode != 0 and "tab-separated" in result.output
    assert published.database.stat().st_mtime_ns == stamp
    assert_unchanged(published, before)


def test_a_failed_dbt_test_leaves_the_published_tables_intact(published, tmp_path):
    before = snapshot(published)
    varied = customers_with(tmp_path / "varied.tsv", {(5, "Z_Revenue"): "12"})
    result = published.dbt("build", dbt_vars={"customers_file": str(varied)})
    assert result.returncode != 0 and "assert_constant_export_columns_are_constant" in result.output
    assert_unchanged(published, before)
    # The failure is on record in the build database, and reaches the published one with the next build.
    with duckdb.connect(str(published.database) + ".build", read_only=True) as connection:
        outcomes = [row[0] for row in connection.execute("select outcome from run_summary").fetchall()]
    assert any(outcome.startswith("failed: assert_constant_export_columns_are_constant") for outcome in outcomes)
    assert published.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)}).returncode == 0
    outcomes = published.query("select outcome from run_summary where input_name = 'customers'")["outcome"]
    outcomes = outcomes.tolist()
    assert outcomes.count("published") == 2 and any(o.startswith("failed") for o in outcomes)


def test_partial_builds_stop_clearly_or_build_and_never_record_failed_rows(published, tmp_path):
    summary = "select run_id, input_name, outcome from run_summary order by all"
    before = published.query(summary)
    # A selection whose inputs exist runs: the publishing step alone republishes the last build.
    republished = published.dbt("build", "--select", "published_warehouse")
    assert republished.returncode == 0, republished.output[-3000:]
    pd.testing.assert_frame_equal(published.query(summary), before)
    # A partial build that fails is dbt's to report: it adds no failed row for the next build to publish.
    bad = tmp_path / "bad.tsv"
    bad.write_text(SMALL_CUSTOMERS.read_text().replace("\t", ","))
    failed = published.dbt("build", "--select", "stg_smartcart__customers", dbt_vars={"customers_file": str(bad)})
    assert failed.returncode != 0 and "tab-separated" in failed.output
    with duckdb.connect(str(published.database) + ".build", read_only=True) as connection:
        assert connection.execute(f"select count(*) from ({summary}) where outcome like 'failed%'").fetchone()[0] == 0
    # A selection whose inputs no build has made stops at the start, naming them (in a fresh folder).
    (tmp_path / "fresh").mkdir()
    fresh = Build(tmp_path / "fresh").dbt("build", "--select", "published_warehouse")
    assert fresh.returncode != 0
    assert "published_warehouse needs publication_manifest, run_summary" in fresh.output
    assert "--select +published_warehouse" in fresh.output
    assert not fresh.database.exists()


def test_a_killed_build_leaves_the_published_tables_intact(published, tmp_path):
    before = snapshot(published)
    big = write_customers(generate_customers(300_000, seed=5), tmp_path / "big.tsv")
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--project-dir",
        str(ROOT),
        "--profiles-dir",
        str(ROOT),
        "--vars",
        json.dumps({"customers_file": str(big)}),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=published.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(9)  # well into the build: staging, features or the fit
    assert process.poll() is None, "the build finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert_unchanged(published, before)
    # And the next build recovers from the killed one.
    assert published.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)}).returncode == 0


def test_a_reader_queries_the_persona_tables_throughout_a_rebuild(published):
    old_total = int(
        published.query("select sum(member_count) as n from persona_profiles where segmentation_name = 'customers'")[
            "n"
        ].iloc[0]
    )
    seen: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(published.database), read_only=True) as connection:
                    total, shares, scored = connection.execute(
                        "select sum(member_count), sum(member_share), "
                        "(select count(*) from customer_personas) from persona_profiles "
                        "where segmentation_name = 'customers'"
                    ).fetchall()[0]
                assert total == scored and abs(shares - 1) < 1e-9, (total, scored, shares)
                seen.append(int(total))
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                errors.append(repr(error))
            time.sleep(0.02)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        result = published.dbt("build", dbt_vars={"customers_file": str(BUNDLED_CUSTOMERS)})
        time.sleep(0.3)
    finally:
        stop.set()
        reader.join()
    assert result.returncode == 0, result.output[-3000:]
    assert errors == []
    assert set(seen) == {old_total, 2240}  # the old tables, then the new ones, and never a mix
    assert seen.index(2240) > 50  # the reader really was reading during the build


def test_run_summary_accounts_for_every_row_of_the_file(small_build):
    summary = small_build.query("select * from run_summary where input_name = 'customers'").iloc[0]
    digest = hashlib.sha256(SMALL_CUSTOMERS.read_bytes()).hexdigest()
    assert summary["file_sha256"] == digest
    assert summary["file_path"] == str(SMALL_CUSTOMERS)
    assert summary["rows_read"] == summary["rows_accepted"] + summary["rows_quarantined"]
    assert summary["entities_scored"] == summary["rows_accepted"]
    assert summary["rows_fitted"] + summary["rows_excluded_from_fit"] == summary["rows_accepted"]
    assert summary["outcome"] == "published"
