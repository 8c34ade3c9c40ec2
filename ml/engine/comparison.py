"""Other clustering algorithms as evidence for (or against) the K-Means segments.

On the same points K-Means clusters (scaled, projected), three algorithms with other assumptions each find
their own groups: a Gaussian mixture (elliptical groups of their own sizes; number of components by BIC),
Ward's hierarchical clustering (cut at the K-Means k) and HDBSCAN (density: finds its own number of groups
and calls the rest noise). Their agreement with the model's labels (adjusted Rand index: 1 the same
partition, 0 what chance gives) says whether the segments are a feature of the data or of the algorithm.
When the model itself is a Gaussian mixture (registry `algorithm: gaussian_mixture`), K-Means with the
same k takes the mixture's place in the comparison. When
HDBSCAN finds one group and calls most points noise, the data has no dense groups to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

# Ward's linkage needs all pairwise distances: beyond this many points it runs on a seeded subsample.
WARD_MAX_POINTS = 5_000
HDBSCAN_MAX_POINTS = 20_000


def _subsample(n_rows: int, limit: int, random_state: int) -> np.ndarray:
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(random_state).choice(n_rows, limit, replace=False))


def gaussian_mixture_by_bic(points: np.ndarray, k_range: range, random_state: int) -> GaussianMixture:
    """The Gaussian mixture (full covariances) whose number of components has the lowest BIC."""
    fits = [
        GaussianMixture(n_components=k, covariance_type="full", n_init=2, random_state=random_state).fit(points)
        for k in k_range
    ]
    return min(fits, key=lambda fit: fit.bic(points))


def compare_algorithms(
    points: np.ndarray, model_labels: np.ndarray, random_state: int, k_max: int = 10, algorithm: str = "kmeans"
) -> pd.DataFrame:
    """One row per algorithm: its number of groups, the share of points it calls noise, and its ARI with
    the model's labels on the points it ran on (the model's own algorithm first, ARI 1)."""
    labels = np.asarray(model_labels)
    k = len(np.unique(labels))
    rows = [{"algorithm": algorithm, "groups": k, "noise_share": 0.0, "ari_with_model": 1.0, "points": len(points)}]

    if algorithm == "gaussian_mixture":
        other = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(points)
        name, groups, other_labels = "kmeans", k, other.labels_
    else:
        mixture = gaussian_mixture_by_bic(points, range(2, min(k_max, len(points) - 1) + 1), random_state)
        name, groups, other_labels = "gaussian_mixture", int(mixture.n_components), mixture.predict(points)
    rows.append(
        {
            "algorithm": name,
            "groups": groups,
            "noise_share": 0.0,
            "ari_with_model": float(adjusted_rand_score(labels, other_labels)),
            "points": len(points),
        }
    )

    ward_rows = _subsample(len(points), WARD_MAX_POINTS, random_state)
    ward_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(points[ward_rows])
    rows.append(
        {
            "algorithm": "ward",
            "groups": k,
            "noise_share": 0.0,
            "ari_with_model": float(adjusted_rand_score(labels[ward_rows], ward_labels)),
            "points": len(ward_rows),
        }
    )

    density_rows = _subsample(len(points), HDBSCAN_MAX_POINTS, random_state)
    min_cluster_size = max(5, len(density_rows) // 50)
    density_labels = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(points[density_rows])
    clustered = density_labels >= 0
    rows.append(
        {
            "algorithm": "hdbscan",
            "groups": int(len(np.unique(density_labels[clustered]))),
            "noise_share": float(1 - clustered.mean()),
            # On the points it placed: noise is not a group to agree with.
            "ari_with_model": float(adjusted_rand_score(labels[density_rows][clustered], density_labels[clustered]))
            if clustered.any()
            else 0.0,
            "points": len(density_rows),
        }
    )
    return pd.DataFrame(rows)
