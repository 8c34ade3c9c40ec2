"""The scoring API over real HTTP: the warehouse's answers, clear refusals, and a server that keeps serving."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml import project
from ml.apps.api.records import records_from_file
from tests.conftest import BUNDLED_CUSTOMERS

pytestmark = pytest.mark.timeout(900)


def customer_records() -> list[dict]:
    return records_from_file(project.registry().get("customers"), str(BUNDLED_CUSTOMERS))


def score_all(server, segmentation: str, records: list[dict], sent_key: str, batch: int = 1000) -> pd.DataFrame:
    """Every record scored in batches; checks the answers come back in the order sent."""
    key = project.registry().get(segmentation).entity_key
    results = []
    for start in range(0, len(records), batch):
        response = server.post(f"/v1/score/{segmentation}", json={"records": records[start : start + batch]})
        assert response.status_code == 200, response.text[:2000]
        results += response.json()["results"]
    frame = pd.DataFrame(results)
    assert frame[key].tolist() == [record[sent_key] for record in records]
    return frame


def assert_same_personas(scored: pd.DataFrame, members: pd.DataFrame, key: str) -> None:
    merged = scored.merge(members, on=key, suffixes=("_api", "_warehouse"), validate="one_to_one")
    assert len(merged) == len(members)
    different = merged[merged["persona_id_api"] != merged["persona_id_warehouse"]]
    assert different.empty, different.head().to_string()
    assert np.allclose(merged["distance_to_centroid_api"], merged["distance_to_centroid_warehouse"], atol=1e-9)


def test_every_bundled_customer_gets_the_persona_the_warehouse_holds(bundled_server, bundled_build):
    members = bundled_build.query("select customer_id, persona_id, distance_to_centroid from customer_personas")
    records = [record for record in customer_records() if record["ID"] in set(members["customer_id"])]
    assert len(records) == len(members) > 2000
    scored = score_all(bundled_server, "customers", records, "ID")
    assert_same_personas(scored, members, "customer_id")


@pytest.mark.parametrize("segmentation", ["invoices", "clickstream"])
def test_model_inputs_get_the_persona_the_warehouse_holds(bundled_server, bundled_build, segmentation):
    entry = project.registry().get(segmentation)
    key, inputs = entry.entity_key, list(entry.config.numeric_features)
    features = bundled_build.query(f"select {key}, {', '.join(inputs)} from {entry.feature_model} order by {key}")
    members = bundled_build.query(f"select {key}, persona_id, distance_to_centroid from {entry.members_model}")
    records = json.loads(features.to_json(orient="records"))
    scored = score_all(bundled_server, segmentation, records, key)
    assert_same_personas(scored, members, key)


def test_an_answer_says_why_and_how_sure(bundled_server):
    record = {"customer_id": 7, "recency_days": 2, "frequency": 25, "monetary": 12000.0}
    body = bundled_server.post("/v1/score/invoices", json={"records": [record]}).json()
    (result,) = body["results"]
    assert result["customer_id"] == 7 and result["persona_id"].startswith("invoices-p")
    assert result["persona_name"] and result["marketing_strategy"] and result["next_persona_name"]
    assert result["margin_to_next_centroid"] > 0
    assert result["placing_features"], "the features that place it in its persona"
    first = result["placing_features"][0]
    assert first["feature"] in {"recency_days", "frequency", "monetary"} and first["pull"] > 0
    health = bundled_server.get("/health").json()
    assert body["model_version"] == health["models"]["invoices"]


def test_health_and_personas(bundled_server, bundled_build):
    health = bundled_server.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert set(health.json()["models"]) == set(project.registry().names)
    personas = bundled_server.get("/v1/personas/customers").json()
    expected = bundled_build.query(
        "select persona_id, member_count from persona_profiles where segmentation_name = 'customers'"
    )
    got = {p["persona_id"]: p["member_count"] for p in personas["personas"]}
    assert got == dict(zip(expected["persona_id"], expected["member_count"], strict=True))
    stability = bundled_build.query(
        "select persona_id, bootstrap_jaccard from persona_stability where segmentation_name = 'customers' "
        "and is_active_model"
    ).set_index("persona_id")["bootstrap_jaccard"]
    for persona in personas["personas"]:
        assert persona["stability_jaccard"] == pytest.approx(stability[persona["persona_id"]], abs=0.005001)
        assert persona["match_score"] is not None, "the bundled customer personas are catalogue matches"
    assert bundled_server.get("/v1/personas/nope").status_code == 404
    docs = bundled_server.get("/openapi.json").json()
    assert {"/v1/score/customers", "/v1/score/invoices", "/v1/personas/{segmentation}", "/health"} <= set(docs["paths"])
    assert bundled_server.get("/docs").status_code == 200


def refusal(response, status: int) -> dict:
    assert response.status_code == status, response.text[:1000]
    return response.json()


def test_bad_records_are_refused_naming_record_field_and_value(bundled_server):
    good = customer_records()[0]
    cases = [
        ({**good, "Income": "lots"}, "Income", "lots"),
        ({**good, "Educaton": "PhD"}, "Educaton", "PhD"),
        ({**good, "Education": "Wizardry"}, "Education", "Wizardry"),
        ({**good, "Dt_Customer": "2014-06-01"}, "Dt_Customer", "2014-06-01"),
        ({**good, "AcceptedCmp1": 3}, "AcceptedCmp1", 3),
        ({**good, "MntWines": -5}, "MntWines", -5),
        ({**good, "Dt_Customer": "01-01-2099"}, "Dt_Customer", "2099-01-01"),
    ]
    for record, field, value in cases:
        body = refusal(bundled_server.post("/v1/score/customers", json={"records": [good, record]}), 422)
        detail = body["detail"][0]
        assert (detail["record"], detail["field"], detail["value"]) == (1, field, value), body
        assert "record 1" in body["error"] and field in body["error"]
    missing = {k: v for k, v in good.items() if k != "Kidhome"}
    detail = refusal(bundled_server.post("/v1/score/customers", json={"records": [missing]}), 422)["detail"][0]
    assert (detail["record"], detail["field"]) == (0, "Kidhome")
    refusal(bundled_server.post("/v1/score/invoices", json={"records": [{"recency_days": "soon"}]}), 422)
    refusal(
        bundled_server.post("/v1/score/invoices", content=b"{not json", headers={"content-type": "application/json"}),
        422,
    )
    refusal(bundled_server.post("/v1/score/invoices", json={"records": []}), 422)
    assert bundled_server.get("/health").json()["status"] == "ok"


def test_limits_unknown_segmentations_and_the_server_keeps_serving(bundled_server):
    record = {"customer_id": 1, "recency_days": 10, "frequency": 2, "monetary": 300.0}
    assert (
        "unknown segmentation"
        in refusal(bundled_server.post("/v1/score/nope", json={"records": [record]}), 404)["error"]
    )
    too_many = {"records": [record] * 10_001}
    assert "at most 10,000 records" in refusal(bundled_server.post("/v1/score/invoices", json=too_many), 413)["error"]
    huge = b'{"records": [' + b" " * (9 * 1024 * 1024) + b"]}"
    assert "larger than the limit" in refusal(bundled_server.post("/v1/score/invoices", content=huge), 413)["error"]

    def chunks():  # no Content-Length: the limit is counted while reading
        yield b'{"records": ['
        for _ in range(20):
            yield b" " * (512 * 1024)
        yield b"]}"

    assert refusal(bundled_server.post("/v1/score/invoices", content=chunks()), 413)
    assert bundled_server.post("/v1/score/invoices", json={"records": [record]}).status_code == 200
    assert bundled_server.process.poll() is None


def test_features_from_an_export_row_equal_customer_features_bit_for_bit(bundled_build):
    from ml.apps.api.customer_export import export_columns, features_from_export
    from ml.apps.api.published import PublishedModels
    from ml.apps.api.records import request_model

    snapshot = PublishedModels(str(bundled_build.database), str(bundled_build.artifacts)).current()
    warehouse_features = bundled_build.query("select * from customer_features").set_index("customer_id")
    records = [r for r in customer_records() if r["ID"] in warehouse_features.index]
    body = request_model(project.registry().get("customers"), 10_000).model_validate({"records": records})
    computed = pd.DataFrame(features_from_export(export_columns(body.records), snapshot.export_context))
    expected = warehouse_features.loc[computed["customer_id"]].reset_index()
    for column in project.registry().get("customers").config.features:
        got, want = computed[column].to_numpy(), expected[column].to_numpy()
        if column in project.registry().get("customers").config.categorical_features:
            assert (got == want).all(), column
        else:
            assert np.array_equal(got.astype(float), want.astype(float)), column


def invoice_line_records(build, customers=None) -> list[dict]:
    """Each customer's accepted lines from the published invoice_lines, as the API takes them."""
    lines = build.query(
        "select customer_id, invoice_no, stock_code, product_description, quantity, invoiced_at, unit_price, country "
        "from invoice_lines where customer_id is not null order by line_number"
    )
    if customers is not None:
        lines = lines[lines["customer_id"].isin(list(customers))]
    records = []
    for customer_id, group in lines.groupby("customer_id", sort=True):
        rows = [
            {
                "InvoiceNo": line.invoice_no,
                "StockCode": line.stock_code,
                "Description": line.product_description,
                "Quantity": int(line.quantity),
                "InvoiceDate": line.invoiced_at.isoformat(),
                "UnitPrice": float(line.unit_price),
                "Country": line.country,
            }
            for line in group.itertuples()
        ]
        records.append({"customer_id": int(customer_id), "lines": rows})
    return records


