"""fit_segmentations: which segmentations refit, and what the model rows hold."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.engine.config import ConfigurationError
from ml.engine.fitting import FIT_COLUMNS, fit_segmentations
from ml.engine.registry import parse_registry
from tests.engine.conftest import BLOB_FEATURES, blob_frame

CATALOGUE = pd.DataFrame(
    {
        "segmentation_name": "blobs",
        "persona_name": ["High F1"],
        "description": ["d"],
        "marketing_strategy": ["s"],
    }
)
TRAITS = pd.DataFrame(
    {
        "segmentation_name": "blobs",
        "persona_name": ["High F1"],
        "feature_name": ["f1"],
        "direction": ["high"],
        "weight": [1.0],
    }
)
LABELS = pd.DataFrame({"segmentation_name": "blobs", "feature_name": ["f1"], "feature_label": ["feature one"]})


def registry(policy: str = "on_request", **model):
    entry = {
        "title": "Blobs",
        "entity_label": "points",
        "entity_key": "point_id",
        "feature_model": "blob_features",
        "members_model": "blob_members",
        "input": {
            "file_var": "blobs_file",
            "source": ["blobs", "points"],
            "accounting_model": "blob_accounting",
            "cli_flag": "--blobs-file",
            "upload_label": "Blobs",
        },
        "model": {"numeric_features": list(BLOB_FEATURES), "n_clusters": 4, **model},
        "profile_features": list(BLOB_FEATURES),
        "key_features": ["f1"],
        "refit_policy": policy,
        "published_tables": ["blob_members"],
    }
    return parse_registry({"blobs": entry}, {"k_max": 6})


def samples(frame: pd.DataFrame) -> pd.DataFrame:
    """The blobs as rows of segmentation_fit_samples."""
    return frame.assign(
        segmentation_name="blobs", entity_key=[f"{i:05d}" for i in range(len(frame))], eligible_rows=len(frame)
    )


def fit(frame, previous=None, policy="on_request", settings=None, recommendations=None, tmp=None, **model):
    return fit_segmentations(
        registry(policy, **model),
        samples(frame),
        previous,
        CATALOGUE,
        TRAITS,
        LABELS,
        str(tmp),
        settings or {},
        recommendations,
    )


def test_a_first_fit_writes_every_section_and_the_artifact(tmp_path):
    frame, _ = blob_frame()
    rows = fit(frame, tmp=tmp_path)
    assert list(rows.columns) == FIT_COLUMNS
    assert set(rows["section"]) == {
        "model",
        "parameter",
        "k_selection",
        "persona",
        "fit_profile",
        "input_distribution",
        "stability",
        "rule",
        "comparison",
    }
    # Well-separated blobs: every persona highly stable, described by a rule, found again by the others.
    stability = rows[(rows["section"] == "stability") & (rows["item"] == "bootstrap_jaccard")]
    assert len(stability) == 4 and (stability["value"] >= 0.85).all()
    rule_fidelity = rows[(rows["section"] == "rule") & (rows["item"] == "fidelity")]
    assert len(rule_fidelity) == 4 and (rule_fidelity["value"] > 0.9).all()
    agreement = rows[(rows["section"] == "comparison") & (rows["item"] == "ari_with_model")].set_index("text")
    assert agreement.loc["ward", "value"] > 0.9 and agreement.loc["gaussian_mixture", "value"] > 0.9
    model = rows[rows["section"] == "model"].set_index("item")
    assert model.loc["refit_reason", "text"] == "first fit" and model.loc["k", "value"] == 4
    version = rows["model_version"].iloc[0]
    assert (tmp_path / "blobs" / version / "model.joblib").exists()
    ids = rows[(rows["section"] == "persona") & (rows["item"] == "persona_id")]["text"]
    assert sorted(ids) == ["blobs-p01", "blobs-p02", "blobs-p03", "blobs-p04"]
    shares = rows[(rows["section"] == "input_distribution") & (rows["item"] == "share")]
    assert shares.groupby("feature_name")["value"].sum().round(9).eq(1).all()


def test_same_sample_and_settings_give_the_same_version_and_rows(tmp_path):
    frame, _ = blob_frame()
    one = fit(frame, tmp=tmp_path / "a")
    two = fit(frame, tmp=tmp_path / "b")
    stable = one["section"] != "model"
    pd.testing.assert_frame_equal(one[stable].reset_index(drop=True), two[stable].reset_index(drop=True))


@pytest.mark.parametrize(
    ("policy", "settings", "recommendations", "refits"),
    [
        ("on_request", {}, None, False),
        ("on_request", {"refit": True}, None, True),
        ("on_request", {"refit": ["blobs"]}, None, True),
        ("always", {}, None, True),
        ("when_recommended", {}, None, False),
        ("when_recommended", {}, {"blobs": "PSI of f1 0.31 > 0.25"}, True),
        ("on_request", {"n_clusters": {"blobs": 3}}, None, True),  # settings changed
    ],
)
def test_the_refit_policy_decides_whether_a_build_refits(tmp_path, policy, settings, recommendations, refits):
    frame, _ = blob_frame()
    first = fit(frame, policy=policy, tmp=tmp_path)
    second = fit(frame, first, policy=policy, settings=settings, recommendations=recommendations, tmp=tmp_path)
    assert (len(second) > 0) == refits
    if refits:
        assert second["fit_sequence"].iloc[0] == 2


def test_persona_ids_survive_a_refit_with_another_seed(tmp_path):
    frame, _ = blob_frame()
    first = fit(frame, tmp=tmp_path)
    second = fit(frame, first, settings={"refit": True, "random_state": 7}, tmp=tmp_path)

    def ids_by_profile(rows):
        personas = rows[(rows["section"] == "persona") & (rows["item"] == "persona_id")].set_index("cluster_id")["text"]
        f1 = rows[(rows["section"] == "fit_profile") & (rows["item"] == "mean") & (rows["feature_name"] == "f1")]
        return {round(v, 6): personas[c] for c, v in zip(f1["cluster_id"], f1["value"], strict=True)}

    assert ids_by_profile(first) == ids_by_profile(second)
    status = second[(second["section"] == "persona") & (second["item"] == "identity_status")]["text"]
    assert set(status) == {"kept"}


def test_bad_settings_are_refused_by_name(tmp_path):
    frame, _ = blob_frame()
    with pytest.raises(ConfigurationError, match="unknown segmentation"):
        fit(frame, settings={"refit": ["blobz"]}, tmp=tmp_path)
    with pytest.raises(ConfigurationError, match="n_clusters must map"):
        fit(frame, settings={"n_clusters": 5}, tmp=tmp_path)
    with pytest.raises(ConfigurationError, match="unknown key"):
        registry(n_cluster=4)
    with pytest.raises(ConfigurationError, match="refit_policy"):
        registry("sometimes")
