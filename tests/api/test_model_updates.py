"""A newly published model is picked up without a restart; a half-published or tampered one never served."""

from __future__ import annotations

import shutil
import threading

import pytest

from ml.apps.api.published import PublishedModels
from tests.api.conftest import running_server
from tests.conftest import SMALL_CUSTOMERS, copy_of

pytestmark = pytest.mark.timeout(1200)

RECORD = {"customer_id": 1, "recency_days": 10, "frequency": 2, "monetary": 300.0}


def test_a_rebuild_is_served_without_restart_and_nothing_fails_meanwhile(small_build, tmp_path):
    build = copy_of(small_build, tmp_path / "build")  # served, then rebuilt with new models
    with running_server(build) as server:
        before = server.get("/health").json()["models"]
        answers: list[tuple[int, str | None]] = []
        stop = threading.Event()

        def keep_asking():
            while not stop.is_set():
                response = server.post("/v1/score/customers", json={"records": [customer_row()]})
                version = response.json().get("model_version") if response.status_code == 200 else None
                answers.append((response.status_code, version))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            # A refit with another seed publishes new model versions while requests keep coming.
            rebuild = build.dbt(
                "build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "random_state": 7, "refit": True}
            )
        finally:
            stop.set()
            asker.join()
        assert rebuild.returncode == 0, rebuild.output[-3000:]
        after = server.get("/health").json()["models"]
        assert after["customers"] != before["customers"]
        assert (
            server.post("/v1/score/customers", json={"records": [customer_row()]}).json()["model_version"]
            == (after["customers"])
        )
        assert answers and all(status == 200 for status, _ in answers), set(answers)
        assert {version for _, version in answers} <= {before["customers"], after["customers"]}
        published = build.query("select model_version from segmentation_models where is_active_model")
        assert set(after.values()) == set(published["model_version"])


def customer_row() -> dict:
    from ml import project
    from ml.apps.api.records import records_from_file

    return records_from_file(project.registry().get("customers"), str(SMALL_CUSTOMERS))[0]


def test_a_tampered_artifact_is_never_loaded_and_the_verified_models_keep_serving(bundled_build, tmp_path):
    database, artifacts = tmp_path / "warehouse.duckdb", tmp_path / "artifacts"
    shutil.copy(bundled_build.database, database)
    shutil.copytree(bundled_build.artifacts, artifacts)
    published = PublishedModels(str(database), str(artifacts))
    verified = published.current()
    assert set(verified.scorers) == {"customers", "invoices", "clickstream"}

    version = verified.scorers["customers"].model_version
    (joblib_file,) = (artifacts / "customers" / version).glob("*.joblib")
    joblib_file.write_bytes(joblib_file.read_bytes() + b"tampered")
    # A "new publication": the same tables under a new file, renamed over the old one as publishing does.
    republished = tmp_path / "new.duckdb"
    shutil.copy(database, republished)
    republished.replace(database)

    after = published.current()
    assert after.scorers["customers"] is verified.scorers["customers"], "the verified model keeps serving"
    assert "customers" in (published.reload_error or "") and "sha" in published.reload_error.lower()

    fresh = PublishedModels(str(database), str(artifacts)).current()
    assert "customers" not in fresh.scorers and "customers" in fresh.problems
