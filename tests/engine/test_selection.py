import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.engine.selection import choose_k
from tests.engine.conftest import blob_frame, blob_model


@pytest.mark.parametrize("true_k", [3, 4, 6])
def test_k_choice_recovers_true_k_on_blobs(true_k):
    frame, truth = blob_frame(n_rows=1500, centers=true_k, seed=true_k)
    model = blob_model().fit(frame)
    assert model.n_clusters_ == true_k, model.k_selection_
    labels = model.predict(frame)
    assert adjusted_rand_score(truth, labels) > 0.95


def test_sweep_records_every_metric_per_k(blobs):
    frame, _ = blobs
    model = blob_model(k_min=2, k_max=6).fit(frame)
    table = model.k_selection_
    assert list(table["k"]) == [2, 3, 4, 5, 6]
    assert table[["inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability_ari"]].notna().all().all()
    assert table["inertia"].is_monotonic_decreasing


def test_n_clusters_overrides_the_rule(blobs):
    frame, _ = blobs
    model = blob_model(n_clusters=5).fit(frame)
    assert model.n_clusters_ == 5
    assert "set by the n_clusters" in model.k_rule_


def _table(silhouette, calinski_harabasz, davies_bouldin, stability, min_jaccard=(0.9, 0.9, 0.9)):
    return pd.DataFrame(
        {
            "k": [2, 3, 4],
            "inertia": [10.0, 8.0, 7.0],
            "silhouette": silhouette,
            "calinski_harabasz": calinski_harabasz,
            "davies_bouldin": davies_bouldin,
            "stability_ari": stability,
            "stability_ari_std": [0.0, 0.0, 0.0],
            "min_cluster_jaccard": list(min_jaccard),
        }
    )


def test_rule_is_a_majority_vote_among_stable_k():
    # Silhouette alone would take k=2, but CH and DB agree on k=3.
    table = _table([0.352, 0.349, 0.32], [1300, 1389, 1292], [1.11, 1.05, 1.11], [0.95, 0.97, 0.87])
    choice = choose_k(table)
    assert choice.k == 3
    assert "Calinski-Harabasz, Davies-Bouldin" in choice.rule


def test_rule_ignores_unstable_k():
    # k=2 wins every index but moves under resampling, so the stable k are compared instead.
    table = _table([0.60, 0.55, 0.40], [900, 800, 700], [0.5, 0.9, 1.0], [0.50, 0.90, 0.95], [0.5, 0.8, 0.8])
    assert choose_k(table).k == 3


def test_rule_prefers_k_whose_every_segment_is_stable_and_says_so():
    # Every k is stable as a partition (ARI), but k=2 and k=4 each have one segment that falls apart under
    # resampling (Jaccard below 0.75): k=3 is the only k whose every segment is stable.
    table = _table([0.60, 0.50, 0.55], [900, 800, 850], [0.5, 0.9, 0.6], [0.95, 0.90, 0.92], [0.70, 0.88, 0.62])
    choice = choose_k(table)
    assert choice.k == 3
    assert "every segment is stable" in choice.rule
    assert "Jaccard 0.88" in choice.rule


def test_rule_says_when_no_k_has_every_segment_stable():
    table = _table([0.60, 0.50, 0.55], [900, 800, 850], [0.5, 0.9, 0.6], [0.95, 0.90, 0.92], [0.70, 0.6, 0.62])
    choice = choose_k(table)
    assert choice.k == 2
    assert "no k had every segment's bootstrap Jaccard >= 0.75" in choice.rule


def test_rule_breaks_a_three_way_split_by_mean_rank_then_smaller_k():
    table = _table([0.50, 0.40, 0.45], [100, 300, 200], [0.9, 0.8, 0.7], [0.9, 0.9, 0.9])
    # Votes: silhouette k=2, CH k=3, DB k=4. Mean ranks: k=2 (1+3+3)/3, k=3 (3+1+2)/3, k=4 (2+2+1)/3.
    assert choose_k(table).k == 4
    assert np.isfinite(table["silhouette"]).all()
