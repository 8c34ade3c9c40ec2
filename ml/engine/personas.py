"""Naming clusters after personas: match cluster profiles against the persona catalogue.

Cluster numbers never decide a name. Each cluster's centroid profile (z-scores) is scored against every
persona's traits; an optimal one-to-one assignment gives each cluster its best persona. A persona's name is
a claim, so a cluster may take it only if its centroid shows every trait the persona requires (seed column
required_z: direction and size) on features the data can support (a clickstream of a few hours cannot show
loyalty or recency: segmentation_sufficiency). A cluster that fails, or whose best score is too weak, gets a
readable name from its own top traits instead, and naming_note says why.
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
    "naming_note",
]
# A cluster none of whose supported features is this far from the average is called what it is.
NEAR_AVERAGE_Z = 0.25  # "a quarter of a standard deviation" in the description below
NEAR_AVERAGE_NAME = "Near-Average Profile"

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


def missing_requirements(z: pd.Series, traits: pd.DataFrame, unsupported: frozenset[str]) -> list[str]:
    """The persona's required traits the centroid ``z`` does not show, in words (empty: it shows them all)."""
    if "required_z" not in traits.columns:
        return []
    missing = []
    for row in traits[traits["required_z"].notna()].itertuples(index=False):
        size = float(row.required_z)
        if row.feature_name in unsupported:
            missing.append(f"{row.feature_name} {row.direction}, which the data cannot support")
            continue
        value = float(z.get(row.feature_name, np.nan))
        shown = {
            "high": value >= size,
            "low": value <= -size,
            "moderate": abs(value) <= size,
        }[row.direction]
        if not shown:
            wanted = {"high": f">= {size:g}", "low": f"<= {-size:g}", "moderate": f"within +-{size:g}"}[row.direction]
            missing.append(f"{row.feature_name} z {wanted} (this segment {value:+.2f})")
    return missing


def fallback_name(z: pd.Series, labels: dict[str, str] | None, n_traits: int = 2) -> str:
    if z.abs().max() < NEAR_AVERAGE_Z:
        return NEAR_AVERAGE_NAME
    top = z.reindex(z.abs().sort_values(ascending=False, kind="stable").index).head(n_traits)
    parts = [f"{'High' if value > 0 else 'Low'} {humanise(name, labels)}" for name, value in top.items()]
    return " & ".join(parts)


def match_personas(
    centroids: pd.DataFrame,
    catalogue: pd.DataFrame,
    traits: pd.DataFrame,
    min_match_score: float,
    labels: dict[str, str] | None = None,
    unsupported: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """One persona per cluster.

    Parameters
    ----------
    centroids
        Long frame: cluster_id, feature_name, standardised_value.
    catalogue
        persona_name, description, marketing_strategy (one segmentation's rows).
    traits
        persona_name, feature_name, direction, weight and optionally required_z.
    unsupported
        Features the data cannot support: they neither score, nor show a required trait, nor name a cluster.
    """
    wide = centroids.pivot(index="cluster_id", columns="feature_name", values="standardised_value").fillna(0.0)
    wide = wide.drop(columns=[c for c in wide.columns if c in unsupported])
    # Order clusters by their profile, not their number, so that renumbering cannot change the outcome.
    wide = wide.loc[sorted(wide.index, key=lambda c: tuple(np.round(wide.loc[c].to_numpy(), 9)))]
    personas = sorted(catalogue["persona_name"].unique())
    score = np.zeros((len(wide), len(personas)))
    unchecked = np.zeros((len(wide), len(personas)))  # the score before required traits are checked
    unmet: dict[tuple[int, str], list[str]] = {}
    for j, persona in enumerate(personas):
        persona_traits = traits[traits["persona_name"] == persona]
        for i, cluster in enumerate(wide.index):
            missing = missing_requirements(wide.loc[cluster], persona_traits, unsupported)
            unmet[(int(cluster), persona)] = missing
            unchecked[i, j] = trait_scores(wide.loc[cluster], persona_traits) if len(persona_traits) else -np.inf
            score[i, j] = unchecked[i, j] if not missing else -np.inf
    assigned: dict[int, tuple[str, float]] = {}
    if personas:
        rows, cols = linear_sum_assignment(np.nan_to_num(score, neginf=-1e9), maximize=True)
        assigned = {int(wide.index[r]): (personas[c], float(score[r, c])) for r, c in zip(rows, cols, strict=True)}

    details = catalogue.set_index("persona_name")
    records, used_names = [], set()
    record: tuple[str, float | None, bool, str, str, str]
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
                f"matches {name} (score {match:.2f}) and shows every trait it requires",
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
            if name.startswith(NEAR_AVERAGE_NAME):
                description = (
                    "Close to the average on every feature the data supports (no trait a quarter of a standard "
                    "deviation or more from it): a large group without a distinct profile."
                )
            else:
                description = (
                    "Customers with "
                    + fallback_name(wide.loc[cluster], labels, 3).lower().replace(" & ", ", ")
                    + " compared with the average."
                )
            best = match if np.isfinite(match) else None
            record = (
                name,
                best,
                True,
                description,
                FALLBACK_STRATEGY,
                _why_not_named(cluster, score, unchecked, wide, personas, unmet, min_match_score),
            )
        used_names.add(record[0])
        records.append((int(cluster), *record))
    result = pd.DataFrame(records, columns=PERSONA_COLUMNS)
    result["cluster_id"] = result["cluster_id"].astype("int32")
    return result.sort_values("cluster_id").reset_index(drop=True)


def _why_not_named(
    cluster: int,
    score: np.ndarray,
    unchecked: np.ndarray,
    wide: pd.DataFrame,
    personas: list[str],
    unmet: dict[tuple[int, str], list[str]],
    min_match_score: float,
) -> str:
    """Why a cluster has no catalogue name: the closest persona and what it lacks."""
    if not personas:
        return "no catalogue persona for this segmentation"
    row = list(wide.index).index(cluster)
    shown = [j for j in range(len(personas)) if np.isfinite(score[row, j])]
    if shown:
        best = max(shown, key=lambda j: score[row, j])
        return (
            f"closest catalogue persona {personas[best]} scores {score[row, best]:.2f}, below the minimum "
            f"{min_match_score:g}, or was taken by a closer segment"
        )
    closest = personas[int(np.argmax(unchecked[row]))]
    return f"no catalogue persona's required traits are shown; the closest, {closest}, would need " + "; ".join(
        unmet[(int(cluster), closest)]
    )
