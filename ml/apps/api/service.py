"""The FastAPI application behind `smartcart serve`.

Routes: POST /v1/score/{segmentation}, GET /v1/personas/{segmentation}, GET /health; OpenAPI docs at /docs.
Two limits protect the process: the request body size (checked by an ASGI wrapper before the body is read
into memory, 413) and the number of records per request (422 from the schema, before any scoring). With a
token configured, every route but the docs needs it as a bearer token. Nothing a request sends names a
file: the API reads only the published warehouse and model folder it was started with.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import create_model

from ml import project
from ml.apps.api import records
from ml.apps.api.customer_export import RecordProblem, export_columns, features_from_export
from ml.apps.api.invoice_history import (
    CustomerHistory,
    InvoiceContext,
    Line,
    customer_history,
    model_inputs,
    value_summary,
)
from ml.apps.api.published import PublishedModels
from ml.apps.api.value_model import ValueModel
from ml.engine.registry import Segmentation

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_RECORDS = 10_000
UNPROTECTED_PATHS = ("/docs", "/openapi.json", "/docs/oauth2-redirect")


@dataclass(frozen=True)
class ApiSettings:
    database: str | None = None
    artifacts_dir: str | None = None
    token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_records: int = DEFAULT_MAX_RECORDS

    @classmethod
    def from_environment(cls) -> ApiSettings:
        """How `smartcart serve` hands its settings to each server worker."""
        return cls(
            database=os.environ.get("SMARTCART_DUCKDB_PATH") or None,
            artifacts_dir=os.environ.get("SMARTCART_ARTIFACTS_DIR") or None,
            token=os.environ.get("SMARTCART_API_TOKEN") or None,
            max_body_bytes=int(os.environ.get("SMARTCART_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            max_records=int(os.environ.get("SMARTCART_API_MAX_RECORDS", DEFAULT_MAX_RECORDS)),
        )


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class Guard:
    """ASGI wrapper: bearer token and body size, checked before the application reads the body."""

    def __init__(self, app, token: str | None, max_body_bytes: int):
        self.app, self.token, self.max_body_bytes = app, token, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        if self.token and scope["path"] not in UNPROTECTED_PATHS:
            given = headers.get("authorization", "")
            expected = f"Bearer {self.token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                response = _error(401, "a bearer token is required (Authorization: Bearer <SMARTCART_API_TOKEN>)")
                response.headers["WWW-Authenticate"] = "Bearer"
                return await response(scope, receive, send)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return await self._too_large(scope, receive, send)
        received = 0
        too_large = False
        started = False

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Stop reading: the application sees a disconnected client, and the answer is a 413.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message):
            nonlocal started
            if too_large and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if too_large and not started:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope, receive, send):
        response = _error(413, f"the request body is larger than the limit of {self.max_body_bytes:,} bytes")
        await response(scope, receive, send)


def _validation_details(errors: list[dict]) -> list[dict]:
    """FastAPI's errors as record, field, value and message: what a caller needs to fix the record."""
    details = []
    for error in errors:
        location = [part for part in error.get("loc", ()) if part != "body"]
        detail: dict[str, Any] = {"message": error.get("msg", "invalid")}
        if len(location) >= 2 and location[0] == "records" and isinstance(location[1], int):
            detail["record"] = location[1]
            if len(location) >= 3:
                detail["field"] = ".".join(str(part) for part in location[2:])
                if error.get("type") != "missing":
                    detail["value"] = error.get("input")
        elif location:
            detail["field"] = ".".join(str(part) for part in location)
        details.append(detail)
    return details


def _summary(detail: dict) -> str:
    where = ", ".join(
        part
        for part in (
            f"record {detail['record']}" if "record" in detail else "",
            f"field {detail['field']!r}" if "field" in detail else "",
        )
        if part
    )
    value = f" (got {detail['value']!r})" if "value" in detail else ""
    return f"{where}: {detail['message']}{value}" if where else f"{detail['message']}{value}"


