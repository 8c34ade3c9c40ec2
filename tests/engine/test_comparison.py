"""Other algorithms as evidence: they agree on real groups and disagree, or find none, without structure."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from ml.engine.comparison import compare_algorithms


def test_real_groups_are_found_by_every_algorithm():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 6.0]])
    points = np.vstack([rng.normal(centre, 0.8, size=(400, 3)) for centre in centres])
    labels = KMeans(n_clusters=4, n_init=10, random_state=0).fit_predict(points)
    table = compare_algorithms(points, labels, random_state=0).set_index("algorithm")
    assert list(table.index) == ["kmeans", "gaussian_mixture", "ward", "hdbscan"]
    assert table.loc["gaussian_mixture", "groups"] == 4 and table.loc["hdbscan", "groups"] == 4
    assert (table["ari_with_model"] > 0.9).all(), table


def test_no_structure_gives_low_agreement_or_no_groups():
    points = np.random.default_rng(1).uniform(0, 1, size=(1500, 3))
    labels = KMeans(n_clusters=4, n_init=10, random_state=0).fit_predict(points)
    table = compare_algorithms(points, labels, random_state=0).set_index("algorithm")
    hdbscan = table.loc["hdbscan"]
    # Uniform noise has no dense groups: HDBSCAN finds at most one group or calls much of it noise.
    assert hdbscan["groups"] <= 2 or hdbscan["noise_share"] > 0.3, table
    assert table.loc["gaussian_mixture", "ari_with_model"] < 0.9, table
