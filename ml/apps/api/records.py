"""Request and response schemas of the API, built from the registry and the source contracts.

A segmentation whose raw rows the API can turn into model inputs (customers: one export row per customer,
see customer_export.py) takes records with exactly the columns, types and rules of its dbt source
declaration, the same contract the build's input gate enforces. Any other segmentation takes its model
inputs directly (invoices: a customer's recency_days, frequency and monetary). A segmentation of
HISTORY_SEGMENTATIONS also takes the entity's raw rows (invoices: the customer's invoice lines, with the
columns of the Online Retail file), from which the API computes its model inputs and its predicted value.
Unknown fields are refused, so a misspelt field name is a 422 naming it, never a silently missing input.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_validator

from ml.apps.api.customer_export import COLUMNS_USED
from ml.engine.registry import Segmentation
from ml.quality.contract import ColumnSpec, load_contract, seed_values

# Segmentations scored from raw source rows; every other one from its model inputs.
RAW_ROW_SEGMENTATIONS = ("customers",)
# Segmentations whose records may carry the entity's raw rows (in the named field) instead of model inputs.
HISTORY_SEGMENTATIONS = {"invoices": "lines"}

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


def _not_zero(value):
    if value == 0:
        raise ValueError("must not be 0")
    return value


def _iso_timestamp(value):
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a date and time written ISO 8601 (2010-12-01T08:26:00)") from None
    raise ValueError("must be a date and time written ISO 8601 (2010-12-01T08:26:00) as a string")


def _column_field(column: ColumnSpec, used: frozenset[str]) -> tuple[Any, Any]:
    """The pydantic annotation and default of one contract column."""
    if column.data_type == "date":
        annotation: Any = Annotated[dt.date, _date_in(column.date_format or "%Y-%m-%d")]
    elif column.data_type == "timestamp":
        # One unambiguous format over JSON (files may write 12/1/2010 8:26, or 1/12/2010 8:26).
        annotation = Annotated[dt.datetime, BeforeValidator(_iso_timestamp)]
    else:
        annotation = PYTHON_TYPES.get(column.data_type, str)
        constraints = []
        if annotation is float:
            constraints.append(AfterValidator(_finite))
        if column.allowed_values is not None:
            constraints.append(_one_of(column.allowed_values))
        if column.accepted_values_seed:
            constraints.append(_in_seed(column.accepted_values_seed))
        if column.not_zero:
            constraints.append(AfterValidator(_not_zero))
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
        history_field = HISTORY_SEGMENTATIONS.get(segmentation.name)
        number: Any = Annotated[float, AfterValidator(_finite)]
        # With a history field, the inputs are optional one by one; the validator wants all or none of them.
        input_field = (number, ...) if history_field is None else (number | None, None)
        fields = {segmentation.entity_key: (int | str | None, None)}
        fields.update({name: input_field for name in config.numeric_features})
        fields.update({name: (str | None, None) for name in config.categorical_features})
        doc = f"The model inputs of one {segmentation.entity_label[:-1]} of {segmentation.title}."
        if history_field is not None:
            row = history_row_model(segmentation)
            fields[history_field] = (list[row] | None, Field(None, min_length=1))  # type: ignore[valid-type]
            doc += f" Or, instead of them, the {segmentation.entity_label[:-1]}'s rows of the input as {history_field}."
            return create_model(  # type: ignore[call-overload]
                title,
                __base__=Strict,
                __doc__=doc,
                __validators__={"one_form": model_validator(mode="after")(_inputs_or_history(config, history_field))},
                **fields,
            )
    # Fields are built at run time from the registry: beyond what a type checker can follow.
    return create_model(title, __base__=Strict, __doc__=doc, **fields)  # type: ignore[call-overload]


def history_row_model(segmentation: Segmentation) -> type[BaseModel]:
    """One raw row of the entity's input (invoices: a line of the Online Retail file) in a record's history.
    Nullable columns may be left out; the entity column among them (the record's key says whose rows they are)."""
    contract = load_contract(segmentation.name)
    used = frozenset(column.name for column in contract.columns)
    fields = {column.name: _column_field(column, used) for column in contract.columns}
    return create_model(  # type: ignore[call-overload]
        f"{segmentation.name.title()}Row",
        __base__=Strict,
        __doc__=f"One row of the {segmentation.title} input.",
        **fields,
    )


def _inputs_or_history(config, history_field: str):
    def check(record):
        given = [name for name in config.numeric_features if getattr(record, name) is not None]
        has_history = getattr(record, history_field) is not None
        if has_history and given:
            raise ValueError(f"send either {', '.join(config.numeric_features)} or {history_field}, not both")
        if not has_history and len(given) < len(config.numeric_features):
            missing = ", ".join(name for name in config.numeric_features if name not in given)
            wanted = ", ".join(config.numeric_features)
            raise ValueError(f"missing {missing}: send {wanted}, or the rows as {history_field}")
        return record

    return check


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


class PredictedValue(BaseModel):
    predicted_clv: float = Field(description="Expected revenue within the horizon, discounted (customer_value)")
    expected_purchases: float = Field(description="Expected repeat purchase days within the horizon")
    expected_order_value: float
    probability_alive: float
    churn_risk: float = Field(description="1 - probability_alive")
    churn_risk_band: str = Field(description="low, medium, high, or unknown where the data shows no drop-out")
    horizon_days: int
    model: str = Field(description="The repeat-purchase model: mbg_nbd, bg_nbd or nbd")


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
    model_inputs: dict[str, float] | None = Field(
        None, description="The model inputs computed from the record's rows (records sent with rows only)"
    )
    value: PredictedValue | None = Field(
        None, description="Invoice customers sent with their lines, where the build fitted a value model"
    )
    value_note: str | None = Field(None, description="Why value is null, for a source that has value models")


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
