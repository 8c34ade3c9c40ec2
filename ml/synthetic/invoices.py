"""Synthetic invoice lines in the UCI Online Retail layout, for tests and benchmarks at any size.

Shaped on the public year (541,909 lines, ~25,900 invoices, ~4,400 customers): about 21 lines per invoice,
a quarter of the lines without CustomerID, heavy-tailed customer activity, ~2% cancellation lines copying
earlier lines with negative quantities, postage and other service codes, bad-debt adjustments ('A'),
stock adjustments, zero prices and exact duplicate lines. Customers come from four planted behaviour
groups (loyal high spenders, regulars, occasional buyers, dormant), so tests can check that the
segmentation finds them. Deterministic for a given seed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
LINES_PER_YEAR = 540_000
LINES_PER_INVOICE = 21
LINES_PER_CUSTOMER = 124
# group: (share of customers, orders per active year, share of the period active, basket size factor)
GROUPS = {
    "loyal_high_spender": (0.06, 30.0, 1.0, 3.0),
    "regular": (0.24, 8.0, 0.9, 1.2),
    "occasional": (0.45, 1.5, 0.6, 0.7),
    "dormant": (0.25, 3.0, 0.25, 0.8),
}
COUNTRIES = ["United Kingdom"] * 18 + ["Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium"]
SERVICES = [
    ("POST", "POSTAGE", 18.0),
    ("M", "Manual", 2.5),
    ("D", "Discount", -12.0),
    ("C2", "CARRIAGE", 50.0),
    ("BANK CHARGES", "Bank Charges", 15.0),
    ("AMAZONFEE", "AMAZON FEE", 1000.0),
    ("DOT", "DOTCOM POSTAGE", 20.0),
]


def plan(n_lines: int, seed: int, customers: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers (with their planted group) and invoices (customer, time, lines) for about n_lines lines;
    ``customers`` overrides the number of customers (default: the public year's lines per customer)."""
    rng = np.random.default_rng(seed)
    years = max(n_lines / LINES_PER_YEAR, 0.25)
    start = np.datetime64("2010-12-01T08:00")
    period_minutes = int(years * 365 * 24 * 60)
    n_customers = customers or max(int(n_lines * 0.75 / LINES_PER_CUSTOMER), 40)
    names = list(GROUPS)
    shares = np.array([GROUPS[g][0] for g in names])
    group = rng.choice(len(names), size=n_customers, p=shares / shares.sum())
    params = np.array([GROUPS[g][1:] for g in names])[group]
    activity = params[:, 0] * rng.pareto(3.0, n_customers).clip(0, 5) * 0.7 + params[:, 0] * 0.5
    window = params[:, 1] * period_minutes
    # Dormant customers are active early in the period; the others start anywhere, ending by the period end.
    first = np.where(
        group == names.index("dormant"),
        rng.uniform(0, 0.5, n_customers) * period_minutes,
        rng.uniform(0, 1, n_customers) * (period_minutes - window),
    )
    people = pd.DataFrame(
        {
            "customer_id": 12346 + rng.permutation(n_customers * 2)[:n_customers],
            "group": np.array(names)[group],
            "first_minute": first,
            "window_minutes": window,
            "basket_factor": params[:, 2],
            "country": rng.choice(COUNTRIES, n_customers),
        }
    )
    expected_orders = activity * years * params[:, 1]
    weights = expected_orders / expected_orders.sum()
    n_invoices = max(int(n_lines * 0.75 / LINES_PER_INVOICE), n_customers)
    # Every customer orders at least once; the rest of the invoices follow the activity weights.
    owners = np.concatenate([np.arange(n_customers), rng.choice(n_customers, n_invoices - n_customers, p=weights)])
    minute = people["first_minute"].to_numpy()[owners] + rng.uniform(0, 1, len(owners)) * window[owners]
    basket = np.maximum(1, rng.geometric(1 / LINES_PER_INVOICE, len(owners)) * params[owners, 2] / 1.5).astype(int)
    # Big spenders have big baskets, so the line count overshoots: keep invoices up to the target lines
    # (the first n_customers, one per customer, always stay).
    keep = np.cumsum(basket) <= n_lines * 0.75
    keep[:n_customers] = True
    invoices = pd.DataFrame({"customer_index": owners, "minute": minute.astype(np.int64), "lines": basket})[keep]
    guests = int(n_lines * 0.25 / LINES_PER_INVOICE)
    guest_invoices = pd.DataFrame(
        {
            "customer_index": -1,
            "minute": rng.integers(0, period_minutes, guests),
            "lines": rng.geometric(1 / LINES_PER_INVOICE, guests),
        }
    )
    invoices = pd.concat([invoices, guest_invoices], ignore_index=True)
    # Shop hours: 08:00-19:59.
    day = invoices["minute"] // (24 * 60)
    invoices["timestamp"] = start + (day * 24 * 60 + 8 * 60 + invoices["minute"] % (12 * 60)).to_numpy().astype(
        "timedelta64[m]"
    )
    invoices = invoices.sort_values(["timestamp", "customer_index"], kind="stable").reset_index(drop=True)
    invoices["invoice_no"] = (536365 + np.arange(len(invoices))).astype(str)
    return people, invoices


