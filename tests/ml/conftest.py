from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from ml.config import SegmentationConfig

BLOB_FEATURES = ("f1", "f2", "f3", "f4", "f5")


def blob_frame(n_rows: int = 1200, centers: int = 4, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    points, truth = make_blobs(
        n_samples=n_rows,
        centers=centers,
        n_features=len(BLOB_FEATURES),
        cluster_std=1.0,
        random_state=seed,
        center_box=(-12, 12),
    )
    frame = pd.DataFrame(points, columns=list(BLOB_FEATURES))
    frame.insert(0, "entity_id", np.arange(n_rows))
    frame["is_excluded_from_fit"] = False
    return frame, truth


def blob_config(**overrides) -> SegmentationConfig:
    base = SegmentationConfig(
        name="blobs",
        id_column="entity_id",
        numeric_features=BLOB_FEATURES,
        exclude_column="is_excluded_from_fit",
        profile_features=BLOB_FEATURES,
        n_components=3,
        k_min=2,
        k_max=8,
        n_bootstrap=3,
        n_init=4,
    )
    return base.with_overrides(**overrides) if overrides else base


@pytest.fixture
def blobs():
    return blob_frame()
