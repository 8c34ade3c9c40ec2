"""The report's customer-value part of a section: sufficiency, value beside the personas, the holdout
check with its tracking plot, and cohorts. Empty for a segmentation whose source has no purchases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ml.apps import warehouse
from ml.apps.reports import plots

Query = Callable[[str], pd.DataFrame]
TIER_COLUMNS = {
    "value_tier_top_1pct_share": "top 1%",
    "value_tier_top_1_5pct_share": "1-5%",
    "value_tier_top_5_10pct_share": "5-10%",
    "value_tier_top_10_25pct_share": "10-25%",
    "value_tier_top_25_50pct_share": "25-50%",
    "value_tier_bottom_50pct_share": "bottom 50%",
}


class ValueData:
    def __init__(self, literal_name: str, query: Query):
        try:
            self.sufficiency = query(f"select * from clv_sufficiency where segmentation_name = {literal_name}")
        except warehouse.NotBuiltError:
            self.sufficiency = pd.DataFrame()
        if self.sufficiency.empty:
            return
        where = f"where segmentation_name = {literal_name}"
        self.profiles = query(f"select * from persona_value_profiles {where} order by median_predicted_clv desc")
        self.validation = query(f"select * from clv_validation {where} order by group_order")
        self.tracking = query(f"select * from clv_tracking {where} order by week")
        self.retention = query(f"select * from cohort_retention {where} order by cohort_month, months_since_first")
        self.churn_bands = query(
            f"select churn_risk_band, count(*) as customers from customer_value {where} group by all order by all"
        )
        self.parameters = query(f"select * from clv_parameters {where} order by fitted_on, model, parameter")

    @property
    def has_value(self) -> bool:
        return not self.sufficiency.empty and bool(self.sufficiency["is_sufficient"].iloc[0])

    @property
    def churn_is_known(self) -> bool:
        return self.has_value and set(self.churn_bands["churn_risk_band"]) != {"unknown"}


def persona_value_table(profiles: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "persona": profiles["persona_name"],
            "members": profiles["members"].map("{:,}".format),
            "median predicted CLV": profiles["median_predicted_clv"].map("{:,.0f}".format),
            "median expected purchases": profiles["median_expected_purchases"].map("{:.1f}".format),
            "high churn risk": profiles["high_churn_risk_share"].map(lambda v: "unknown" if pd.isna(v) else f"{v:.0%}"),
        }
    )
    tiers = profiles[list(TIER_COLUMNS)].rename(columns=TIER_COLUMNS)
    table["value tiers"] = tiers.apply(
        lambda row: ", ".join(f"{tier} {share:.0%}" for tier, share in row.items() if share >= 0.005), axis=1
    )
    return table


def value_markdown(data: ValueData, folder: str, markdown_table) -> list[str]:
    if data.sufficiency.empty:
        return []
    check = data.sufficiency.iloc[0]
    lines = ["### Customer value and retention", ""]
    if not data.has_value:
        lines += [f"**{check['message'][0].upper()}{check['message'][1:]}.** (docs/value.md)", ""]
    else:
        purchases = data.parameters[data.parameters["fitted_on"] == "all data"]
        model = purchases.loc[purchases["model"] != "gamma_gamma", "model"].iloc[0]
        lines += [
            f"{check['message'][0].upper()}{check['message'][1:]}. Repeat purchases: `{model}`; spend per purchase: "
            "Gamma-Gamma; predicted CLV over the horizon of `customer_value` (docs/value.md).",
            "",
            markdown_table(persona_value_table(data.profiles)),
            "",
        ]
        if not data.churn_is_known:
            lines += [
                f"**Churn risk is unknown**: in {check['observed_days']} days of data the model found no sign of "
                "customers leaving (a drop-out probability near 0), so every customer counts as active and the "
                "predictions extrapolate today's buying rates. Longer data (a year or more) tells who is leaving.",
                "",
            ]
        total = data.validation[data.validation["calibration_repeat_purchases"] == "all customers"].iloc[0]
        lines += [
            f"**Holdout check**: fitted on purchases before {total['calibration_end_date']:%Y-%m-%d}, the model "
            f"expected {total['predicted_repeat_purchases']:,.0f} repeat purchases by {total['customers']:,} customers "
            f"in the next {total['holdout_days']} days; they made {total['actual_repeat_purchases']:,} "
            f"({total['relative_error']:+.1%}).",
            "",
            markdown_table(
                data.validation[
                    [
                        "calibration_repeat_purchases",
                        "customers",
                        "actual_per_customer",
                        "predicted_per_customer",
                        "error",
                    ]
                ].map(lambda v: f"{v:,.2f}" if isinstance(v, float) else v)
            ),
            "",
            f"![Tracking]({folder}/clv_tracking.png)",
            "",
        ]
    if len(data.retention) and data.retention["months_since_first"].max() > 0:
        lines += [f"![Cohort retention]({folder}/cohorts.png)", ""]
    return lines


def value_plots(data: ValueData, directory: Path) -> list[Path]:
    written = []
    if data.has_value and len(data.tracking):
        written.append(plots.clv_tracking(data.tracking, directory / "clv_tracking.png"))
    if not data.sufficiency.empty and len(data.retention) and data.retention["months_since_first"].max() > 0:
        written.append(plots.cohort_heatmap(data.retention, directory / "cohorts.png"))
    return written
