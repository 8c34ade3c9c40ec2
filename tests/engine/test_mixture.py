"""The Gaussian-mixture option (registry `algorithm: gaussian_mixture`): the model's distances place every
row in the component the mixture itself predicts, and the parameter rows reproduce them (the SQL formula)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from ml.engine.config import ConfigurationError, SegmentationConfig
from ml.engine.model import SegmentationModel
from ml.engine.parameters import CompiledParameters, parameter_rows


def unequal_groups() -> tuple[pd.DataFrame, np.ndarray]:
    """Groups of different sizes and spreads: where K-Means and a mixture disagree on the borders."""
    points, truth = make_blobs(
        n_samples=[900, 250, 150], n_features=3, cluster_std=[2.5, 0.6, 0.4], random_state=4, center_box=(-8, 8)
    )
    return pd.DataFrame(points, columns=["a", "b", "c"]), truth


def test_a_mixture_model_predicts_what_the_mixture_predicts_and_its_parameters_say_so():
    frame, truth = unequal_groups()
    model = SegmentationModel(algorithm="gaussian_mixture", n_clusters=3, k_min=2, k_max=4, n_bootstrap=2).fit(frame)
    points = model.project(frame)
    reference = GaussianMixture(3, covariance_type="full", n_init=3, random_state=42).fit(points)
    assert adjusted_rand_score(reference.predict(points), model.labels_) == 1.0
    assert adjusted_rand_score(truth, model.labels_) > 0.95
    assert np.all(model.cluster_offsets_ >= 0) and model.cluster_offsets_.min() == 0
    compiled = CompiledParameters.from_rows(parameter_rows(model))
    np.testing.assert_allclose(compiled.distances(frame), model.transform(frame), rtol=1e-9)
    assert (compiled.distances(frame).argmin(axis=1) == model.predict(frame)).all()


def test_without_a_forced_k_the_mixture_chooses_k_by_bic():
    frame, _ = unequal_groups()
    model = SegmentationModel(algorithm="gaussian_mixture", k_min=2, k_max=5, n_bootstrap=2).fit(frame)
    assert model.n_clusters_ == 3 and "lowest BIC" in model.k_rule_


def test_kmeans_parameters_have_no_mixture_rows():
    frame, _ = unequal_groups()
    rows = parameter_rows(SegmentationModel(n_clusters=3, n_bootstrap=2).fit(frame))
    assert not rows["item"].isin(["centroid_precision", "centroid_offset"]).any()


def test_an_unknown_algorithm_is_an_error():
    with pytest.raises(ConfigurationError, match="algorithm 'gmm' is not one of kmeans, gaussian_mixture"):
        SegmentationConfig(name="x", numeric_features=("a",), algorithm="gmm")
