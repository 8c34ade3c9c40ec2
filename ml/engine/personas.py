"""Naming clusters after personas: match cluster profiles against the persona catalogue.

Cluster numbers never decide a name. Each cluster's centroid profile (z-scores) is scored against every
persona's traits; an optimal one-to-one assignment gives each cluster its best persona, and a cluster
whose best score is too weak gets a readable name from its own top traits instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

PERSONA_COLUMNS = [
    "cluster_id",
    "persona_name",
    "match_score",
    "is_fallback_name",
    "description",
    "marketing_strategy",
]

FALLBACK_STRATEGY = (
    "No catalogue persona fits this segment well: review its profile and add a persona to the persona_catalogue seed."
)


def trait_scores(z: pd.Series, traits: pd.DataFrame) -> float:
    """Weighted mean of the persona's trait scores: z for high, -z for low, 0.5 - |z| for moderate.

    A moderate trait scores at most 0.5 (a centroid exactly at the average), as much as a "high" trait
    half a standard deviation above it: being average is weaker evidence than standing out.
    """
    values = z.reindex(traits["feature_name"]).fillna(0.0).to_numpy()
    direction = traits["direction"].to_numpy()
    scores = np.where(direction == "high", values, np.where(direction == "low", -values, 0.5 - np.abs(values)))
    weights = traits["weight"].to_numpy(dtype=float)
    return float(np.sum(weights * scores) / np.sum(weights))


def humanise(feature_name: str, labels: dict[str, str] | None = None) -> str:
    if labels and feature_name in labels:
        return labels[feature_name]
    return feature_name.replace("_", " ")


def fallback_name(z: pd.Series, labels: dict[str, str] | None, n_traits: int = 2) -> str:
    top = z.reindex(z.abs().sort_values(ascending=False, kind="stable").index).head(n_traits)
    parts = [f"{'High' if value > 0 else 'Low'} {humanise(name, labels)}" for name, value in top.items()]
    return " & ".join(parts)


def match_personas(
    centroids: pd.DataFrame,
    catalogue: pd.DataFrame,
    traits: pd.DataFrame,
    min_match_score: float,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One persona per cluster.

    Parameters
    ----------
    centroids
        Long frame: cluster_id, feature_name, standardised_value.
    catalogue
        persona_name, description, marketing_strategy (one segmentation's rows).
    traits
        persona_name, feature_name, direction, weight.
    """
    wide = centroids.pivot(index="cluster_id", columns="feature_name", values="standardised_value").fillna(0.0)
    # Order clusters by their profile, not their number, so that renumbering cannot change the outcome.
    wide = wide.loc[sorted(wide.index, key=lambda c: tuple(np.round(wide.loc[c].to_numpy(), 9)))]
    personas = sorted(catalogue["persona_name"].unique())
    score = np.zeros((len(wide), len(personas)))
    for j, persona in enumerate(personas):
        persona_traits = traits[traits["persona_name"] == persona]
        for i, cluster in enumerate(wide.index):
            score[i, j] = trait_scores(wide.loc[cluster], persona_traits) if len(persona_traits) else -np.inf
    assigned: dict[int, tuple[str, float]] = {}
    if personas:
        rows, cols = linear_sum_assignment(np.nan_to_num(score, neginf=-1e9), maximize=True)
        assigned = {int(wide.index[r]): (personas[c], float(score[r, c])) for r, c in zip(rows, cols, strict=True)}

    details = catalogue.set_index("persona_name")
    records, used_names = [], set()
    record: tuple[str, float | None, bool, str, str]
    for cluster in wide.index:
        persona, match = assigned.get(int(cluster), (None, float("-inf")))
        if persona is not None and match >= min_match_score:
            name = persona
            record = (
                name,
                match,
                False,
                details.at[name, "description"],
                details.at[name, "marketing_strategy"],
            )
        else:
            n_traits = 2
            name = fallback_name(wide.loc[cluster], labels, n_traits)
            while name in used_names and n_traits < wide.shape[1]:
                n_traits += 1
                name = fallback_name(wide.loc[cluster], labels, n_traits)
            base, copy = name, 2
            while name in used_names:  # identical profiles: number the names rather than repeat one
                name, copy = f"{base} ({copy})", copy + 1
            description = (
                "Customers with "
                + fallback_name(wide.loc[cluster], labels, 3).lower().replace(" & ", ", ")
                + " compared with the average."
            )
            best = match if np.isfinite(match) else None
            record = (name, best, True, description, FALLBACK_STRATEGY)
        used_names.add(record[0])
        records.append((int(cluster), *record))
    result = pd.DataFrame(records, columns=PERSONA_COLUMNS)
    result["cluster_id"] = result["cluster_id"].astype("int32")
    return result.sort_values("cluster_id").reset_index(drop=True)
