import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.fitting import SegmentationModel
from ml.selection import choose_k
from tests.ml.conftest import blob_config, blob_frame


@pytest.mark.parametrize("true_k", [3, 4, 6])
def test_k_choice_recovers_true_k_on_blobs(true_k):
    frame, truth = blob_frame(n_rows=1500, centers=true_k, seed=true_k)
    model = SegmentationModel(blob_config()).fit(frame)
    assert model.n_clusters_ == true_k, model.k_selection_
    labels = model.assign(frame)["cluster_id"]
    assert adjusted_rand_score(truth, labels) > 0.95


def test_sweep_records_every_metric_per_k(blobs):
    frame, _ = blobs
    model = SegmentationModel(blob_config(k_min=2, k_max=6)).fit(frame)
    table = model.k_selection_
    assert list(table["k"]) == [2, 3, 4, 5, 6]
    assert (
        table[["inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability_ari"]]
        .notna()
        .all()
        .all()
    )
    assert table["inertia"].is_monotonic_decreasing


def test_n_clusters_overrides_the_rule(blobs):
    frame, _ = blobs
    model = SegmentationModel(blob_config(n_clusters=5)).fit(frame)
    assert model.n_clusters_ == 5
    assert "set by the n_clusters" in model.k_rule_


def test_rule_prefers_stable_k_with_best_silhouette():
    table = pd.DataFrame(
        {
            "k": [2, 3, 4],
            "inertia": [10.0, 8.0, 7.0],
            "silhouette": [0.60, 0.55, 0.40],
            "calinski_harabasz": [1.0, 1.0, 1.0],
            "davies_bouldin": [1.0, 1.0, 1.0],
            "stability_ari": [0.50, 0.90, 0.95],
            "stability_ari_std": [0.0, 0.0, 0.0],
        }
    )
    # k=2 has the best silhouette but is unstable, so the stable k=3 wins.
    assert choose_k(table, blob_config()).k == 3
    # Near-tie on silhouette (within 0.01): the lower Davies-Bouldin decides.
    table.loc[:, "stability_ari"] = 0.9
    table.loc[table["k"] == 2, "silhouette"] = 0.555
    table.loc[table["k"] == 2, "davies_bouldin"] = 1.5
    assert choose_k(table, blob_config()).k == 3
    assert np.isfinite(table["silhouette"]).all()
