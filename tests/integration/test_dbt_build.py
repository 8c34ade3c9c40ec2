"""Real `dbt build` runs in a subprocess into temporary DuckDB files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import SMALL_CUSTOMERS, copy_of

pytestmark = pytest.mark.integration


def test_build_publishes_documented_persona_tables(small_build):
    raw_rows = sum(1 for line in SMALL_CUSTOMERS.read_text().splitlines() if line.strip()) - 1
    customers = small_build.query("select * from customer_personas")
    assert len(customers) == raw_rows  # nothing quarantined in this fixture, nothing lost
    assert customers["customer_id"].is_unique
    assert customers["persona_name"].notna().all()

    profiles = small_build.query("select * from persona_profiles where segmentation_name = 'customers'")
    assert profiles["member_count"].sum() == raw_rows
    assert profiles["member_share"].sum() == pytest.approx(1.0)
    assert profiles["marketing_strategy"].str.len().gt(10).all()
    assert profiles["top_traits"].str.contains(r"\(\+|\(-").all()
    assert set(customers["persona_id"]) == set(profiles["persona_id"])

    k_table = small_build.query("select * from k_selection where segmentation_name = 'customers'")
    assert sorted(k_table["k"]) == list(range(2, 11))
    assert k_table["is_chosen"].sum() == 1
    models = small_build.query("select * from segmentation_models where segmentation_name = 'customers'")
    assert len(models) == 1 and models["is_active_model"].all() and len(models["artifact_sha256"].iloc[0]) == 64
    features = small_build.query(
        "select * from persona_feature_profiles where segmentation_name = 'customers' and feature_name = 'income'"
    )
    assert set(features["persona_id"]) == set(profiles["persona_id"])


def test_flagged_customers_are_scored_but_not_fitted(small_build):
    flagged = small_build.query(
        """
        select customer_id, persona_name, is_excluded_from_fit, fit_exclusion_reasons,
               is_implausible_birth_year, is_extreme_income, is_duplicate_profile, is_income_imputed
        from customer_personas
        where is_excluded_from_fit or is_income_imputed
        """
    ).set_index("customer_id")
    assert flagged.loc[999999, "fit_exclusion_reasons"] == "duplicate_profile"
    assert flagged["is_implausible_birth_year"].sum() == 2
    assert flagged["is_extreme_income"].sum() == 1
    assert flagged.loc[flagged["is_extreme_income"], "fit_exclusion_reasons"].iloc[0] == "extreme_income"
    assert flagged["is_income_imputed"].sum() >= 20
    assert flagged["persona_name"].notna().all()
    models = small_build.query("select rows_available from segmentation_models where segmentation_name = 'customers'")
    scored = small_build.query("select count(*) as n from customer_personas")["n"].iloc[0]
    assert scored - models["rows_available"].iloc[0] == flagged["is_excluded_from_fit"].sum()


def test_build_writes_the_report_with_a_section_per_segmentation(small_build):
    report = (small_build.reports / "insights.md").read_text()
    assert (small_build.reports / "insights.html").stat().st_size > 1000
    for name in ["customers", "invoices", "clickstream"]:
        for plot in ["k_selection", "persona_heatmap", "pca_2d", "pca_3d", "scatter", "feature_correlations"]:
            assert (small_build.reports / name / f"{plot}.png").stat().st_size > 1000, (name, plot)
    for title in ["## Customer profiles", "## Invoices (RFM)", "## Clickstream"]:
        assert title in report
    for persona in small_build.query("select persona_name from persona_profiles")["persona_name"]:
        assert f"### {persona}" in report
    assert "about average" in report or "above average" in report


# Tables that record each run (their rows grow, or compare runs) and columns that name the run.
PER_RUN_TABLES = {
    "run_summary",
    "persona_membership_history",
    "persona_migrations",
    "segment_drift",
    "refit_recommendation",
}


# What a refit records about itself (when, how long, why, which fit it follows), not what it found.
FIT_HISTORY_COLUMNS = {
    "fit_sequence",
    "fitted_at",
    "fit_seconds",
    "refit_reason",
    "previous_model_version",
    "identity_status",
    "identity_distance",
}


def different_tables(database: Path, earlier: Path) -> dict[str, int]:
    """Published tables whose rows differ between two warehouse files (run ids and timings left out)."""
    differences = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute(f"attach '{earlier}' as earlier (read_only)")
        catalog = connection.execute(
            "select table_name, list(column_name order by column_index) from duckdb_columns() "
            "where database_name = current_database() group by table_name"
        ).fetchall()
        for table, columns in catalog:
            if table in PER_RUN_TABLES:
                continue
            kept = ", ".join(
                f'"{c}"' for c in columns if "run" not in c and c not in FIT_HISTORY_COLUMNS and c != "load_id"
            )
            rows = connection.execute(
                f"select count(*) from (select {kept} from main.{table} except all select {kept} from earlier.{table})"
            ).fetchall()[0][0]
            if rows:
                differences[table] = rows
    return differences


def test_two_consecutive_builds_give_identical_labels(small_build, tmp_path):
    build = copy_of(small_build, tmp_path / "build")  # the first build
    earlier = tmp_path / "first.duckdb"
    shutil.copy(build.database, earlier)
    labels_one = build.query("select * from customer_personas order by customer_id")
    personas_one = build.query("select customer_id, persona_name from customer_personas order by customer_id")
    # A refit on the same data must reproduce the same model, bit for bit.
    second = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "refit": True})
    assert second.returncode == 0, second.output[-3000:]
    pd.testing.assert_frame_equal(labels_one, build.query("select * from customer_personas order by customer_id"))
    pd.testing.assert_frame_equal(
        personas_one,
        build.query("select customer_id, persona_name from customer_personas order by customer_id"),
    )
    fits = build.query("select * from segmentation_models where segmentation_name = 'customers'")
    assert len(fits) == 1  # the refit reproduced the same model version
    # Every published table, bit for bit: features, fits, profiles, value figures (sums of doubles are
    # order-free: exact_aggregates.sql).
    assert different_tables(build.database, earlier) == {}


def test_n_clusters_var_overrides_the_choice(build):
    result = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "n_clusters": {"customers": 5}})
    assert result.returncode == 0, result.output[-3000:]
    profiles = build.query("select count(*) as n from persona_profiles where segmentation_name = 'customers'")
    assert profiles["n"].iloc[0] == 5
    chosen = build.query("select k from k_selection where is_chosen and segmentation_name = 'customers'")
    chosen = chosen["k"].tolist()
    assert chosen == [5]


def test_bundled_data_yields_three_named_personas_with_strategies(bundled_build):
    profiles = bundled_build.query("select * from persona_profiles where segmentation_name = 'customers'")
    named = profiles[~profiles["is_fallback_name"]]
    assert named["persona_name"].nunique() >= 3
    assert named["marketing_strategy"].notna().all()
    assert bundled_build.query("select count(*) as n from customer_personas")["n"].iloc[0] == 2240
