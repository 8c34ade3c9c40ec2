import numpy as np
import pandas as pd
import pytest

from ml.accumulators import CentroidAccumulator, Fingerprint
from ml.config import ConfigurationError
from ml.engine import fit_segmentation
from ml.feature_source import FrameSource
from ml.fitting import SegmentationModel
from ml.preprocessing import FeatureSchemaError
from tests.ml.conftest import BLOB_FEATURES, blob_config, blob_frame


def test_same_data_and_seed_give_identical_labels(blobs, tmp_path):
    frame, _ = blobs
    _, first, sidecar_one = fit_segmentation(frame, blob_config(), str(tmp_path / "a"))
    _, second, sidecar_two = fit_segmentation(frame, blob_config(), str(tmp_path / "b"))
    pd.testing.assert_frame_equal(first, second)
    assert sidecar_one["model_version"] == sidecar_two["model_version"]
    assert sidecar_one["artifact_sha256"] == sidecar_two["artifact_sha256"]


def test_row_order_does_not_change_labels(blobs):
    frame, _ = blobs
    config = blob_config(n_clusters=4)
    original = SegmentationModel(config).fit(frame).assign(frame).set_index("entity_id")
    shuffled = frame.sample(frac=1.0, random_state=3)
    reordered = SegmentationModel(config).fit(shuffled).assign(frame).set_index("entity_id")
    pd.testing.assert_series_equal(original["cluster_id"], reordered["cluster_id"])


def test_excluded_rows_are_not_fitted_but_are_scored(blobs):
    frame, _ = blobs
    frame = frame.copy()
    frame.loc[:9, "f1"] = 1e6  # absurd values that would drag a centroid if fitted
    frame.loc[:9, "is_excluded_from_fit"] = True
    model = SegmentationModel(blob_config(n_clusters=4)).fit(frame)
    labels = model.assign(frame)
    assert model.n_rows_available_ == len(frame) - 10
    assert len(labels) == len(frame)
    assert labels.loc[:9, "is_distance_outlier"].all()
    assert np.abs(model.cluster_centers_).max() < 100


def test_fitting_on_a_sample_assigns_everyone(blobs):
    frame, truth = blob_frame(n_rows=3000, centers=4)
    model = SegmentationModel(blob_config(fit_sample_size=500, sweep_sample_size=400)).fit(frame)
    labels = model.assign(frame)
    assert model.n_rows_fitted_ == 500
    assert len(labels) == 3000
    assert set(labels.columns) >= {
        "cluster_id",
        "distance_to_centroid",
        "margin_to_next_centroid",
        "pc1",
        "pc2",
        "pc3",
    }
    assert (labels["margin_to_next_centroid"] >= 0).all()


def test_feature_schema_mismatch_names_the_column(blobs):
    frame, _ = blobs
    with pytest.raises(FeatureSchemaError, match="missing column.*f3"):
        SegmentationModel(blob_config()).fit(frame.drop(columns=["f3"]))
    model = SegmentationModel(blob_config(n_clusters=3)).fit(frame)
    broken = frame.astype({"f2": object})
    broken.loc[5, "f2"] = "n/a"
    with pytest.raises(FeatureSchemaError, match=r"f2 must be numeric.*'n/a'"):
        model.assign(broken)
    with pytest.raises(FeatureSchemaError, match="f4 has 1 missing"):
        model.assign(frame.assign(f4=frame["f4"].mask(frame.index == 3)))


def test_too_few_rows_for_the_segments_is_a_clear_error(blobs):
    frame, _ = blobs
    with pytest.raises(ValueError, match="fewer than the 6 needed for 5 segments"):
        SegmentationModel(blob_config(n_clusters=5)).fit(frame.head(4))


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigurationError, match="n_clusters"):
        blob_config(n_clusters="many")
    with pytest.raises(ConfigurationError, match="k_min"):
        blob_config(k_min=5, k_max=3)
    assert blob_config(n_clusters="None").n_clusters is None
    assert blob_config(n_clusters="4").n_clusters == 4


def _fingerprint(frame: pd.DataFrame, batch_rows: int) -> str:
    fingerprint = Fingerprint(["entity_id", *BLOB_FEATURES])
    for batch in FrameSource(frame, blob_config()).batches(batch_rows):
        fingerprint.add(batch)
    return fingerprint.hexdigest()


def test_fingerprint_ignores_row_order_and_batching_but_not_values(blobs):
    frame, _ = blobs
    assert _fingerprint(frame, 100) == _fingerprint(frame.iloc[::-1], 333) == _fingerprint(frame, 10_000)
    changed = frame.copy()
    changed.loc[0, "f1"] += 1e-9
    assert _fingerprint(frame, 100) != _fingerprint(changed, 100)


def test_streamed_centroids_match_a_direct_computation(blobs):
    frame, _ = blobs
    frame = frame.copy()
    frame.loc[:4, "is_excluded_from_fit"] = True
    model = SegmentationModel(blob_config(n_clusters=4)).fit(frame)
    labels = model.assign(frame)["cluster_id"].to_numpy()
    accumulator = CentroidAccumulator(BLOB_FEATURES, 4)
    fitted = ~frame["is_excluded_from_fit"].to_numpy()
    for start in range(0, len(frame), 250):  # batches, as the engine streams them
        part = slice(start, start + 250)
        accumulator.add(frame.iloc[part], labels[part], fitted[part])
    streamed = accumulator.result().set_index(["cluster_id", "feature_name"])
    data = frame.loc[fitted, list(BLOB_FEATURES)]
    means = data.groupby(labels[fitted]).mean()
    z = (means - data.mean()) / data.std(ddof=0)
    for cluster in range(4):
        for feature in BLOB_FEATURES:
            assert streamed.loc[(cluster, feature), "mean_value"] == pytest.approx(
                means.loc[cluster, feature]
            )
            assert streamed.loc[(cluster, feature), "standardised_value"] == pytest.approx(
                z.loc[cluster, feature]
            )


def test_engine_streams_batches_to_the_same_labels_as_one_batch(blobs, tmp_path):
    frame, _ = blobs
    _, one, _ = fit_segmentation(frame, blob_config(), str(tmp_path / "a"), batch_rows=100_000)
    _, many, _ = fit_segmentation(frame, blob_config(), str(tmp_path / "b"), batch_rows=97)
    pd.testing.assert_frame_equal(one, many)
