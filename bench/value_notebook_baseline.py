"""The notebook way to customer value, for the benchmark: pandas reads the invoice lines, summarises each
customer (lifetimes' summary_data_from_transaction_data, by hand), fits BG/NBD-family and Gamma-Gamma
models and predicts with scipy in memory. Same models and formulas as the warehouse (ml/engine/clv.py).

    python bench/value_notebook_baseline.py FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.engine import clv  # noqa: E402


def main(path: str) -> None:
    started = time.perf_counter()
    lines = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"})
    lines = lines[lines["CustomerID"].notna() & ~lines["InvoiceNo"].str.startswith("C") & (lines["Quantity"] > 0)]
    lines["day"] = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.normalize()
    lines["revenue"] = lines["Quantity"] * lines["UnitPrice"]
    days = lines.groupby(["CustomerID", "day"], as_index=False)["revenue"].sum()
    end = days["day"].max() + pd.Timedelta(days=1)
    summary = days.groupby("CustomerID").agg(
        first=("day", "min"), last=("day", "max"), purchases=("day", "size"), revenue=("revenue", "sum")
    )
    first_revenue = days.sort_values("day").groupby("CustomerID")["revenue"].first()
    summary["frequency"] = summary["purchases"] - 1
    summary["recency"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["age"] = (end - summary["first"]).dt.days / 7
    summary["mean_repeat_spend"] = (summary["revenue"] - first_revenue) / summary["frequency"].replace(0, np.nan)
    read_seconds = time.perf_counter() - started
    purchases = clv.fit_purchases_or_no_dropout(summary["frequency"], summary["recency"], summary["age"], "mbg_nbd")
    spend = clv.fit_spend(summary["frequency"], summary["mean_repeat_spend"])
    steps = 12
    expected = [
        clv.conditional_expected_purchases(
            purchases.parameters,
            purchases.model,
            365 / 7 * step / steps,
            *summary[["frequency", "recency", "age"]].T.values,
        )
        for step in range(steps + 1)
    ]
    order_value = clv.expected_spend(spend.parameters, summary["frequency"], summary["mean_repeat_spend"])
    clv_values = sum((expected[s] - expected[s - 1]) / 1.1 ** (s / steps) for s in range(1, steps + 1)) * order_value
    print(
        f"notebook: {len(summary):,} customers, model {purchases.model}, summary {read_seconds:.1f} s, "
        f"total {time.perf_counter() - started:.1f} s, median CLV {np.median(clv_values):,.0f}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
