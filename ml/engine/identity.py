"""Stable persona ids: a refit's clusters inherit the ids of the previous model's personas they resemble.

Cluster numbers and even names may change when a model is refitted; a persona id does not while it
describes the same group. The new clusters' fit profiles (z-scores of the profile features) are matched
one-to-one to the previous active model's (optimal assignment on root-mean-square distance); a pair
closer than ``max_distance`` keeps the old id, any other new cluster gets a new id ("appeared"), and an
old persona left without a partner is recorded as "vanished".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Identity:
    persona_id: str
    status: str  # "kept" or "appeared"
    distance: float | None  # to the previous persona it kept the id of


def persona_id(prefix: str, number: int) -> str:
    return f"{prefix}-p{number:02d}"


def id_number(identifier: str) -> int:
    return int(identifier.rsplit("-p", 1)[1])


def assign_ids(
    new: pd.DataFrame,
    previous: pd.DataFrame | None,
    prefix: str,
    max_distance: float,
    highest_used: int = 0,
) -> tuple[dict[int, Identity], list[str]]:
    """Ids for the clusters of ``new`` (cluster x feature z-scores).

    ``previous`` has one row per persona of the previous active model: index persona_id, columns the
    features. ``highest_used`` is the highest id number ever given in this segmentation, so that an id
    that vanished is never given to another group. Returns the identity of each new cluster and the
    previous persona ids that vanished.
    """
    clusters = list(new.index)
    if previous is None or previous.empty:
        return {
            int(c): Identity(persona_id(prefix, highest_used + i + 1), "appeared", None) for i, c in enumerate(clusters)
        }, []
    features = sorted(set(new.columns) & set(previous.columns))
    a = new[features].to_numpy(dtype=float)
    b = previous[features].to_numpy(dtype=float)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))
    rows, cols = linear_sum_assignment(cost)
    identities: dict[int, Identity] = {}
    kept = set()
    for r, c in zip(rows, cols, strict=True):
        if cost[r, c] <= max_distance:
            identities[int(clusters[r])] = Identity(previous.index[c], "kept", float(cost[r, c]))
            kept.add(previous.index[c])
    next_number = max([highest_used, *(id_number(i) for i in previous.index)]) + 1
    for cluster in clusters:
        if int(cluster) not in identities:
            identities[int(cluster)] = Identity(persona_id(prefix, next_number), "appeared", None)
            next_number += 1
    vanished = [identifier for identifier in previous.index if identifier not in kept]
    return identities, vanished