def generate_invoices(
    n_lines: int, seed: int = 0, date_style: str = "uci", customers: int | None = None
) -> pd.DataFrame:
    """About ``n_lines`` invoice lines as text columns, exactly as an export would write them."""
    rng = np.random.default_rng(seed + 1)
    people, invoices = plan(n_lines, seed, customers)
    n_products = 3_900
    product_codes = np.array([f"{20000 + i * 17 % 70000:05d}{'' if i % 5 else 'A'}" for i in range(n_products)])
    product_prices = np.round(np.exp(rng.normal(0.9, 0.8, n_products)), 2).clip(0.06, 300)
    # Zipf-like product popularity: a few best sellers, a long tail.
    popularity = 1.0 / (rng.permutation(n_products) + 10.0) ** 0.9
    popularity /= popularity.sum()

    line_invoice = np.repeat(np.arange(len(invoices)), invoices["lines"].to_numpy())
    product = rng.choice(n_products, len(line_invoice), p=popularity)
    owner = invoices["customer_index"].to_numpy()[line_invoice]
    has_customer = owner >= 0
    factor = np.where(has_customer, people["basket_factor"].to_numpy()[np.maximum(owner, 0)], 1.0)
    quantity = np.maximum(1, (rng.geometric(0.15, len(line_invoice)) * factor).astype(int))
    lines = pd.DataFrame(
        {
            "invoice": line_invoice,
            "InvoiceNo": invoices["invoice_no"].to_numpy()[line_invoice],
            "StockCode": product_codes[product],
            "Description": np.char.add("PRODUCT ", product_codes[product]),
            "Quantity": quantity,
            "UnitPrice": product_prices[product],
            "owner": owner,
        }
    )
    # Zero-price lines (free items) and a service line on some invoices.
    lines.loc[rng.random(len(lines)) < 0.003, "UnitPrice"] = 0.0
    service_invoices = rng.choice(len(invoices), size=len(invoices) // 12, replace=False)
    picks = rng.integers(0, len(SERVICES), len(service_invoices))
    services = pd.DataFrame(
        {
            "invoice": service_invoices,
            "InvoiceNo": invoices["invoice_no"].to_numpy()[service_invoices],
            "StockCode": [SERVICES[i][0] for i in picks],
            "Description": [SERVICES[i][1] for i in picks],
            "Quantity": np.where(np.array([SERVICES[i][2] for i in picks]) < 0, -1, 1),
            "UnitPrice": np.abs([SERVICES[i][2] for i in picks]),
            "owner": invoices["customer_index"].to_numpy()[service_invoices],
        }
    )
    # Cancellations: ~2% of customer lines come back on a 'C' invoice the same or a later day.
    returned = lines[(lines["owner"] >= 0) & (rng.random(len(lines)) < 0.02)].copy()
    returned["InvoiceNo"] = "C" + returned["InvoiceNo"]
    returned["Quantity"] = -np.maximum(1, (returned["Quantity"] * rng.uniform(0.3, 1.0, len(returned))).astype(int))
    # Stock adjustments (negative quantity, no customer, price 0) and bad-debt adjustments ('A', price < 0).
    adjust_invoices = rng.choice(len(invoices), size=max(1, len(lines) // 500), replace=False)
    adjustments = pd.DataFrame(
        {
            "invoice": adjust_invoices,
            "InvoiceNo": invoices["invoice_no"].to_numpy()[adjust_invoices],
            "StockCode": product_codes[rng.integers(0, n_products, len(adjust_invoices))],
            "Description": "damaged",
            "Quantity": -rng.integers(1, 50, len(adjust_invoices)),
            "UnitPrice": 0.0,
            "owner": -1,
        }
    )
    bad_debt = pd.DataFrame(
        {
            "invoice": [len(invoices) - 1] * 3,
            "InvoiceNo": ["A563185", "A563186", "A563187"],
            "StockCode": "B",
            "Description": "Adjust bad debt",
            "Quantity": 1,
            "UnitPrice": [11062.06, -11062.06, -1000.0],
            "owner": -1,
        }
    )
    duplicates = lines.sample(frac=0.01, random_state=seed)
    table = pd.concat([lines, services, returned, adjustments, bad_debt, duplicates], ignore_index=True)
    table = table.sort_values(["invoice", "InvoiceNo"], kind="stable").reset_index(drop=True)

    stamps = pd.Series(invoices["timestamp"].to_numpy())
    if date_style == "iso":
        text = stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
    else:
        text = (
            stamps.dt.month.astype(str)
            + "/"
            + stamps.dt.day.astype(str)
            + "/"
            + stamps.dt.year.astype(str)
            + " "
            + stamps.dt.hour.astype(str)
            + ":"
            + stamps.dt.strftime("%M")
        )
    ids = people["customer_id"].to_numpy()
    owner = table["owner"].to_numpy()
    customer_text = ids[np.maximum(owner, 0)].astype(str)
    if date_style == "iso":
        customer_text = np.char.add(customer_text, ".0")  # as the copies that went through a float column
    customer_text = np.where(owner >= 0, customer_text.astype(object), None)
    countries = people["country"].to_numpy()
    return pd.DataFrame(
        {
            "InvoiceNo": table["InvoiceNo"].to_numpy(),
            "StockCode": table["StockCode"].to_numpy(),
            "Description": table["Description"].to_numpy(),
            "Quantity": table["Quantity"].astype(int).astype(str).to_numpy(),
            "InvoiceDate": text.to_numpy()[table["invoice"].to_numpy()],
            "UnitPrice": table["UnitPrice"].map("{:.2f}".format).to_numpy(),
            "CustomerID": customer_text,
            "Country": np.where(owner >= 0, countries[np.maximum(owner, 0)], "United Kingdom"),
        }
    )


def planted_groups(n_lines: int, seed: int = 0, customers: int | None = None) -> pd.DataFrame:
    """customer_id -> planted behaviour group of a generated file (for recovery tests)."""
    planned, _ = plan(n_lines, seed, customers)
    return planned[["customer_id", "group"]]


def write_invoices(
    path: Path, n_lines: int, seed: int = 0, date_style: str = "uci", customers: int | None = None
) -> int:
    """Write a generated file (comma-separated, quoted where needed); returns the lines written."""
    frame = generate_invoices(n_lines, seed, date_style, customers)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.register("lines", frame)
        target = str(path).replace("'", "''")
        connection.execute(f"copy lines to '{target}' (header, delimiter ',', quote '\"')")
    return len(frame)
