"""The profile of each cluster at fit time: its mean of every profile feature, in units and as a z-score.

This is part of the fitted model (like the centroids): personas are named from it, persona ids are
carried across refits by comparing it, and drift is measured against it. The profiles of the current
population, every build, are computed in SQL over the scored table (macro persona_feature_statistics).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROFILE_COLUMNS = ["cluster_id", "feature_name", "mean_value", "standardised_value"]


def cluster_profile(frame: pd.DataFrame, labels: np.ndarray, features: tuple[str, ...]) -> pd.DataFrame:
    """Long frame: per cluster and feature, the mean and (mean - population mean) / population std."""
    values = frame[list(features)].apply(pd.to_numeric).astype(float)
    means = values.groupby(np.asarray(labels)).mean()
    std = values.std(ddof=0)
    z = (means - values.mean()) / std.where(std > 0)
    long = means.stack().rename("mean_value").to_frame()
    long["standardised_value"] = z.fillna(0.0).stack()
    long = long.reset_index()
    long.columns = PROFILE_COLUMNS
    long["cluster_id"] = long["cluster_id"].astype("int32")
    return long.sort_values(["cluster_id", "feature_name"]).reset_index(drop=True)


def wide_z(profile: pd.DataFrame) -> pd.DataFrame:
    """cluster x feature matrix of z-scores."""
    return profile.pivot(index="cluster_id", columns="feature_name", values="standardised_value").fillna(0.0)
