"""dbt ignores vars it does not know: ours are declared with their types (var var_types in dbt_project.yml)
and checked before anything runs (macro check_vars), so a typo stops the build instead of being ignored."""

from __future__ import annotations

import duckdb
import yaml

from ml import project
from tests.conftest import ROOT, Build


def test_every_var_has_a_declared_type():
    values = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    types = values.pop("var_types")
    assert set(types) == set(values)
    assert set(types) == set(project.project_vars()) - {"var_types"}


def test_the_issue_example_stops_the_build_before_anything_runs(tmp_path):
    # One letter off: dbt used to build the bundled sample and exit 0.
    result = Build(tmp_path).dbt("build", dbt_vars={"customer_file": "mine.csv"})
    assert result.returncode != 0
    assert "Invalid --vars (nothing was built)" in result.output
    assert 'unknown var "customer_file"; did you mean "customers_file"?' in result.output
    # Nothing ran: nothing published, no table built, and no failed run recorded for the next build to publish.
    assert not result.database.exists()
    with duckdb.connect(f"{result.database}.build", read_only=True) as connection:
        assert connection.execute("select count(*) from information_schema.tables").fetchone()[0] == 0


BAD_VARS = {
    "k_min": ("3", 'var k_min = "3": expected a whole number'),
    "as_of_date": ("2011-13-01", 'var as_of_date = "2011-13-01": expected a date YYYY-MM-DD'),
    "clv_model": ("bgnbd", 'var clv_model = "bgnbd": expected one of bg_nbd, mbg_nbd'),
    "refit": (["customer"], "var refit = ['customer']: unknown segmentation customer"),
    "n_clusters": ({"customers": 2.5}, "customers: expected a whole number"),
    "churn_risk_thresholds": ({"medium": 0.3, "hgih": 0.6}, "unknown key hgih; did you mean high?"),
    "drift_thresholds": ({"input_psi": 0.2}, "missing key low_margin_share_increase"),
    "history_keep_runs": (2.5, "var history_keep_runs = 2.5: expected a whole number"),
    "invoice_file": ("x.csv", 'unknown var "invoice_file"; did you mean "invoices_file"?'),
}


def test_every_bad_var_is_named_at_once(tmp_path):
    result = Build(tmp_path).dbt("build", dbt_vars={name: value for name, (value, _) in BAD_VARS.items()})
    assert result.returncode != 0
    missing = [message for _, message in BAD_VARS.values() if message not in result.output]
    assert not missing, result.output[-3000:]
    assert not result.database.exists()


def test_the_inputs_are_printed_at_the_start(bundled_build):
    lines = [line for line in bundled_build.output.splitlines() if " Input " in line]
    assert len(lines) == len(project.registry().names)
    assert any("Input invoices: " in line and "(given; var invoices_file)" in line for line in lines)
    assert any("Input clickstream: data/raw/clickstream/rees46_2019-Oct_head.csv (default" in line for line in lines)
    with duckdb.connect(str(bundled_build.database), read_only=True) as connection:
        assert connection.execute("select count(*) from run_summary").fetchone()[0] > 0
