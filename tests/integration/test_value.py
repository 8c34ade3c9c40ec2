"""Customer value and cohorts in real builds: the SQL scoring against the Python reference (ml/engine/clv.py),
the built-in holdout check, the sufficiency guardrails, and the tables beside the personas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.engine import clv
from ml.synthetic.invoices import write_invoices
from tests.conftest import Build, built_once

VALUE_TABLES = {
    "clv_sufficiency",
    "clv_parameters",
    "customer_value",
    "clv_validation",
    "clv_tracking",
    "persona_value_profiles",
    "cohort_retention",
    "cohort_persona_mix",
}


def parameters(build: Build, source: str, fitted_on: str) -> tuple[str, dict[str, float]]:
    rows = build.query(
        f"select model, parameter, value from clv_parameters where segmentation_name = '{source}' "
        f"and fitted_on = '{fitted_on}'"
    )
    model = rows.loc[rows["model"] != "gamma_gamma", "model"].iloc[0]
    return model, dict(zip(rows["parameter"], rows["value"], strict=True))


def python_reference(build: Build, source: str, horizon_days: int = 365, discount: float = 0.10) -> pd.DataFrame:
    """customer_value recomputed from clv_summaries and clv_parameters with scipy's hyp2f1."""
    model, fitted = parameters(build, source, "all data")
    rows = build.query_build_database(
        f"select * from clv_summaries where segmentation_name = '{source}' and fitted_on = 'all data' "
        "order by customer_id"
    )
    x, t_x, age = rows["frequency"], rows["recency"], rows["age"]
    steps = round(horizon_days / 30.4375)
    expected = [
        clv.conditional_expected_purchases(fitted, model, horizon_days / 7 * step / steps, x, t_x, age)
        for step in range(steps + 1)
    ]
    spend = clv.expected_spend(fitted, x, rows["mean_repeat_spend"])
    discounted = sum(
        (expected[step] - expected[step - 1]) / (1 + discount) ** (step * horizon_days / steps / 365.25)
        for step in range(1, steps + 1)
    )
    return pd.DataFrame(
        {
            "customer_id": rows["customer_id"],
            "expected_purchases": expected[-1],
            "probability_alive": clv.probability_alive(fitted, model, x, t_x, age),
            "expected_order_value": spend,
            "predicted_clv": discounted * spend,
        }
    )


def assert_sql_matches_python(build: Build, source: str) -> None:
    sql = build.query(f"select * from customer_value where segmentation_name = '{source}' order by customer_id")
    reference = python_reference(build, source)
    assert sql["customer_id"].tolist() == reference["customer_id"].tolist()
    for column in ("expected_purchases", "probability_alive", "expected_order_value", "predicted_clv"):
        np.testing.assert_allclose(sql[column], reference[column], rtol=1e-7, atol=1e-9, err_msg=column)


def assert_tracking_matches_python(build: Build, source: str) -> None:
    """clv_tracking's expected curve: every calibration customer's expected repeat purchases since their
    first purchase (scipy's hyp2f1), summed per week, and its actual curve from clv_summaries."""
    model, fitted = parameters(build, source, "calibration")
    tracking = build.query(f"select * from clv_tracking where segmentation_name = '{source}' order by week")
    customers = build.query_build_database(
        f"select first_purchase_date, frequency + holdout_purchases as repeat_purchases from clv_summaries "
        f"where segmentation_name = '{source}' and fitted_on = 'calibration'"
    )
    first_days = customers["first_purchase_date"].to_numpy()
    weeks_since_first = [
        np.maximum((np.datetime64(end, "D") - first_days).astype("timedelta64[D]").astype(float), 0) / 7
        for end in tracking["week_end_date"]
    ]
    expected = [clv.expected_purchases(fitted, model, weeks).sum() for weeks in weeks_since_first]
    np.testing.assert_allclose(tracking["predicted_cumulative_repeat_purchases"], expected, rtol=1e-7)
    actual = tracking["actual_cumulative_repeat_purchases"]
    assert actual.is_monotonic_increasing and actual.iloc[-1] == customers["repeat_purchases"].sum()


# -- The bundled data: three months of Online Retail, under three hours of clickstream -------------------------
def test_the_value_and_cohort_tables_are_published(bundled_build):
    assert VALUE_TABLES <= bundled_build.tables()


