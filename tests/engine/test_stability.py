"""Per-cluster bootstrap Jaccard (clusterboot): real groups score high, an arbitrary cut of one group low."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from ml.engine.stability import cluster_stability, stability_band


def blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    return np.vstack([rng.normal(centre, 1.0, size=(300, 2)) for centre in centres])


def test_well_separated_groups_are_highly_stable():
    points = blobs()
    labels = KMeans(n_clusters=3, n_init=10, random_state=0).fit_predict(points)
    table = cluster_stability(points, labels, random_state=1, n_bootstrap=10)
    assert len(table) == 3 and (table["bootstrap_jaccard"] >= 0.95).all(), table
    assert set(table["stability_band"]) == {"highly stable"}


def test_a_cut_through_one_round_group_is_flagged():
    # One round group cut into five: the borders move from resample to resample.
    points = np.random.default_rng(3).normal(0.0, 1.0, size=(900, 2))
    labels = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(points)
    table = cluster_stability(points, labels, random_state=1, n_bootstrap=10)
    separated = cluster_stability(blobs(), KMeans(3, n_init=10, random_state=0).fit_predict(blobs()), 1, 10)
    assert table["bootstrap_jaccard"].mean() < separated["bootstrap_jaccard"].mean() - 0.1
    assert (table["bootstrap_jaccard"] < 0.85).any(), table


def test_same_seed_same_figures_and_the_bands():
    points = blobs(1)
    labels = KMeans(n_clusters=3, n_init=10, random_state=0).fit_predict(points)
    first = cluster_stability(points, labels, random_state=7, n_bootstrap=5)
    second = cluster_stability(points, labels, random_state=7, n_bootstrap=5)
    assert first.equals(second)
    assert [stability_band(v) for v in (0.9, 0.8, 0.65, 0.3)] == [
        "highly stable",
        "stable",
        "doubtful",
        "not to be trusted",
    ]
