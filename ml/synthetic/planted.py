"""Planted truth: small inputs whose groups are known and distinct, to check that the pipeline finds them.

The scale generators (customers.py, invoices.py) draw realistic, overlapping groups: good for load, but no
method could tell all their groups apart (an occasional buyer and a dormant one both have one order in a
short window). Here each group differs from the others on the features the model sees, by more than its
own spread, as a segmentation worth acting on would. Each writer returns entity key -> planted group.
Deterministic per seed. The clickstream's planted groups come from events.py, whose groups are distinct.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ml.synthetic.customers import COLUMNS as CUSTOMER_COLUMNS
from ml.synthetic.customers import write_customers

# group: share, income, total spend, children, deal share, web visits per month, catalog share and web share
# of purchases, age
CUSTOMER_GROUPS = {
    "premium": (0.25, 82_000, 1_500, 0, 0.03, 2, 0.40, 0.15, 58),
    "parents_on_deals": (0.35, 48_000, 300, 3, 0.55, 6, 0.05, 0.25, 42),
    "digital": (0.15, 60_000, 700, 0, 0.15, 15, 0.05, 0.80, 29),
    "budget": (0.25, 22_000, 40, 0, 0.10, 3, 0.02, 0.10, 67),
}


def _groups(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    shares = np.array([row[0] for row in table.values()])
    return rng.choice(len(table), size=n, p=shares / shares.sum())


def write_planted_customers(path: Path, n_rows: int = 2_000, seed: int = 0) -> pd.DataFrame:
    """A customer export (the marketing_campaign.csv layout) of four distinct groups."""
    rng = np.random.default_rng(seed)
    group = _groups(rng, CUSTOMER_GROUPS, n_rows)
    values = np.array([row[1:] for row in CUSTOMER_GROUPS.values()], dtype=float)[group]
    income, spend, children, deal_share, visits, catalog_share, web_share, age = values.T

    def around(centre: np.ndarray, spread: float) -> np.ndarray:
        return centre * rng.normal(1.0, spread, n_rows)

    spend_total = np.maximum(around(spend, 0.12), 5)
    mix = rng.dirichlet([90, 15, 60, 18, 15, 24], size=n_rows)  # wines, fruits, meat, fish, sweets, gold
    amounts = np.floor(mix * spend_total[:, None]).astype(np.int64)
    purchases = np.maximum(2, np.round(4 + spend_total / 60 * rng.normal(1, 0.1, n_rows))).astype(np.int64)
    catalog = np.round(purchases * catalog_share).astype(np.int64)
    web = np.minimum(np.round(purchases * web_share), purchases - catalog).astype(np.int64)
    kids = (children // 2).astype(np.int64)
    frame = pd.DataFrame(
        {
            "ID": np.arange(1, n_rows + 1) + 200_000,
            "Year_Birth": np.round(2014 - around(age, 0.08)).astype(np.int64),
            "Education": rng.choice(["Graduation", "PhD", "Master"], n_rows),
            "Marital_Status": rng.choice(["Married", "Together", "Single"], n_rows),
            "Income": np.round(around(income, 0.08)).astype(np.int64),
            "Kidhome": kids,
            "Teenhome": children.astype(np.int64) - kids,
            "Dt_Customer": pd.Timestamp("2012-08-01") + pd.to_timedelta(rng.integers(0, 600, n_rows), unit="D"),
            "Recency": rng.integers(0, 100, n_rows),
            "MntWines": amounts[:, 0],
            "MntFruits": amounts[:, 1],
            "MntMeatProducts": amounts[:, 2],
            "MntFishProducts": amounts[:, 3],
            "MntSweetProducts": amounts[:, 4],
            "MntGoldProds": amounts[:, 5],
            "NumDealsPurchases": np.round(purchases * deal_share).astype(np.int64),
            "NumWebPurchases": web,
            "NumCatalogPurchases": catalog,
            "NumStorePurchases": purchases - catalog - web,
            "NumWebVisitsMonth": np.maximum(0, np.round(around(visits, 0.1))).astype(np.int64),
        }
    )
    for campaign in ("AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "AcceptedCmp1", "AcceptedCmp2"):
        frame[campaign] = 0
    frame["Complain"] = 0
    frame["Z_CostContact"] = 3
    frame["Z_Revenue"] = 11
    frame["Response"] = 0
    write_customers(frame[CUSTOMER_COLUMNS], path)
    return pd.DataFrame({"customer_id": frame["ID"], "group": np.array(list(CUSTOMER_GROUPS))[group]})


# group: share, orders, days before the end of the last order (low, high), value per order (GBP)
INVOICE_GROUPS = {
    "loyal_high_spender": (0.10, 24, (0, 10), 450.0),
    "regular": (0.30, 8, (0, 30), 110.0),
    "occasional": (0.35, 1, (10, 60), 30.0),
    "dormant": (0.25, 3, (200, 300), 60.0),
}
INVOICE_PERIOD_START = np.datetime64("2011-01-03T09:00")
INVOICE_PERIOD_DAYS = 360
PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("22423", "REGENCY CAKESTAND 3 TIER", 12.75),
    ("47566", "PARTY BUNTING", 4.95),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("22720", "SET OF 3 CAKE TINS PANTRY DESIGN", 4.95),
]


def write_planted_invoices(path: Path, n_customers: int = 1_200, seed: int = 0) -> pd.DataFrame:
    """Invoice lines (the Online Retail layout, m/d/yyyy h:mm dates) of four distinct RFM groups."""
    rng = np.random.default_rng(seed)
    group = _groups(rng, INVOICE_GROUPS, n_customers)
    names = list(INVOICE_GROUPS)
    lines, invoice_no = [], 540_000
    for customer, g in enumerate(group):
        _, orders, (near, far), value = INVOICE_GROUPS[names[g]]
        n_orders = max(1, int(round(orders * rng.normal(1, 0.1))))
        last_day = INVOICE_PERIOD_DAYS - int(rng.integers(near, far + 1))
        # The other orders on random earlier days, so that frequency and recency are the group's own.
        earlier_days = np.sort(rng.integers(max(0, last_day - 330), max(1, last_day), n_orders - 1))
        days = [*earlier_days.tolist(), last_day]
        for day in days:
            invoice_no += 1
            minutes = int(rng.integers(0, 480))
            at = pd.Timestamp(INVOICE_PERIOD_START + np.timedelta64(day, "D") + np.timedelta64(minutes, "m"))
            order_value = value * rng.normal(1, 0.1)
            for code, description, price in [PRODUCTS[i] for i in rng.choice(len(PRODUCTS), 3, replace=False)]:
                quantity = max(1, int(round(order_value / 3 / price)))
                lines.append(
                    (
                        str(invoice_no),
                        code,
                        description,
                        quantity,
                        f"{at.month}/{at.day}/{at.year} {at.hour}:{at.minute:02d}",
                        price,
                        17_000 + customer,
                        "United Kingdom",
                    )
                )
    columns = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    pd.DataFrame(lines, columns=columns).to_csv(path, index=False)
    return pd.DataFrame({"customer_id": 17_000 + np.arange(n_customers), "group": np.array(names)[group]})
