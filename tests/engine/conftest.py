from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from ml.engine.model import SegmentationModel

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
    return pd.DataFrame(points, columns=list(BLOB_FEATURES)), truth


def blob_model(**params) -> SegmentationModel:
    return SegmentationModel(**{"k_min": 2, "k_max": 8, "n_bootstrap": 3, "n_init": 4, **params})


@pytest.fixture
def blobs():
    return blob_frame()
