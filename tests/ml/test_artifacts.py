import json

import pytest

from ml.artifacts import ArtifactIntegrityError, ArtifactPaths, load_model
from ml.engine import fit_segmentation, load_segmentation_model
from tests.ml.conftest import BLOB_FEATURES, blob_config


def test_artifact_round_trips_and_scores_like_the_fit(blobs, tmp_path):
    frame, _ = blobs
    model, labels, sidecar = fit_segmentation(frame, blob_config(n_clusters=4), str(tmp_path))
    loaded, loaded_sidecar = load_segmentation_model(
        "blobs", str(tmp_path), expected_sha256=sidecar["artifact_sha256"]
    )
    assert (
        loaded.assign(frame)["cluster_id"].tolist() == labels.sort_values("entity_id")["cluster_id"].tolist()
    )
    for key in (
        "library_versions",
        "feature_list",
        "configuration",
        "data_fingerprint",
        "metrics",
        "artifact_sha256",
    ):
        assert key in loaded_sidecar
    assert loaded_sidecar["feature_list"] == list(BLOB_FEATURES)
    assert len(loaded_sidecar["k_selection"]) == 7


def test_a_changed_artifact_is_refused(blobs, tmp_path):
    frame, _ = blobs
    fit_segmentation(frame, blob_config(n_clusters=3), str(tmp_path))
    paths = ArtifactPaths.for_segmentation(tmp_path, "blobs")
    with open(paths.model, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ArtifactIntegrityError, match="does not match"):
        load_model(paths)


def test_an_unexpected_artifact_is_refused(blobs, tmp_path):
    frame, _ = blobs
    fit_segmentation(frame, blob_config(n_clusters=3), str(tmp_path))
    paths = ArtifactPaths.for_segmentation(tmp_path, "blobs")
    with pytest.raises(ArtifactIntegrityError, match="not the one expected"):
        load_model(paths, expected_sha256="0" * 64)
    sidecar = json.loads(paths.sidecar.read_text())
    sidecar.pop("artifact_sha256")
    paths.sidecar.write_text(json.dumps(sidecar))
    with pytest.raises(ArtifactIntegrityError, match="no SHA-256 recorded"):
        load_model(paths)
