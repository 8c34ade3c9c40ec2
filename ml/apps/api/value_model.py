"""The published value model of a source (clv_parameters, 'all data') applied to one customer's history.

customer_value scores every customer in SQL; this is the same arithmetic for a customer the API is sent,
through ml/engine/clv.py (which tests/engine checks against the SQL and the published literature): expected
repeat purchase days month by month over the horizon, discounted, times the Gamma-Gamma expected order
value; churn risk = 1 - P(alive), banded at the build's thresholds, 'unknown' under NBD (no drop-out seen).
The settings (horizon, discount rate, thresholds) are the build's, read from clv_parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ml.apps import warehouse
from ml.engine import clv

DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class ValueModel:
    model: str  # mbg_nbd, bg_nbd or nbd
    parameters: dict[str, float]  # r, alpha (a, b) and p, q, gamma
    observation_end: dt.date
    horizon_days: int
    annual_discount_rate: float
    churn_risk_medium: float
    churn_risk_high: float

    @classmethod
    def from_warehouse(cls, segmentation: str, connection: duckdb.DuckDBPyConnection) -> ValueModel | None:
        """The source's final value model, or None where the build fitted none (not enough history)."""
        rows = warehouse.read_frame(
            "select * from clv_parameters where segmentation_name = ? and fitted_on = 'all data'",
            connection,
            [segmentation],
        )
        purchases = rows[rows["model"] != "gamma_gamma"]
        if purchases.empty or len(purchases) == len(rows):  # no repeat-purchase or no spend model
            return None
        first = rows.iloc[0]
        return cls(
            model=str(purchases["model"].iloc[0]),
            parameters={str(p): float(v) for p, v in zip(rows["parameter"], rows["value"], strict=True)},
            observation_end=pd.Timestamp(first["observation_end_date"]).date(),
            horizon_days=int(first["horizon_days"]),
            annual_discount_rate=float(first["annual_discount_rate"]),
            churn_risk_medium=float(first["churn_risk_medium"]),
            churn_risk_high=float(first["churn_risk_high"]),
        )

    def predict(self, x: float, t_x: float, big_t: float, mean_repeat_spend: float) -> dict:
        """customer_value's figures for one customer (history in weeks, as clv_summaries)."""
        # customer_value.sql: the horizon in monthly steps (Jinja's round: Python's), discounted at each.
        steps = max(1, round(self.horizon_days / DAYS_PER_MONTH))
        step = np.arange(1, steps + 1)
        weeks = self.horizon_days / 7.0 * step / steps
        expected = clv.conditional_expected_purchases(self.parameters, self.model, weeks, x, t_x, big_t)
        increments = np.diff(expected, prepend=0.0)
        discount = (1 + self.annual_discount_rate) ** (step * self.horizon_days / steps / 365.25)
        alive = float(clv.probability_alive(self.parameters, self.model, x, t_x, big_t))
        order_value = float(clv.expected_spend(self.parameters, x, mean_repeat_spend))
        churn_risk = 1 - alive
        if self.model == "nbd":
            band = "unknown"
        elif churn_risk >= self.churn_risk_high:
            band = "high"
        elif churn_risk >= self.churn_risk_medium:
            band = "medium"
        else:
            band = "low"
        return {
            "predicted_clv": float(np.sum(increments / discount)) * order_value,
            "expected_purchases": float(expected[-1]),
            "expected_order_value": order_value,
            "probability_alive": alive,
            "churn_risk": churn_risk,
            "churn_risk_band": band,
            "horizon_days": self.horizon_days,
            "model": self.model,
        }
