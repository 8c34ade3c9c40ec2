"""How stable each cluster is: bootstrap Jaccard similarity, as Hennig's clusterboot (R package fpc) does.

For each of ``n_bootstrap`` resamples (rows drawn with replacement), K-Means with the same k is fitted on
the resample. Each cluster of the fitted model is compared with every cluster of the resample's fit on the
rows both contain, by Jaccard similarity (shared rows / rows in either); its best match is its similarity
for that resample, 0 when none of its rows was drawn. The mean over the resamples is the cluster's
stability. Hennig's reading: at least 0.85 highly stable, 0.75 to 0.85 stable, 0.6 to 0.75 doubtful (a
pattern, but not where its borders lie), below 0.6 not to be trusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

HIGHLY_STABLE = 0.85
STABLE = 0.75
DOUBTFUL = 0.6


def stability_band(jaccard: float) -> str:
    if jaccard >= HIGHLY_STABLE:
        return "highly stable"
    if jaccard >= STABLE:
        return "stable"
    if jaccard >= DOUBTFUL:
        return "doubtful"
    return "not to be trusted"


def best_jaccard(original: np.ndarray, resampled: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """For each cluster of ``original``, its best Jaccard similarity with any cluster of ``resampled``
    (labels of the same rows); 0 for a cluster with no row here, as clusterboot counts an undrawn cluster."""
    similarities = np.zeros(len(clusters))
    others = np.unique(resampled)
    for i, cluster in enumerate(clusters):
        members = original == cluster
        if not members.any():
            continue
        for other in others:
            matched = resampled == other
            union = np.count_nonzero(members | matched)
            similarities[i] = max(similarities[i], np.count_nonzero(members & matched) / union)
    return similarities


def cluster_stability(
    points: np.ndarray,
    labels: np.ndarray,
    random_state: int,
    n_bootstrap: int = 20,
    n_init: int = 3,
) -> pd.DataFrame:
    """One row per cluster of ``labels``: mean, lowest and standard deviation of its bootstrap Jaccard, and
    its band. ``points`` are the model's inputs as it clusters them (scaled, projected)."""
    labels = np.asarray(labels)
    clusters = np.unique(labels)
    k = len(clusters)
    rng = np.random.default_rng(random_state)
    similarities = np.zeros((n_bootstrap, k))
    for b in range(n_bootstrap):
        drawn = np.unique(rng.integers(0, len(points), len(points)))
        resampled = KMeans(n_clusters=k, n_init=n_init, random_state=random_state + 1 + b).fit(points[drawn])
        similarities[b] = best_jaccard(labels[drawn], resampled.labels_, clusters)
    mean = similarities.mean(axis=0)
    return pd.DataFrame(
        {
            "cluster_id": clusters.astype(int),
            "bootstrap_jaccard": mean,
            "bootstrap_jaccard_min": similarities.min(axis=0),
            "bootstrap_jaccard_std": similarities.std(axis=0),
            "stability_band": [stability_band(value) for value in mean],
            "n_bootstrap": n_bootstrap,
        }
    )
