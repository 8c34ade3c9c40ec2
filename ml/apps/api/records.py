"""Request and response schemas of the API, built from the registry and the source contracts.

A segmentation whose raw rows the API can turn into model inputs (customers: one export row per customer,
see customer_export.py) takes records with exactly the columns, types and rules of its dbt source
declaration, the same contract the build's input gate enforces. Any other segmentation takes its model
inputs directly (invoices: a customer's recency_days, frequency and monetary). Unknown fields are refused,
so a misspelt field name is a 422 naming it, never a silently missing input.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from ml.apps.api.customer_export import COLUMNS_USED
from ml.engine.registry import Segmentation
from ml.quality.contract import ColumnSpec, load_contract, seed_values

# Segmentations scored from raw source rows; every other one from its model inputs.
RAW_ROW_SEGMENTATIONS = ("customers",)

PYTHON_TYPES = {"bigint": int, "integer": int, "smallint": int, "double": float, "float": float, "varchar": str}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_of(allowed: tuple) -> AfterValidator:
    def check(value):
        if value is not None and value not in allowed:
            raise ValueError(f"must be one of {list(allowed)}")
        return value

    return AfterValidator(check)


def _in_seed(seed: str) -> AfterValidator:
    known = {value.lower() for value in seed_values(seed)}

    def check(value):
        if value is not None and value.lower() not in known:
            raise ValueError(f"is not a known value (seed {seed}: {sorted(known)})")
        return value

    return AfterValidator(check)


def _date_in(date_format: str) -> BeforeValidator:
    def parse(value):
        if isinstance(value, str):
            try:
                return dt.datetime.strptime(value, date_format).date()
            except ValueError:
                raise ValueError(f"is not a date written {date_format}") from None
        raise ValueError(f"must be a date written {date_format} as a string")

    return BeforeValidator(parse)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _column_field(column: ColumnSpec, used: frozenset[str]) -> tuple[Any, Any]:
    """The pydantic annotation and default of one contract column."""
    if column.data_type == "date":
        annotation: Any = Annotated[dt.date, _date_in(column.date_format or "%Y-%m-%d")]
    else:
        annotation = PYTHON_TYPES.get(column.data_type, str)
        constraints = []
        if annotation is float:
            constraints.append(AfterValidator(_finite))
        if column.allowed_values is not None:
            constraints.append(_one_of(column.allowed_values))
        if column.accepted_values_seed:
            constraints.append(_in_seed(column.accepted_values_seed))
        ge = column.min_value
        annotation = (
            Annotated[annotation, Field(ge=ge), *constraints]
            if ge is not None
            else (Annotated[annotation, *constraints] if constraints else annotation)
        )
    if column.nullable:
        annotation = annotation | None
    required = column.required and not column.nullable and column.name in used
    return annotation, (... if required else None)


def record_model(segmentation: Segmentation) -> type[BaseModel]:
    """The schema of one record sent to POST /v1/score/{segmentation}."""
    title = f"{segmentation.name.title()}Record"
    if segmentation.name in RAW_ROW_SEGMENTATIONS:
        contract = load_contract(segmentation.name)
        fields = {column.name: _column_field(column, COLUMNS_USED) for column in contract.columns}
        doc = f"One row of the {segmentation.title} input, with the columns of its source file."
    else:
        config = segmentation.config
        fields = {segmentation.entity_key: (int | str | None, None)}
        fields.update({name: (Annotated[float, AfterValidator(_finite)], ...) for name in config.numeric_features})
        fields.update({name: (str | None, None) for name in config.categorical_features})
        doc = f"The model inputs of one {segmentation.entity_label[:-1]} of {segmentation.title}."
    # Fields are built at run time from the registry: beyond what a type checker can follow.
    return create_model(title, __base__=Strict, __doc__=doc, **fields)  # type: ignore[call-overload]


def request_model(segmentation: Segmentation, max_records: int) -> type[BaseModel]:
    record = record_model(segmentation)
    return create_model(
        f"{segmentation.name.title()}ScoreRequest",
        __base__=Strict,
        records=(list[record], Field(min_length=1, max_length=max_records)),  # type: ignore[valid-type]
    )


class PlacingFeature(BaseModel):
    feature: str
    value: Any
    pull: float = Field(description="How much this input moves the record towards its persona rather than the next")
    compared_with_fit: str | None = Field(None, description="above or below the average of the fitted sample")


class ScoredRecord(BaseModel):
    key: Any = Field(description="The entity key of the record (its ID, customer_id, user_id)")
    persona_id: str
    persona_name: str
    marketing_strategy: str
    distance_to_centroid: float
    margin_to_next_centroid: float = Field(description="Distance to the next persona's centroid minus this one's")
    next_persona_name: str
    is_distance_outlier: bool
    placing_features: list[PlacingFeature]


class ScoreResponse(BaseModel):
    segmentation: str
    model_version: str
    results: list[ScoredRecord]


def records_from_file(segmentation: Segmentation, path: str) -> list[dict]:
    """The rows of a raw input file as the JSON records POST /v1/score takes (types from the contract):
    what the load benchmark and the tests send, and a starting point for a client."""
    import pandas as pd

    contract = load_contract(segmentation.name)
    frame = pd.read_csv(path, sep=contract.delimiter, dtype=str, keep_default_na=False)
    types = {column.name: PYTHON_TYPES.get(column.data_type, str) for column in contract.columns}
    rows = []
    for row in frame.to_dict(orient="records"):
        rows.append({name: (None if text == "" else types.get(name, str)(text)) for name, text in row.items()})
    return rows
