"""One row of the SmartCart customer export -> the model inputs of the `customers` segmentation.

The build computes these features in SQL over the whole file (stg_smartcart__customers ->
int_customers_* -> customers -> customer_features). A single row sent to the API cannot go through dbt in
milliseconds, so the same arithmetic is written here once more, vectorised, with the two population
figures the SQL derives from the whole file (the as-of date and the median income that fills a missing
income) read from the published warehouse. tests/api checks that for every bundled customer these features
equal the published customer_features row, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ml import project
from ml.apps import warehouse

SPEND_COLUMNS = {
    "wines": "MntWines",
    "fruits": "MntFruits",
    "meat": "MntMeatProducts",
    "fish": "MntFishProducts",
    "sweets": "MntSweetProducts",
    "gold": "MntGoldProds",
}
CHANNEL_COLUMNS = {"web": "NumWebPurchases", "catalog": "NumCatalogPurchases", "store": "NumStorePurchases"}
CAMPAIGN_COLUMNS = ["AcceptedCmp1", "AcceptedCmp2", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "Response"]
# Export columns the features read; the others (Z_CostContact, Z_Revenue) may be left out of a record.
COLUMNS_USED = frozenset(
    ["ID", "Year_Birth", "Education", "Marital_Status", "Income", "Kidhome", "Teenhome", "Dt_Customer", "Recency"]
    + list(SPEND_COLUMNS.values())
    + list(CHANNEL_COLUMNS.values())
    + CAMPAIGN_COLUMNS
    + ["NumDealsPurchases", "NumWebVisitsMonth", "Complain"]
)


class RecordProblem(ValueError):
    """A record the build would quarantine: which record, which field, which value and why."""

    def __init__(self, index: int, field: str, value, reason: str):
        super().__init__(f"record {index}, field {field!r}: {reason} (got {value!r})")
        self.index, self.field, self.value, self.reason = index, field, value, reason


@dataclass(frozen=True)
class ExportContext:
    """What the SQL takes from the whole file: the as-of date, the median income, the category seeds."""

    as_of_date: dt.date
    income_median: float
    education_levels: dict[str, str]  # lower-case raw value -> education_level
    lives_with_partner: dict[str, bool]  # lower-case raw value -> lives with a partner

    @classmethod
    def from_warehouse(cls, connection: duckdb.DuckDBPyConnection) -> ExportContext:
        as_of = warehouse.read_frame("select max(as_of_date) as as_of_date from customer_features", connection)
        median = warehouse.read_frame(
            "select median(income) as income from customers where not is_income_imputed", connection
        )
        education = pd.read_csv(project.seeds_dir() / "education_mapping.csv")
        marital = pd.read_csv(project.seeds_dir() / "marital_status_mapping.csv")
        return cls(
            as_of_date=pd.Timestamp(as_of["as_of_date"].iloc[0]).date(),
            income_median=float(median["income"].iloc[0]),
            education_levels=dict(zip(education["raw_value"].str.lower(), education["education_level"], strict=True)),
            lives_with_partner=dict(
                zip(marital["raw_value"].str.lower(), marital["lives_with_partner"].astype(bool), strict=True)
            ),
        )


Columns = dict[str, np.ndarray]


def _share(part: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, part / np.where(total > 0, total, 1.0), 0.0)


def check_dates(rows: Columns, context: ExportContext) -> None:
    """The build's row rules that need the as-of date: no birth year or enrolment after it."""
    late_birth = np.flatnonzero(rows["Year_Birth"] > context.as_of_date.year)
    if len(late_birth):
        i = int(late_birth[0])
        value = int(rows["Year_Birth"][i])
        raise RecordProblem(i, "Year_Birth", value, f"after the as-of year {context.as_of_date.year}")
    late_enrolment = [i for i, day in enumerate(rows["Dt_Customer"]) if day > context.as_of_date]
    if late_enrolment:
        i = late_enrolment[0]
        value = rows["Dt_Customer"][i].isoformat()
        raise RecordProblem(i, "Dt_Customer", value, f"after the as-of date {context.as_of_date.isoformat()}")


def export_columns(records: list) -> Columns:
    """Validated records (objects with the export's fields) as one array per column the features read."""
    columns: Columns = {}
    for name in COLUMNS_USED:
        values = [getattr(record, name) for record in records]
        if name in ("Education", "Marital_Status", "Dt_Customer"):
            columns[name] = np.array(values, dtype=object)
        elif name == "Income":
            columns[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            columns[name] = np.array(values, dtype=np.int64)
    return columns


def features_from_export(rows: Columns, context: ExportContext) -> Columns:
    """customer_features' model inputs for validated export rows (records.py has checked types and ranges)."""
    check_dates(rows, context)
    spend = {name: rows[column].astype(float) for name, column in SPEND_COLUMNS.items()}
    spend_total: np.ndarray = np.add.reduce(list(spend.values()))
    channels = {name: rows[column].astype(float) for name, column in CHANNEL_COLUMNS.items()}
    purchases_total: np.ndarray = np.add.reduce(list(channels.values()))
    children = rows["Kidhome"] + rows["Teenhome"]
    partner = np.array([context.lives_with_partner[v.lower()] for v in rows["Marital_Status"]], dtype=bool)
    income = rows["Income"]
    features: Columns = {
        "customer_id": rows["ID"],
        "age_years": context.as_of_date.year - rows["Year_Birth"],
        "tenure_days": np.array([(context.as_of_date - day).days for day in rows["Dt_Customer"]], dtype=np.int64),
        "income": np.where(np.isnan(income), context.income_median, income),
        "education_level": np.array([context.education_levels[v.lower()] for v in rows["Education"]], dtype=object),
        "lives_with_partner": partner,
        "children_count": children,
        "is_parent": children > 0,
        "household_size": 1 + partner.astype(np.int64) + children,
        "spend_total": spend_total,
    }
    for name, values in spend.items():
        features[f"spend_{name}_share"] = _share(values, spend_total)
    features["purchases_total"] = purchases_total.astype(np.int64)
    for name, values in channels.items():
        features[f"purchases_{name}_share"] = _share(values, purchases_total)
    deals = rows["NumDealsPurchases"].astype(float)
    features["deal_purchases_share"] = np.minimum(1.0, _share(deals, purchases_total))
    features["web_visits_per_month"] = rows["NumWebVisitsMonth"]
    features["campaigns_accepted"] = np.add.reduce([rows[column] for column in CAMPAIGN_COLUMNS])
    features["has_complained"] = rows["Complain"] == 1
    features["recency_days"] = rows["Recency"]
    return features