def test_every_invoice_customer_is_valued_in_sql_as_the_python_reference_computes(bundled_build):
    assert_sql_matches_python(bundled_build, "invoices")
    customers = bundled_build.query_build_database(
        "select count(distinct customer_id) as n from value_purchase_days where segmentation_name = 'invoices'"
    )
    assert (
        len(bundled_build.query("select * from customer_value where segmentation_name = 'invoices'"))
        == customers["n"][0]
    )


def test_three_months_fit_but_cannot_tell_churn_and_say_so(bundled_build):
    check = bundled_build.query("select * from clv_sufficiency where segmentation_name = 'invoices'").iloc[0]
    assert check["is_sufficient"] and check["observed_days"] == 90
    # In three months nobody has been away long enough to tell: the fit finds no drop-out, and the band
    # says unknown rather than "low".
    bands = bundled_build.query("select distinct churn_risk_band from customer_value")["churn_risk_band"]
    assert bands.tolist() == ["unknown"]
    assert parameters(bundled_build, "invoices", "all data")[0] == "nbd"
    report = (bundled_build.reports / "insights.md").read_text()
    assert "Churn risk is unknown" in report and "### Customer value and retention" in report


def test_the_clickstream_sample_is_refused_with_the_reasons(bundled_build):
    check = bundled_build.query("select * from clv_sufficiency where segmentation_name = 'clickstream'").iloc[0]
    assert not check["is_sufficient"]
    assert check["message"].startswith("no customer value figures: the purchases span 1 days")
    assert "bought on more than one day" in check["message"]
    assert (
        bundled_build.query("select count(*) as n from customer_value where segmentation_name = 'clickstream'")["n"][0]
        == 0
    )
    summary = bundled_build.query(
        "select customer_value_status from run_summary where input_name = 'clickstream' and outcome = 'published'"
    )
    assert summary["customer_value_status"].iloc[0] == check["message"]


def test_the_holdout_check_adds_up_and_is_close_on_the_bundled_invoices(bundled_build):
    validation = bundled_build.query("select * from clv_validation where segmentation_name = 'invoices'")
    groups, total = validation[validation["group_order"] < 8], validation[validation["group_order"] == 8].iloc[0]
    assert groups["customers"].sum() == total["customers"]
    assert groups["actual_repeat_purchases"].sum() == total["actual_repeat_purchases"]
    assert groups["predicted_repeat_purchases"].sum() == pytest.approx(total["predicted_repeat_purchases"])
    holdout = bundled_build.query_build_database(
        "select count(*) as customers, sum(holdout_purchases) as purchases from clv_summaries "
        "where segmentation_name = 'invoices' and fitted_on = 'calibration'"
    ).iloc[0]
    assert (total["customers"], total["actual_repeat_purchases"]) == (holdout["customers"], holdout["purchases"])
    # Measured: 560 predicted against 568 actual repeat purchases in the 30 holdout days.
    assert abs(total["relative_error"]) < 0.10
    assert_tracking_matches_python(bundled_build, "invoices")
    tracking = bundled_build.query("select * from clv_tracking where segmentation_name = 'invoices' order by week")
    assert tracking["predicted_cumulative_repeat_purchases"].is_monotonic_increasing
    assert tracking["is_holdout"].any() and not tracking["is_holdout"].all()
    assert (bundled_build.reports / "invoices" / "clv_tracking.png").exists()


def test_value_sits_beside_the_personas(bundled_build):
    profiles = bundled_build.query("select * from persona_value_profiles where segmentation_name = 'invoices'")
    personas = bundled_build.query(
        "select persona_id, member_count from persona_profiles where segmentation_name = 'invoices'"
    )
    assert sorted(profiles["persona_id"]) == sorted(personas["persona_id"])
    # Every member with a purchase has a value; members with only returns have none.
    valued = bundled_build.query("select count(*) as n from customer_value where segmentation_name = 'invoices'")
    assert profiles["members"].sum() == valued["n"][0] <= personas["member_count"].sum()
    tiers = profiles.filter(like="value_tier_").to_numpy()
    np.testing.assert_allclose(tiers.sum(axis=1), 1.0)
    joined = bundled_build.query(
        "select p.predicted_clv as on_persona_table, v.predicted_clv as on_value_table, "
        "p.value_tier, v.value_tier as tier "
        "from invoice_customer_personas p join customer_value v "
        "on v.segmentation_name = 'invoices' and v.customer_id = p.customer_id"
    )
    assert len(joined) == valued["n"][0]
    assert (joined["on_persona_table"] == joined["on_value_table"]).all() and (
        joined["value_tier"] == joined["tier"]
    ).all()


