"""One customer's invoice lines -> the model inputs of the `invoices` segmentation and the value-model summary.

The build computes both in SQL over the whole file: int_invoice_lines_classified and invoice_lines give each
line a category and its revenue, invoice_customer_features the recency, frequency and monetary value,
value_purchase_days and clv_summaries the purchase days the value models read. A request cannot go through
dbt in milliseconds, so the same rules are written here once more, with what the SQL takes from the whole
build (the as-of date, the service stock codes) read from the published warehouse and the seed. tests/api
sends every bundled customer's accepted lines and checks these figures, the persona and the predicted value
against the published tables, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import numpy as np
import pandas as pd

from ml import project
from ml.apps import warehouse
from ml.apps.api.customer_export import RecordProblem

FOUR_PLACES = Decimal("0.0001")  # invoice_lines.line_revenue is decimal(18, 4)
DAYS_PER_TIME_UNIT = 7  # clv_summaries counts weeks


@dataclass(frozen=True)
class InvoiceContext:
    """What the SQL takes from the whole build: the as-of date and the non-product stock codes."""

    as_of_date: dt.date
    service_patterns: tuple[re.Pattern, ...]

    @classmethod
    def from_warehouse(cls, connection: duckdb.DuckDBPyConnection) -> InvoiceContext:
        as_of = warehouse.read_frame("select max(as_of_date) as as_of_date from invoice_customer_features", connection)
        seed = pd.read_csv(project.seeds_dir() / "non_product_stock_codes.csv", dtype=str)
        return cls(
            as_of_date=pd.Timestamp(as_of["as_of_date"].iloc[0]).date(),
            service_patterns=tuple(re.compile(pattern) for pattern in seed["stock_code_pattern"]),
        )

    def is_service(self, stock_code: str) -> bool:
        # As in int_invoice_lines_classified: codes starting with a digit are products, never services.
        if stock_code[:1].isdigit():
            return False
        code = stock_code.upper()
        return any(pattern.fullmatch(code) for pattern in self.service_patterns)


@dataclass(frozen=True)
class Line:
    invoice_no: str
    stock_code: str
    description: str | None
    quantity: int
    invoiced_at: dt.datetime
    unit_price: float
    country: str | None

    @property
    def identity(self) -> tuple:
        """The fields that make two lines exact repeats (the customer is the record's, the same for all)."""
        return (
            self.invoice_no,
            self.stock_code,
            self.description,
            self.quantity,
            self.invoiced_at,
            self.unit_price,
            self.country,
        )

    @property
    def revenue(self) -> Decimal:
        # cast(quantity * unit_price as decimal(18, 4)): the product in double precision, then rounded.
        return Decimal(self.quantity * self.unit_price).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def line_category(line: Line, occurrence: int, context: InvoiceContext) -> str:
    """The category int_invoice_lines_classified gives an accepted line (the first rule that applies)."""
    invoice = line.invoice_no.upper()
    if invoice.startswith("A"):
        return "bad_debt_adjustment"
    if occurrence > 1:
        return "duplicate_line"
    if context.is_service(line.stock_code):
        return "service"
    if invoice.startswith("C"):
        return "cancellation"
    if line.quantity < 0:
        return "stock_adjustment"
    if line.unit_price == 0:
        return "zero_price"
    if line.unit_price < 0:
        return "negative_price"
    return "sale"


@dataclass(frozen=True)
class CustomerHistory:
    """One customer's lines, classified: the figures invoice_customer_features and clv_summaries hold."""

    recency_days: float
    frequency: int
    monetary: float
    # Purchase days (sale lines, one per day) and their revenue, in date order: the value models' input.
    purchase_dates: tuple[dt.date, ...]
    purchase_revenue: tuple[float, ...]


def customer_history(index: int, lines: list[Line], context: InvoiceContext) -> CustomerHistory:
    """The figures of one record's lines; a line the build would not accept is a RecordProblem."""
    for number, line in enumerate(lines):
        if line.invoiced_at.date() >= context.as_of_date:
            raise RecordProblem(
                index,
                f"lines.{number}.InvoiceDate",
                line.invoiced_at.isoformat(sep=" "),
                f"on or after the as-of date {context.as_of_date.isoformat()} of the published build",
            )
    seen: Counter = Counter()
    sales, feature_lines = [], []
    for line in lines:
        seen[line.identity] += 1
        category = line_category(line, seen[line.identity], context)
        if category in ("sale", "cancellation"):
            feature_lines.append(line)
            if category == "sale":
                sales.append(line)
    if not feature_lines:
        raise RecordProblem(
            index,
            "lines",
            len(lines),
            "no sale or cancellation line (services, adjustments and free lines do not place a customer)",
        )
    last_active = max(line.invoiced_at.date() for line in (sales or feature_lines))
    by_day: dict[dt.date, Decimal] = {}
    for line in sales:
        day = line.invoiced_at.date()
        by_day[day] = by_day.get(day, Decimal(0)) + line.revenue
    days = sorted(by_day)
    return CustomerHistory(
        recency_days=float((context.as_of_date - last_active).days),
        frequency=len({line.invoice_no for line in sales}),
        monetary=float(sum((line.revenue for line in feature_lines), Decimal(0))),
        purchase_dates=tuple(days),
        purchase_revenue=tuple(float(by_day[day]) for day in days),
    )


def model_inputs(history: CustomerHistory) -> dict[str, float]:
    """The model inputs of invoice_customer_features for this customer."""
    return {"recency_days": history.recency_days, "frequency": float(history.frequency), "monetary": history.monetary}


def value_summary(history: CustomerHistory, observation_end: dt.date) -> dict[str, float] | None:
    """clv_summaries' row ('all data'): x, t_x, T in weeks and the mean repeat spend; None without a purchase."""
    if not history.purchase_dates:
        return None
    first, last = history.purchase_dates[0], history.purchase_dates[-1]
    repeat_days = len(history.purchase_dates) - 1
    revenue = sum(history.purchase_revenue)
    return {
        "x": float(repeat_days),
        "t_x": (last - first).days / DAYS_PER_TIME_UNIT,
        "T": (observation_end - first).days / DAYS_PER_TIME_UNIT,
        "mean_repeat_spend": (revenue - history.purchase_revenue[0]) / repeat_days if repeat_days else np.nan,
    }
