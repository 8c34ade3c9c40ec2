"""Synthetic customer exports of the SmartCart schema, for scale tests and benchmarks.

Customers are drawn from a few latent groups (affluent catalog buyers, families on deals, web browsers,
low spenders) so that the segmentation has real structure to find. Same seed, same file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

COLUMNS = [
    "ID", "Year_Birth", "Education", "Marital_Status", "Income", "Kidhome", "Teenhome", "Dt_Customer",
    "Recency", "MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts",
    "MntGoldProds", "NumDealsPurchases", "NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases",
    "NumWebVisitsMonth", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "AcceptedCmp1", "AcceptedCmp2",
    "Complain", "Z_CostContact", "Z_Revenue", "Response",
]  # fmt: skip

# name: (share, income mean, spend scale, children mean, deal rate, web visits, catalog weight)
GROUPS = {
    "affluent": (0.25, 78_000, 1_300, 0.2, 0.05, 3, 0.35),
    "families": (0.35, 45_000, 350, 1.6, 0.35, 6, 0.08),
    "browsers": (0.15, 55_000, 500, 0.8, 0.20, 9, 0.10),
    "low_spenders": (0.25, 28_000, 60, 0.9, 0.25, 7, 0.03),
}


def _draw_groups(rng: np.random.Generator, n_rows: int) -> np.ndarray:
    """The planted group of every row: the generator's first draw, so planted_groups can repeat it."""
    shares = np.array([GROUPS[g][0] for g in GROUPS])
    return rng.choice(len(GROUPS), size=n_rows, p=shares / shares.sum())


def planted_groups(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """customer_id -> planted group of a generated file (for recovery tests)."""
    group = _draw_groups(np.random.default_rng(seed), n_rows)
    return pd.DataFrame({"customer_id": np.arange(1, n_rows + 1) + 100_000, "group": np.array(list(GROUPS))[group]})


def generate_customers(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = _draw_groups(rng, n_rows)
    params = np.array([GROUPS[g][1:] for g in GROUPS])[group]
    income_mean, spend_scale, children_mean, deal_rate, visits, catalog_weight = params.T

    income = np.clip(rng.normal(income_mean, income_mean * 0.18), 2_000, 200_000).round()
    children = np.minimum(rng.poisson(children_mean), 3)
    kids = rng.binomial(children, 0.5)
    spend_total = rng.gamma(2.0, spend_scale / 2.0)
    mix = rng.dirichlet([6, 1, 4, 1.2, 1, 1.5], size=n_rows)
    amounts = np.floor(mix * spend_total[:, None]).astype(np.int64)
    purchases = np.maximum(1, rng.poisson(3 + spend_total / 80))
    web_weight = np.where(visits > 8, 0.5, 0.3)
    channel = np.column_stack([web_weight, catalog_weight, 1 - web_weight - catalog_weight])
    channel_counts = (
        np.array([rng.multinomial(p, c) for p, c in zip(purchases, channel, strict=True)])
        if n_rows < 50_000
        else (np.floor(channel * purchases[:, None]).astype(np.int64))
    )
    enrolled = pd.Timestamp("2012-07-30") + pd.to_timedelta(rng.integers(0, 700, n_rows), unit="D")
    frame = pd.DataFrame(
        {
            "ID": np.arange(1, n_rows + 1) + 100_000,
            "Year_Birth": rng.integers(1945, 1997, n_rows),
            "Education": rng.choice(
                ["Graduation", "PhD", "Master", "2n Cycle", "Basic"], n_rows, p=[0.5, 0.22, 0.16, 0.09, 0.03]
            ),
            "Marital_Status": rng.choice(
                ["Married", "Together", "Single", "Divorced", "Widow"],
                n_rows,
                p=[0.39, 0.26, 0.21, 0.1, 0.04],
            ),
            "Income": income,
            "Kidhome": kids,
            "Teenhome": children - kids,
            "Dt_Customer": enrolled,
            "Recency": rng.integers(0, 100, n_rows),
            "MntWines": amounts[:, 0],
            "MntFruits": amounts[:, 1],
            "MntMeatProducts": amounts[:, 2],
            "MntFishProducts": amounts[:, 3],
            "MntSweetProducts": amounts[:, 4],
            "MntGoldProds": amounts[:, 5],
            "NumDealsPurchases": rng.binomial(purchases, deal_rate),
            "NumWebPurchases": channel_counts[:, 0],
            "NumCatalogPurchases": channel_counts[:, 1],
            "NumStorePurchases": channel_counts[:, 2],
            "NumWebVisitsMonth": np.minimum(20, rng.poisson(visits)),
        }
    )
    for campaign, rate in [
        ("AcceptedCmp3", 0.07),
        ("AcceptedCmp4", 0.07),
        ("AcceptedCmp5", 0.07),
        ("AcceptedCmp1", 0.06),
        ("AcceptedCmp2", 0.01),
    ]:
        frame[campaign] = rng.binomial(1, np.where(group == 0, rate * 2.5, rate * 0.5))
    frame["Complain"] = rng.binomial(1, 0.01, n_rows)
    frame["Z_CostContact"] = 3
    frame["Z_Revenue"] = 11
    frame["Response"] = rng.binomial(1, np.where(group == 0, 0.3, 0.1))
    # A few missing incomes, as in the real export.
    frame["Income"] = frame["Income"].astype("Int64").mask(rng.random(n_rows) < 0.01)
    return frame[COLUMNS]


def write_customers(frame: pd.DataFrame, path: Path) -> Path:
    """Tab-separated, dd-mm-yyyy dates: the layout of the real export. DuckDB writes it (fast at 1M rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.register("customers", frame)
        target = str(path).replace("'", "''")
        connection.execute(
            "copy (select * replace (strftime(Dt_Customer, '%d-%m-%Y') as Dt_Customer) from customers) "
            f"to '{target}' (header, delimiter '\t')"
        )
    return path