def test_cohorts_start_whole_and_add_up(bundled_build):
    retention = bundled_build.query("select * from cohort_retention where segmentation_name = 'invoices'")
    first_months = retention[retention["months_since_first"] == 0]
    assert (first_months["active_share"] == 1).all()
    assert sorted(first_months["cohort_month"].dt.strftime("%Y-%m")) == ["2010-12", "2011-01", "2011-02"]
    customers = bundled_build.query_build_database(
        "select count(distinct customer_id) as n from value_purchase_days where segmentation_name = 'invoices'"
    )["n"][0]
    assert first_months["cohort_customers"].sum() == customers
    mix = bundled_build.query("select * from cohort_persona_mix where segmentation_name = 'invoices'")
    np.testing.assert_allclose(mix.groupby("cohort_month")["share_of_cohort"].sum(), 1.0)
    assert (bundled_build.reports / "invoices" / "cohorts.png").exists()


# -- A year of synthetic invoices: customers leave, the BG/NBD variant, a chosen calibration end --------------
@pytest.fixture(scope="module")
def year_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return built_once(tmp_path_factory, "value_year", build_a_year)


def build_a_year(folder: Path) -> Build:
    invoices = folder / "invoices_year.csv"
    write_invoices(invoices, 300_000, seed=5)
    result = Build(folder).dbt(
        "build",
        dbt_vars={"invoices_file": str(invoices), "clv_model": "bg_nbd", "clv_calibration_end": "2011-06-01"},
    )
    assert result.returncode == 0, result.output[-4000:]
    return result


def test_bg_nbd_is_scored_in_sql_as_the_python_reference_computes(year_build):
    assert parameters(year_build, "invoices", "all data")[0] == "bg_nbd"
    assert_sql_matches_python(year_build, "invoices")
    assert_tracking_matches_python(year_build, "invoices")


def test_a_year_of_data_tells_who_is_leaving(year_build):
    bands = year_build.query("select churn_risk_band, count(*) as n from customer_value group by all")
    counts = dict(zip(bands["churn_risk_band"], bands["n"], strict=True))
    assert counts.get("high", 0) > 0 and counts.get("low", 0) > 0 and "unknown" not in counts
    # Customers who have not bought for long are the ones at risk.
    recent = year_build.query(
        "select churn_risk_band, median(age - recency) as weeks_since_last from customer_value "
        "where frequency > 0 group by all"
    ).set_index("churn_risk_band")["weeks_since_last"]
    assert recent["high"] > recent["low"]


def test_the_calibration_end_var_sets_the_holdout(year_build):
    validation = year_build.query("select * from clv_validation where calibration_repeat_purchases = 'all customers'")
    assert str(validation["calibration_end_date"].iloc[0].date()) == "2011-06-01"
    windows = year_build.query_build_database(
        "select calibration_split from value_observation_windows where segmentation_name = 'invoices'"
    )
    assert windows["calibration_split"].iloc[0] == "var clv_calibration_end"


def test_a_mistyped_model_name_stops_the_build(year_build):
    result = Build(year_build.workdir).dbt("compile", "--select", "customer_value", dbt_vars={"clv_model": "bgnbd"})
    assert result.returncode != 0
    assert 'var clv_model = "bgnbd": expected one of bg_nbd, mbg_nbd' in result.output


def test_clickstream_purchases_spanning_months_are_valued_too(tmp_path):
    from ml.synthetic.events import write_events

    write_events(tmp_path / "events", 200_000, files=2, days=120, seed=3)
    result = Build(tmp_path).dbt("build", dbt_vars={"events_path": str(tmp_path / "events" / "*.csv")})
    assert result.returncode == 0, result.output[-4000:]
    check = result.query("select * from clv_sufficiency where segmentation_name = 'clickstream'").iloc[0]
    assert check["is_sufficient"], check["message"]
    assert_sql_matches_python(result, "clickstream")
    # Users who never bought have no value figures; so a persona of browsers only has no value row.
    profiles = result.query("select * from persona_value_profiles where segmentation_name = 'clickstream'")
    valued = result.query("select count(*) as n from customer_value where segmentation_name = 'clickstream'")
    assert profiles["members"].sum() == valued["n"][0] > 0