def test_invoice_lines_give_the_persona_features_and_value_the_warehouse_holds(bundled_server, bundled_build):
    members = bundled_build.query("select customer_id, persona_id, distance_to_centroid from invoice_customer_personas")
    records = invoice_line_records(bundled_build, members["customer_id"])
    assert len(records) == len(members) > 1500
    # 200 customers per request keeps each body well under the 8 MiB limit.
    scored = score_all(bundled_server, "invoices", records, "customer_id", batch=200)
    assert_same_personas(scored, members, "customer_id")

    features = bundled_build.query(
        "select customer_id, recency_days, frequency, monetary from invoice_customer_features"
    )
    computed = dict(zip(scored["customer_id"], scored["model_inputs"], strict=True))
    for row in features.itertuples():
        inputs = computed[row.customer_id]
        assert inputs["recency_days"] == row.recency_days and inputs["frequency"] == row.frequency, row
        assert inputs["monetary"] == pytest.approx(row.monetary, rel=1e-12), row

    value = bundled_build.query(
        "select customer_id, predicted_clv, expected_purchases, probability_alive, churn_risk_band, horizon_days "
        "from customer_value where segmentation_name = 'invoices'"
    ).set_index("customer_id")
    with_value = scored[scored["value"].notna()]
    assert set(with_value["customer_id"]) == set(value.index), "a value exactly where the warehouse has one"
    for row in with_value.itertuples():
        expected = value.loc[row.customer_id]
        assert row.value["predicted_clv"] == pytest.approx(expected.predicted_clv, rel=1e-7)
        assert row.value["expected_purchases"] == pytest.approx(expected.expected_purchases, rel=1e-7)
        assert row.value["probability_alive"] == pytest.approx(expected.probability_alive, rel=1e-9)
        assert (row.value["churn_risk_band"], row.value["horizon_days"]) == (
            expected.churn_risk_band,
            expected.horizon_days,
        )
    without = scored[scored["value"].isna()]
    assert not without.empty and without["value_note"].str.contains("no sale").all()


