"""Real `dbt build` runs in a subprocess into temporary DuckDB files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import BUNDLED_CUSTOMERS, SMALL_CUSTOMERS

pytestmark = pytest.mark.integration


def test_build_publishes_documented_persona_tables(small_build):
    raw_rows = sum(1 for line in SMALL_CUSTOMERS.read_text().splitlines() if line.strip()) - 1
    customers = small_build.query("select * from customer_personas")
    assert len(customers) == raw_rows  # nothing quarantined in this fixture, nothing lost
    assert customers["customer_id"].is_unique
    assert customers["persona_name"].notna().all()

    profiles = small_build.query("select * from persona_profiles")
    assert profiles["customer_count"].sum() == raw_rows
    assert profiles["customer_share"].sum() == pytest.approx(1.0)
    assert profiles["marketing_strategy"].str.len().gt(10).all()
    assert profiles["top_traits"].str.contains(r"\(\+|\(-").all()

    k_table = small_build.query("select * from k_selection where segmentation_name = 'customers'")
    assert sorted(k_table["k"]) == list(range(2, 11))
    assert k_table["is_chosen"].sum() == 1
    runs = small_build.query("select * from segmentation_runs where segmentation_name = 'customers'")
    assert len(runs) == 1 and len(runs["artifact_sha256"].iloc[0]) == 64
    centroids = small_build.query("select * from customer_segment_centroids")
    assert set(centroids["cluster_id"]) == set(profiles["cluster_id"])


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
    runs = small_build.query(
        "select rows_available, rows_scored from segmentation_runs where segmentation_name = 'customers'"
    )
    assert (
        runs["rows_scored"].iloc[0] - runs["rows_available"].iloc[0] == flagged["is_excluded_from_fit"].sum()
    )


def test_build_writes_plots_report_and_a_verifiable_artifact(small_build):
    folder = small_build.reports / "customers"
    for name in [
        "raw_input_profile.png",
        "feature_correlations.png",
        "k_selection.png",
        "pca_2d.png",
        "pca_3d.png",
        "persona_heatmap.png",
        "income_vs_spend.png",
        "insights.md",
        "insights.html",
    ]:
        assert (folder / name).stat().st_size > 1000, name
    report = (folder / "insights.md").read_text()
    for persona in small_build.query("select persona_name from persona_profiles")["persona_name"]:
        assert f"### {persona}" in report
    sidecar = json.loads((small_build.artifacts / "customers" / "model.json").read_text())
    runs = small_build.query(
        "select artifact_sha256, model_version from segmentation_runs where segmentation_name = 'customers'"
    )
    assert sidecar["artifact_sha256"] == runs["artifact_sha256"].iloc[0]
    assert sidecar["model_version"] == runs["model_version"].iloc[0]


def test_two_consecutive_builds_give_identical_labels(build):
    first = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)})
    assert first.returncode == 0, first.output[-3000:]
    labels_one = build.query("select * from customer_segments order by customer_id")
    personas_one = build.query("select customer_id, persona_name from customer_personas order by customer_id")
    second = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)})
    assert second.returncode == 0, second.output[-3000:]
    pd.testing.assert_frame_equal(
        labels_one, build.query("select * from customer_segments order by customer_id")
    )
    pd.testing.assert_frame_equal(
        personas_one,
        build.query("select customer_id, persona_name from customer_personas order by customer_id"),
    )
    fits = build.query("select * from segmentation_runs where segmentation_name = 'customers'")
    assert len(fits) == 2  # one row per fit


def test_n_clusters_var_overrides_the_choice(build):
    result = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "n_clusters": 5})
    assert result.returncode == 0, result.output[-3000:]
    assert build.query("select count(*) as n from persona_profiles")["n"].iloc[0] == 5
    chosen = build.query("select k from k_selection where is_chosen and segmentation_name = 'customers'")
    chosen = chosen["k"].tolist()
    assert chosen == [5]


def test_bundled_data_yields_three_named_personas_with_strategies(build):
    result = build.dbt("build", dbt_vars={"customers_file": str(BUNDLED_CUSTOMERS)})
    assert result.returncode == 0, result.output[-3000:]
    profiles = build.query("select * from persona_profiles")
    named = profiles[~profiles["is_fallback_name"]]
    assert named["persona_name"].nunique() >= 3
    assert named["marketing_strategy"].notna().all()
    assert build.query("select count(*) as n from customer_personas")["n"].iloc[0] == 2240
