"""The estimator follows scikit-learn's conventions: its own estimator checks, fit/predict/transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml.engine.model import SegmentationModel
from ml.engine.preprocessing import FeatureSchemaError
from tests.engine.conftest import blob_model


# Every check applies and passes (none is listed as an expected failure). k is forced to the checks'
# 3 clusters: with k chosen by the rule, check_clustering would compare against another k.
@parametrize_with_checks([SegmentationModel(n_clusters=3, k_max=3, n_bootstrap=1, n_init=2)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_same_data_and_seed_give_identical_models(blobs):
    frame, _ = blobs
    first, second = blob_model().fit(frame), blob_model().fit(frame)
    assert np.array_equal(first.labels_, second.labels_)
    assert np.array_equal(first.cluster_centers_, second.cluster_centers_)


def test_fit_returns_self_and_predict_matches_the_fit(blobs):
    frame, truth = blobs
    model = blob_model()
    assert model.fit(frame) is model
    assert np.array_equal(model.predict(frame), model.labels_)
    distances = model.transform(frame)
    assert distances.shape == (len(frame), model.n_clusters_)
    assert np.array_equal(distances.argmin(axis=1), model.labels_)
    assert adjusted_rand_score(truth, model.labels_) > 0.95
    assert list(model.get_feature_names_out())[0] == "segmentationmodel0"


def test_clusters_are_numbered_by_size(blobs):
    frame, _ = blobs
    model = blob_model(n_clusters=4).fit(frame.iloc[:1000])
    sizes = np.bincount(model.labels_)
    assert list(sizes) == sorted(sizes, reverse=True)


def test_categorical_inputs_are_one_hot_encoded_from_a_frame(blobs):
    frame, _ = blobs
    frame = frame.assign(kind=np.where(frame["f1"] > 0, "a", "b"))
    model = blob_model(categorical_features=("kind",), n_clusters=4).fit(frame)
    assert model.predict(frame.assign(kind=None)).shape == (len(frame),)  # unknown/missing -> no category
    with pytest.raises(TypeError, match="DataFrame"):
        blob_model(categorical_features=("kind",)).fit(frame.to_numpy())
    with pytest.raises(FeatureSchemaError, match="fitted on"):
        model.predict(frame[["kind", *frame.columns[:-1]]])


def test_too_few_rows_for_the_segments_is_a_clear_error():
    with pytest.raises(ValueError, match="n_samples=3 is too few: at least 5 rows"):
        SegmentationModel(n_clusters=4).fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))


def test_missing_values_are_refused(blobs):
    frame, _ = blobs
    frame.loc[3, "f2"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        blob_model().fit(frame)
