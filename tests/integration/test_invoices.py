"""The invoices source end to end: real dbt builds on the bundled Online Retail sample and synthetic files."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from ml.synthetic.invoices import write_invoices
from tests.conftest import BUNDLED_INVOICES, SMALL_CUSTOMERS, SMALL_INVOICES, Build, copy_of, upstream_of


@pytest.fixture(scope="module")
def bundled(bundled_build: Build) -> Build:
    """The build of the bundled data (the three-month sample: 105,335 lines)."""
    return bundled_build


def test_every_line_of_the_sample_is_accounted_for_with_the_known_counts(bundled):
    accounting = bundled.query("select * from invoice_line_accounting")
    assert accounting["line_count"].sum() == 105_335
    # Known counts of the sample (data/README.md): lines without CustomerID, cancellation lines.
    assert accounting.loc[~accounting["has_customer"], "line_count"].sum() == 36_210
    lines = bundled.query("select * from invoice_lines")
    assert len(lines) == 105_335 and lines["line_number"].is_unique
    assert (lines["invoice_no"].str.startswith("C")).sum() == 1_904
    categories = lines.groupby("line_category").size()
    assert categories["stock_adjustment"] == 214  # negative quantities outside cancellations, all guest lines
    assert categories["cancellation"] == 1_781 and categories["duplicate_line"] == 975
    assert set(lines.loc[lines["stock_code"] == "POST", "line_category"]) <= {"service", "duplicate_line"}
    assert (lines["line_revenue"] < 0).sum() > 0
    summary = bundled.query("select * from run_summary where input_name = 'invoices'").iloc[0]
    assert summary["rows_read"] == 105_335 and summary["rows_quarantined"] == 0
    assert summary["entities_scored"] == summary["entities_in_features"] == 1_745


def test_rfm_features_match_the_lines(bundled):
    features = bundled.query("select * from invoice_customer_features").set_index("customer_id")
    lines = bundled.query("select * from invoice_lines where is_customer_feature_line")
    one = lines[lines["customer_id"] == 17850]
    row = features.loc[17850]
    assert row["frequency"] == one.loc[one["line_category"] == "sale", "invoice_no"].nunique()
    assert row["monetary"] == pytest.approx(float(one["line_revenue"].astype(float).sum()), abs=0.01)
    assert str(row["as_of_date"])[:10] == "2011-03-01"  # the day after the last invoice (2011-02-28)
    last_sale = one.loc[one["line_category"] == "sale", "invoice_date"].max()
    assert row["recency_days"] == (pd.Timestamp("2011-03-01") - pd.Timestamp(last_sale)).days  # sales only
    excluded = features[features["is_excluded_from_fit"]]
    assert ((excluded["frequency"] == 0) | (excluded["monetary"] <= 0)).all()


def test_rfm_scores_are_quintiles_with_named_segments(bundled):
    scores = bundled.query("select * from invoice_rfm_scores")
    fitted = bundled.query("select count(*) as n from invoice_customer_features where not is_excluded_from_fit")
    assert len(scores) == fitted["n"].iloc[0]
    for column in ["r_score", "f_score", "m_score"]:
        sizes = scores[column].value_counts()
        assert sorted(sizes.index) == [1, 2, 3, 4, 5] and sizes.max() - sizes.min() <= 1
    # Higher R score = more recent, higher F = more orders, on average.
    by_r = scores.groupby("r_score")["recency_days"].mean()
    assert by_r.is_monotonic_decreasing
    assert scores.groupby("f_score")["frequency"].mean().is_monotonic_increasing
    champions = scores[scores["rfm_segment"] == "Champions"]
    assert (champions["r_score"] == 5).all() and (champions["f_score"] >= 4).all()
    assert scores["rfm_segment"].nunique() >= 8


def test_ml_personas_are_named_from_centroids_and_crossed_with_rfm(bundled):
    profiles = bundled.query("select * from persona_profiles where segmentation_name = 'invoices'")
    assert len(profiles) == 4  # default k for this source
    assert set(profiles["persona_name"]) == {
        "Loyal High-Spenders",
        "Potential Loyalists",
        "Occasional Buyers",
        "Dormant",
    }
    means = bundled.query(
        "select persona_name, feature_name, member_mean from persona_feature_profiles "
        "where segmentation_name = 'invoices'"
    ).pivot(index="persona_name", columns="feature_name", values="member_mean")
    assert means["frequency"].idxmax() == "Loyal High-Spenders"
    assert means["recency_days"].idxmax() == "Dormant"
    k_table = bundled.query("select * from k_selection where segmentation_name = 'invoices' and is_active_model")
    assert sorted(k_table["k"]) == list(range(2, 11)) and k_table.loc[k_table["is_chosen"], "k"].item() == 4
    crosstab = bundled.query("select * from invoice_persona_rfm_crosstab")
    assert crosstab["customer_count"].sum() == profiles["member_count"].sum()
    shares = crosstab.groupby("persona_name")["share_of_persona"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)
    champions = crosstab[crosstab["rfm_segment"] == "Champions"].set_index("persona_name")["customer_count"]
    assert champions.idxmax() in {"Loyal High-Spenders", "Potential Loyalists"}


def test_scoring_command_gives_the_fitted_persona(bundled, tmp_path):
    features = bundled.query(
        "select customer_id, recency_days, frequency, monetary from invoice_customer_features order by customer_id"
    )
    source = tmp_path / "customers.csv"
    features.to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    result = bundled.smartcart(
        "score", "invoices", "--csv", str(source), "--out", str(out), "--db", str(bundled.database)
    )
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(out).set_index("customer_id")
    assert scored["placing_features"].notna().mean() > 0.9, "most rows say which inputs place them"
    fitted = bundled.query("select customer_id, persona_name from invoice_customer_personas").set_index("customer_id")
    assert (scored.loc[fitted.index, "persona_name"] == fitted["persona_name"]).all()

    one = features[features["customer_id"] == 17850].iloc[0]
    result = bundled.smartcart(
        "score",
        "--recency",
        str(one["recency_days"]),
        "--frequency",
        str(one["frequency"]),
        "--monetary",
        str(one["monetary"]),
        "--db",
        str(bundled.database),
    )
    assert result.returncode == 0, result.stderr
    assert fitted.loc[17850, "persona_name"] in result.stdout.splitlines()[0]
    assert result.stdout.count("distance to ") == 4 and "next closest: " in result.stdout
    assert "strategy: " in result.stdout
    assert "  placed by: " in result.stdout and "average)" in result.stdout


def test_scoring_refuses_bad_input_and_a_tampered_model(bundled, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("recency_days,frequency,monetary\n10,three,100\n")
    result = bundled.smartcart("score", "--csv", str(bad), "--db", str(bundled.database))
    assert result.returncode == 2 and "frequency" in result.stderr and "'three'" in result.stderr
    missing = tmp_path / "missing.csv"
    missing.write_text("recency_days,monetary\n10,100\n")
    result = bundled.smartcart("score", "--csv", str(missing), "--db", str(bundled.database))
    assert result.returncode == 2 and "missing column(s) frequency" in result.stderr

    copy = Build(tmp_path / "copy")
    shutil.copytree(bundled.artifacts, copy.artifacts)
    (model,) = (copy.artifacts / "invoices").glob("*/model.joblib")
    model.write_bytes(model.read_bytes() + b"tampered")
    result = copy.smartcart(
        "score", "--recency", "5", "--frequency", "2", "--monetary", "300", "--db", str(bundled.database)
    )
    assert result.returncode == 2 and "sha" in result.stderr.lower()


def test_new_customers_are_scored_with_the_stored_model_until_refit(build, tmp_path):
    lines = BUNDLED_INVOICES.read_text().splitlines()
    early = tmp_path / "early.csv"
    early.write_text("\n".join(lines[:60_001]) + "\n")  # December and most of January
    first = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "invoices_file": str(early)})
    assert first.returncode == 0, first.output[-3000:]
    before = build.query("select * from invoice_customer_personas")
    models = "select * from segmentation_models where segmentation_name = 'invoices'"
    (version,) = build.query(models)["model_version"]

    second = build.dbt(
        "build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "invoices_file": str(BUNDLED_INVOICES)}
    )
    assert second.returncode == 0, second.output[-3000:]
    after = build.query("select * from invoice_customer_personas")
    assert len(after) > len(before)  # customers who arrived after the fit are scored
    assert set(after["model_version"]) == {version}  # by the stored model: no refit
    assert build.query(models)["model_version"].tolist() == [version]
    # The stored model's assignment (SQL) is what the scoring command (joblib) gives for the same figures.
    features = build.query("select customer_id, recency_days, frequency, monetary from invoice_customer_features")
    source = tmp_path / "all.csv"
    features.to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    scoring = build.smartcart("score", "--csv", str(source), "--out", str(out), "--db", str(build.database))
    assert scoring.returncode == 0, scoring.stderr
    scored = pd.read_csv(out).set_index("customer_id")["cluster_id"]
    assert (scored.loc[after["customer_id"]].to_numpy() == after["cluster_id"].to_numpy()).all()

    third = build.dbt(
        "build",
        dbt_vars={
            "customers_file": str(SMALL_CUSTOMERS),
            "invoices_file": str(BUNDLED_INVOICES),
            "refit": ["invoices"],
        },
    )
    assert third.returncode == 0, third.output[-3000:]
    refits = build.query(models + " order by fit_sequence")
    assert len(refits) == 2 and refits["refit_reason"].iloc[1].startswith("refit requested")
    refit = build.query("select * from invoice_customer_personas")
    assert set(refit["model_version"]) == {refits["model_version"].iloc[1]} and len(refit) == len(after)


def test_a_tampered_stored_model_does_not_reach_the_scoring_command(small_build, tmp_path):
    """The build scores from the parameter table and never loads a pickle; the CLI checks the hash."""
    build = copy_of(small_build, tmp_path / "build")
    (model,) = (build.artifacts / "invoices").glob("*/model.joblib")
    model.write_bytes(model.read_bytes() + b"x")
    rebuild = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)})
    assert rebuild.returncode == 0, rebuild.output[-3000:]
    result = build.smartcart(
        "score", "--recency", "5", "--frequency", "2", "--monetary", "300", "--db", str(build.database)
    )
    assert result.returncode == 2 and "sha" in result.stderr.lower()


def test_both_export_formats_of_a_full_year_give_the_same_tables(tmp_path):
    results = {}
    for style in ["uci", "iso"]:
        path = tmp_path / f"year_{style}.csv"
        written = write_invoices(path, 541_909, seed=3, date_style=style)
        # The invoice models and what they read, alone: the other sources and the report do not depend on it.
        build = Build(tmp_path / style).dbt(
            "build",
            *upstream_of("invoice_customer_personas", "invoice_line_accounting"),
            dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "invoices_file": str(path)},
        )
        assert build.returncode == 0, build.output[-3000:]
        accounting = build.query_build_database("select * from invoice_line_accounting")
        assert accounting["line_count"].sum() == written
        assert {
            "cancellation",
            "service",
            "stock_adjustment",
            "bad_debt_adjustment",
            "duplicate_line",
        } <= set(accounting["line_category"])
        results[style] = build.query_build_database(
            "select * exclude (model_version) from invoice_customer_personas order by customer_id"
        )
    pd.testing.assert_frame_equal(results["uci"], results["iso"])


def test_an_unparseable_invoice_date_stops_the_build_naming_file_column_and_value(build, tmp_path):
    lines = SMALL_INVOICES.read_text().splitlines()
    fields = lines[5].split(",")
    fields[4] = "31/31/2010 8:26"
    lines[5] = ",".join(fields)
    bad = tmp_path / "bad_dates.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = build.dbt("build", dbt_vars={"invoices_file": str(bad)})
    assert result.returncode != 0
    assert "bad_dates.csv" in result.output and "InvoiceDate" in result.output and "'31/31/2010 8:26'" in result.output

    from ml.quality.inputs import validate_input

    report = validate_input("invoices", str(bad))
    assert not report.ok
    assert any(f.column == "InvoiceDate" and "31/31/2010 8:26" in f.examples for f in report.blocking)


def test_lines_with_missing_values_are_quarantined_with_reasons(build, tmp_path):
    lines = SMALL_INVOICES.read_text().splitlines()
    for row, column in [(3, 3), (4, 5)]:  # Quantity empty, UnitPrice empty
        fields = lines[row].split(",")
        fields[column] = ""
        lines[row] = ",".join(fields)
    fields = lines[6].split(",")
    fields[3] = "0"
    lines[6] = ",".join(fields)
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    result = build.dbt("build", dbt_vars={"invoices_file": str(path)})
    assert result.returncode == 0, result.output[-3000:]
    quarantine = build.query("select * from invoice_line_quarantine order by line_number")
    assert quarantine["line_number"].tolist() == [3, 4, 6]
    assert quarantine["quarantine_reasons"].tolist() == [
        "missing_quantity",
        "missing_unit_price",
        "zero_quantity",
    ]
    summary = build.query("select * from run_summary where input_name = 'invoices'").iloc[0]
    assert summary["rows_quarantined"] == 3 and summary["rows_read"] == len(lines) - 1
