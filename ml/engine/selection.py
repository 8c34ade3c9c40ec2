"""Choosing the number of segments with evidence: a sweep over k and a documented rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from threadpoolctl import threadpool_limits

from ml.engine.stability import best_jaccard

K_SELECTION_COLUMNS = [
    "k",
    "inertia",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "stability_ari",
    "stability_ari_std",
    "min_cluster_jaccard",
]


def sweep_k(
    points: np.ndarray,
    k_min: int,
    k_max: int,
    random_state: int,
    n_init: int = 10,
    n_bootstrap: int = 5,
    silhouette_sample_size: int = 2_000,
) -> pd.DataFrame:
    """Fit K-Means for every k in the range and record the evidence for each.

    Stability is the mean adjusted Rand index between the fit on all ``points`` and fits on
    ``n_bootstrap`` bootstrap resamples, each resample's model labelling all points. A k whose segments
    move when the sample moves is not a k to build marketing on. The same resamples give each cluster's
    bootstrap Jaccard (clusterboot, on the rows each resample drew); ``min_cluster_jaccard`` is the least
    stable cluster's, so a k with one unstable segment among stable ones shows it.
    """
    # The sweep fits ~200 K-Means on at most a few thousand 3-D points: OpenMP's thread start-up costs more
    # than it saves at that size (measured: 2.9 s with one thread against 4.4 s with two for the three
    # bundled sources), so the sweep runs single-threaded; the final fit on the whole sample does not.
    with threadpool_limits(limits=1):
        return _sweep(points, k_min, k_max, random_state, n_init, n_bootstrap, silhouette_sample_size)


def _sweep(
    points: np.ndarray,
    k_min: int,
    k_max: int,
    random_state: int,
    n_init: int,
    n_bootstrap: int,
    silhouette_sample_size: int,
) -> pd.DataFrame:
    n_rows = len(points)
    k_max = min(k_max, n_rows - 1)
    rng = np.random.default_rng(random_state)
    bootstrap_indices = [rng.integers(0, n_rows, n_rows) for _ in range(n_bootstrap)]
    rows = []
    for k in range(k_min, k_max + 1):
        reference = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(points)
        labels = reference.labels_
        if len(np.unique(labels)) < 2:
            continue
        silhouette = silhouette_score(
            points, labels, sample_size=min(silhouette_sample_size, n_rows), random_state=random_state
        )
        agreements, jaccards = [], []
        clusters = np.unique(labels)
        for b, indices in enumerate(bootstrap_indices):
            # Fewer restarts per bootstrap fit: stability asks whether the partition moves, not for the
            # best of many starts, and this is the costliest loop of a fit.
            resampled = KMeans(n_clusters=k, n_init=max(1, n_init // 3), random_state=random_state + 1 + b)
            predicted = resampled.fit(points[indices]).predict(points)
            agreements.append(adjusted_rand_score(labels, predicted))
            drawn = np.unique(indices)
            jaccards.append(best_jaccard(labels[drawn], predicted[drawn], clusters))
        rows.append(
            {
                "k": k,
                "inertia": float(reference.inertia_),
                "silhouette": float(silhouette),
                "calinski_harabasz": float(calinski_harabasz_score(points, labels)),
                "davies_bouldin": float(davies_bouldin_score(points, labels)),
                "stability_ari": float(np.mean(agreements)) if agreements else float("nan"),
                "stability_ari_std": float(np.std(agreements)) if agreements else float("nan"),
                "min_cluster_jaccard": float(np.min(np.mean(jaccards, axis=0))) if jaccards else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=K_SELECTION_COLUMNS)


@dataclass(frozen=True)
class KChoice:
    k: int
    rule: str


def choose_k(table: pd.DataFrame, n_clusters: int | None = None, min_stability: float = 0.75) -> KChoice:
    """The documented rule (docs/modelling.md): a majority vote of three indices among stable k.

    1. ``n_clusters`` set by the user wins.
    2. Candidates: the k whose every cluster is stable (bootstrap Jaccard of its least stable cluster at
       least ``min_stability``, clusterboot's "stable"); if no k has that, the k whose partition as a whole
       is stable (mean bootstrap ARI at least ``min_stability``); all k if none. The rule says which.
    3. Each index votes for its best candidate: silhouette (highest), Calinski-Harabasz (highest),
       Davies-Bouldin (lowest). The k with most votes wins; a tie goes to the best mean rank over the
       three indices, then to the smaller k. One index alone can drift (Davies-Bouldin keeps falling with k
       on diffuse data, Calinski-Harabasz favours small k); agreement of two is harder to get by accident.
    """
    if n_clusters is not None:
        return KChoice(n_clusters, f"k={n_clusters} set by the n_clusters setting")
    if table.empty:
        raise ValueError("the k sweep produced no candidate: too few distinct rows to segment")
    pool, stable_note = _candidates(table, min_stability)
    pool = pool.set_index("k")
    votes = pd.Series(0, index=pool.index)
    voters = {
        "silhouette": pool["silhouette"].idxmax(),
        "Calinski-Harabasz": pool["calinski_harabasz"].idxmax(),
        "Davies-Bouldin": pool["davies_bouldin"].idxmin(),
    }
    for k in voters.values():
        votes[k] += 1
    mean_rank = (
        pool["silhouette"].rank(ascending=False)
        + pool["calinski_harabasz"].rank(ascending=False)
        + pool["davies_bouldin"].rank(ascending=True)
    ) / 3
    order = pd.DataFrame({"votes": votes, "mean_rank": mean_rank, "candidate": pool.index})
    ranked = order.sort_values(["votes", "mean_rank", "candidate"], ascending=[False, True, True])
    chosen = int(ranked["candidate"].iloc[0])
    supporters = [name for name, k in voters.items() if k == chosen]
    row = table.set_index("k").loc[chosen]
    return KChoice(
        chosen,
        f"k={chosen}: best by {', '.join(supporters) or 'mean rank'} "
        f"({len(supporters)} of 3 indices) among {stable_note}; silhouette {row['silhouette']:.3f}, "
        f"Davies-Bouldin {row['davies_bouldin']:.3f}, stability ARI {row['stability_ari']:.3f}, "
        f"least stable segment's Jaccard {row['min_cluster_jaccard']:.2f}",
    )


def _candidates(table: pd.DataFrame, min_stability: float) -> tuple[pd.DataFrame, str]:
    every_segment = table[table["min_cluster_jaccard"] >= min_stability]
    if len(every_segment):
        return every_segment, f"k whose every segment is stable (bootstrap Jaccard >= {min_stability})"
    partition = table[table["stability_ari"] >= min_stability]
    if len(partition):
        return partition, (
            f"k with stability ARI >= {min_stability} (no k had every segment's bootstrap Jaccard >= {min_stability})"
        )
    return table, f"all k (no k reached stability {min_stability})"
