"""A pickle is never loaded unless its hash is the one recorded."""

from __future__ import annotations

import numpy as np
import pytest

from ml.engine.artifacts import ArtifactIntegrityError, ArtifactPaths, load_model, save_model
from tests.engine.conftest import blob_model


@pytest.fixture
def saved(blobs, tmp_path):
    frame, _ = blobs
    model = blob_model(n_clusters=4).fit(frame)
    paths = ArtifactPaths.for_model(tmp_path, "blobs", "v1")
    sidecar = save_model(model, paths, {"model_version": "v1"})
    return model, paths, sidecar, frame


def test_artifact_round_trips_and_scores_like_the_fit(saved):
    model, paths, sidecar, frame = saved
    loaded, read_back = load_model(paths, sidecar["artifact_sha256"])
    assert read_back["model_version"] == "v1" and "scikit-learn" in read_back["library_versions"]
    assert np.array_equal(loaded.predict(frame), model.labels_)


def test_a_changed_artifact_is_refused(saved):
    _, paths, sidecar, _ = saved
    paths.model.write_bytes(paths.model.read_bytes() + b"\0")
    with pytest.raises(ArtifactIntegrityError, match="does not match"):
        load_model(paths, sidecar["artifact_sha256"])


def test_an_unexpected_artifact_is_refused(saved):
    _, paths, _, _ = saved
    with pytest.raises(ArtifactIntegrityError, match="expects"):
        load_model(paths, "0" * 64)
