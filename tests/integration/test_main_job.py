"""The README's main job, through the same console script users run."""

from __future__ import annotations

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
    for persona in build.query("select persona_name from persona_profiles")["persona_name"]:
        assert persona in result.stdout


def test_smartcart_run_reports_a_failed_build(build, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ID,Year_Birth\n1,1980\n")
    result = build.smartcart("run", "--customers-file", str(bad))
    assert result.returncode != 0
    assert "missing required column" in result.stdout + result.stderr
    assert "Nothing was built; the published warehouse is unchanged." in result.stderr
