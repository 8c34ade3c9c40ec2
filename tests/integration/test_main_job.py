"""The README's main job, through the same console script users run."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SMALL_CUSTOMERS

pytestmark = pytest.mark.integration


def test_smartcart_run_builds_and_prints_the_persona_table(build):
    result = build.smartcart("run", "--customers-file", str(SMALL_CUSTOMERS))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Customer profiles (customers, persona_profiles):" in result.stdout
    assert "Refit recommendation" in result.stdout and "no refit needed" in result.stdout
    assert (
        "Customer value (predicted CLV" in result.stdout and "  clickstream: no customer value figures" in result.stdout
    )
    assert result.stdout.startswith("Inputs:") and str(SMALL_CUSTOMERS) in result.stdout.splitlines()[1]
    # Its own progress: three numbered steps, each with the time the previous one took.
    steps = [line for line in result.stdout.splitlines() if re.match(r"\[\d/3\] ", line)]
    assert [line[:5] for line in steps] == ["[1/3]", "[2/3]", "[3/3]"] and "previous step:" in steps[2]
    for persona in build.query("select persona_name from persona_profiles")["persona_name"]:
        assert persona in result.stdout
    # What the guardrails and the trust evidence found, per segmentation, and in run_summary.
    assert "Can the segments be trusted?" in result.stdout
    for verdict in build.query("select verdict from segmentation_trust")["verdict"]:
        assert verdict in result.stdout
    notes = build.query(
        "select input_name, segmentation_data_notes from run_summary where outcome = 'published'"
    ).set_index("input_name")["segmentation_data_notes"]
    assert "the data spans 2.8 hours" in notes["clickstream"] and notes["customers"] == ""


def test_smartcart_run_reports_a_failed_build(build, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ID,Year_Birth\n1,1980\n")
    result = build.smartcart("run", "--customers-file", str(bad))
    assert result.returncode != 0
    assert "missing required column" in result.stdout + result.stderr
    assert "Nothing was built; the published warehouse is unchanged." in result.stderr


def test_smartcart_generate_writes_every_source(build, tmp_path):
    import duckdb

    runs = {
        "customers": (["--out", str(tmp_path / "customers.tsv")], "wrote 300 customers"),
        "invoices": (["--out", str(tmp_path / "lines.csv")], "invoice lines to"),
        "events": (["--out", str(tmp_path / "events"), "--files", "2", "--days", "10"], "events over 10 days to 2"),
    }
    for kind, (arguments, message) in runs.items():
        result = build.smartcart("generate", "--kind", kind, "--rows", "300", *arguments)
        assert result.returncode == 0 and message in result.stdout, result.stderr
    written = int(
        build.smartcart("generate", "--kind", "events", "--rows", "3000", "--out", str(tmp_path / "more"))
        .stdout.split()[1]
        .replace(",", "")
    )
    with duckdb.connect() as connection:
        assert connection.execute(f"select count(*) from '{tmp_path / 'more'}/*.csv'").fetchall()[0][0] == written