def test_invoice_lines_are_checked_as_the_build_checks_them(bundled_server, bundled_build):
    (record,) = invoice_line_records(bundled_build, [17850])
    line = record["lines"][0]

    def refused(records) -> dict:
        return refusal(bundled_server.post("/v1/score/invoices", json={"records": records}), 422)["detail"][0]

    def with_line(**changes) -> dict:
        return {**record, "lines": [*record["lines"], {**line, **changes}]}

    detail = refused([record, with_line(Quantity=0)])
    assert (detail["record"], detail["field"], detail["value"]) == (1, f"lines.{len(record['lines'])}.Quantity", 0)
    detail = refused([with_line(InvoiceDate="12/1/2010 8:26")])
    assert detail["field"].endswith("InvoiceDate") and "ISO 8601" in detail["message"]
    detail = refused([with_line(InvoiceDate="2099-01-01T10:00:00")])
    assert detail["field"].endswith("InvoiceDate") and "as-of date" in detail["message"]
    detail = refused([with_line(CustomerID=12345)])
    assert detail["field"].endswith("CustomerID") and detail["value"] == 12345
    detail = refused([{**record, "recency_days": 3}])
    assert detail["record"] == 0 and "not both" in detail["message"]
    detail = refused([{"customer_id": 1, "frequency": 2}])
    assert "missing recency_days, monetary" in detail["message"]
    postage = {**line, "StockCode": "POST", "Quantity": 1}
    detail = refused([{"customer_id": 1, "lines": [postage]}])
    assert detail["field"] == "lines" and "no sale or cancellation" in detail["message"]

    # A repeated line counts once, as the build's duplicate rule says; a model-input record has no value.
    answer = bundled_server.post(
        "/v1/score/invoices",
        json={
            "records": [record, with_line(), {"customer_id": 2, "recency_days": 5, "frequency": 3, "monetary": 90.0}]
        },
    ).json()["results"]
    assert answer[0]["value"] == answer[1]["value"] and answer[0]["persona_id"] == answer[1]["persona_id"]
    assert answer[2]["value"] is None and "invoice lines" in answer[2]["value_note"]