def create_app(settings: ApiSettings | None = None) -> Guard:
    settings = settings or ApiSettings()
    published = PublishedModels(settings.database, settings.artifacts_dir)
    registry = project.registry()
    app = FastAPI(
        title="SmartCart Segments scoring API",
        version="1",
        summary="The persona of a customer, scored with the published, hash-checked model of each segmentation.",
        dependencies=[Depends(HTTPBearer(auto_error=False))] if settings.token else [],
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        details = _validation_details(list(error.errors()))
        too_many = [d for d in details if d.get("field") == "records" and "at most" in d["message"]]
        if too_many:
            return _error(413, f"a request may hold at most {settings.max_records:,} records", detail=details)
        return _error(422, "; ".join(_summary(d) for d in details[:5]), detail=_jsonable(details))

    @app.get("/health")
    async def health() -> JSONResponse:
        snapshot = published.current()
        status = (
            "ok" if snapshot.scorers and not snapshot.problems else ("degraded" if snapshot.scorers else "unavailable")
        )
        body = {
            "status": status,
            "warehouse": str(published.database),
            "models": {name: scorer.model_version for name, scorer in snapshot.scorers.items()},
            "problems": snapshot.problems,
            "reload_error": published.reload_error,
        }
        return JSONResponse(body, status_code=200 if snapshot.scorers else 503)

    @app.get("/v1/personas/{segmentation}")
    async def personas(segmentation: str) -> JSONResponse:
        if segmentation not in registry.names:
            return _unknown(segmentation)
        snapshot = published.current()
        if segmentation not in snapshot.scorers:
            return _unavailable(segmentation, snapshot)
        frame = snapshot.personas[segmentation]
        return JSONResponse(
            {
                "segmentation": segmentation,
                "model_version": snapshot.scorers[segmentation].model_version,
                "personas": json.loads(frame.to_json(orient="records")),
            }
        )

    for segmentation in registry:
        _add_score_route(app, segmentation, published, settings.max_records)

    @app.post("/v1/score/{segmentation}", include_in_schema=False)
    async def unknown_segmentation(segmentation: str) -> JSONResponse:
        return _unknown(segmentation)

    def _unknown(name: str) -> JSONResponse:
        return _error(404, f"unknown segmentation {name!r}; known: {', '.join(registry.names)}")

    return Guard(app, settings.token, settings.max_body_bytes)


def _unavailable(name: str, snapshot) -> JSONResponse:
    reason = snapshot.problems.get(name) or snapshot.problems.get("warehouse") or "not built yet"
    return _error(503, f"segmentation {name!r} has no published model: {reason}")


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _add_score_route(app: FastAPI, segmentation: Segmentation, published: PublishedModels, max_records: int) -> None:
    name = segmentation.name
    key = segmentation.entity_key
    request_model = records.request_model(segmentation, max_records)
    # Models built at run time (the key column is the registry's): beyond what a type checker can follow.
    result_model = create_model(
        f"{name.title()}ScoredRecord",
        __base__=records.ScoredRecord,
        **{key: (Any, ...)},  # type: ignore[call-overload]
    )
    response_model = create_model(
        f"{name.title()}ScoreResponse",
        __base__=records.ScoreResponse,
        results=(list[result_model], ...),  # type: ignore[valid-type]
    )
    raw_rows = name in records.RAW_ROW_SEGMENTATIONS
    history_field = records.HISTORY_SEGMENTATIONS.get(name)

    async def score(body: request_model) -> Response:  # type: ignore[valid-type]
        snapshot = published.current()
        scorer = snapshot.scorers.get(name)
        if scorer is None:
            return _unavailable(name, snapshot)
        try:
            if raw_rows:
                if snapshot.export_context is None:
                    return _unavailable(name, snapshot)
                columns = features_from_export(export_columns(body.records), snapshot.export_context)  # type: ignore[attr-defined]
            elif history_field is not None:
                if snapshot.invoice_context is None:
                    return _unavailable(name, snapshot)
                histories = histories_of(body.records, history_field, key, snapshot.invoice_context)  # type: ignore[attr-defined]
                columns = model_input_columns(body.records, segmentation, histories)  # type: ignore[attr-defined]
            else:
                columns = model_input_columns(body.records, segmentation)  # type: ignore[attr-defined]
        except RecordProblem as problem:
            detail = {"record": problem.index, "field": problem.field, "value": problem.value}
            detail["message"] = problem.reason
            return _error(422, _summary(detail), detail=[detail])
        placed = scorer.place(columns)
        results = _results(scorer, columns, placed, key)
        if history_field is not None:
            _add_history_figures(results, histories, snapshot.value_models.get(name), history_field)
        return _json({"segmentation": name, "model_version": scorer.model_version, "results": results})

    # The annotation names a class made at run time; with postponed annotations FastAPI would see a string.
    score.__annotations__ = {"body": request_model, "return": JSONResponse}
    app.post(
        f"/v1/score/{name}",
        response_model=response_model,
        summary=f"Persona of {segmentation.entity_label} of {segmentation.title}",
        description=(records.record_model(segmentation).__doc__ or "")
        + f" At most {max_records:,} records per request; results come back in the same order.",
    )(score)


def histories_of(records: list, history_field: str, key: str, context: InvoiceContext) -> list[CustomerHistory | None]:
    """Each record's invoice history (None for a record sent as model inputs)."""
    histories: list[CustomerHistory | None] = []
    for index, record in enumerate(records):
        rows = getattr(record, history_field)
        if rows is None:
            histories.append(None)
            continue
        owner = getattr(record, key)
        lines = []
        for number, row in enumerate(rows):
            if row.CustomerID is not None and owner is not None and str(row.CustomerID) != str(owner):
                field = f"{history_field}.{number}.CustomerID"
                raise RecordProblem(index, field, row.CustomerID, f"is not the record's {key} {owner!r}")
            lines.append(
                Line(
                    row.InvoiceNo,
                    row.StockCode,
                    row.Description,
                    row.Quantity,
                    row.InvoiceDate,
                    row.UnitPrice,
                    row.Country,
                )
            )
        histories.append(customer_history(index, lines, context))
    return histories


def _add_history_figures(results: list[dict], histories: list, model: ValueModel | None, history_field: str) -> None:
    """Each result's model inputs computed from its lines and predicted value (customer_value's figures), or
    why there is none."""
    for result, history in zip(results, histories, strict=True):
        result["model_inputs"] = None if history is None else model_inputs(history)
        summary = None if history is None or model is None else value_summary(history, model.observation_end)
        if summary is not None and model is not None:
            result["value"] = model.predict(summary["x"], summary["t_x"], summary["T"], summary["mean_repeat_spend"])
            result["value_note"] = None
            continue
        result["value"] = None
        if model is None:
            result["value_note"] = "the published build has no value model for this source (not enough history)"
        elif history is None:
            result["value_note"] = f"send the customer's invoice lines as {history_field} for a predicted value"
        else:
            result["value_note"] = "no sale before the as-of date: the value models start at a first purchase"


def model_input_columns(
    records: list, segmentation: Segmentation, histories: list[CustomerHistory | None] | None = None
) -> dict[str, np.ndarray]:
    """Validated model-input records as one array per column (the key may be absent: 1..n); a record sent
    with its history takes the inputs computed from it."""
    config = segmentation.config
    key = segmentation.entity_key
    values = [
        model_inputs(history) if history is not None else {n: getattr(r, n) for n in config.numeric_features}
        for r, history in zip(records, histories or [None] * len(records), strict=True)
    ]
    columns = {name: np.array([v[name] for v in values], dtype=float) for name in config.numeric_features}
    columns.update(
        {name: np.array([getattr(r, name) for r in records], dtype=object) for name in config.categorical_features}
    )
    keys = [getattr(r, key) for r in records]
    columns[key] = np.array([i + 1 if k is None else k for i, k in enumerate(keys)], dtype=object)
    return columns


def _results(scorer, columns, placed, key: str) -> list[dict]:
    personas = scorer.personas
    ids, names, strategies = (personas[c].tolist() for c in ("persona_id", "persona_name", "marketing_strategy"))
    distances, margins = placed.distance.tolist(), placed.margin.tolist()
    outlier = (placed.distance > scorer.parameters.distance_threshold).tolist()
    keys = np.asarray(columns[key]).tolist()
    reasons = scorer.placing_features(columns, placed)
    # segment_personas is ordered by cluster_id 0..k-1, so a cluster number indexes these lists.
    return [
        {
            key: keys[i],
            "persona_id": ids[n],
            "persona_name": names[n],
            "marketing_strategy": strategies[n],
            "distance_to_centroid": distances[i],
            "margin_to_next_centroid": margins[i],
            "next_persona_name": names[r],
            "is_distance_outlier": outlier[i],
            "placing_features": reasons[i],
        }
        for i, (n, r) in enumerate(zip(placed.nearest.tolist(), placed.runner_up.tolist(), strict=True))
    ]


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=str), status_code=status, media_type="application/json")


def app_from_environment() -> Guard:
    """The uvicorn factory `smartcart serve` starts (one per worker process)."""
    return create_app(ApiSettings.from_environment())
