"""The segmentation estimator: preprocessing + PCA + K-Means, with the Ward comparison and assignment."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

from ml.config import SegmentationConfig
from ml.feature_source import FrameSource
from ml.preprocessing import build_preprocessor, check_feature_frame, model_inputs
from ml.selection import choose_k, sweep_k

log = logging.getLogger(__name__)

# Distances beyond this quantile of the fitted rows' distances mark a customer as far from every segment.
DISTANCE_OUTLIER_QUANTILE = 0.99


def _sample(n_rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a seeded sample without replacement (all rows when size >= n_rows)."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=size, replace=False))


class SegmentationModel(BaseEstimator):
    """Scaling + PCA + K-Means for one configured segmentation.

    Cluster numbers are canonical: 0 is the largest segment of the fit, ties broken by centroid position,
    so that refits that find the same partition number it the same way. Nothing downstream relies on the
    numbers anyway: persona names come from the centroids.
    """

    def __init__(self, config: SegmentationConfig):
        self.config = config

    # -- fitting ---------------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, rows_available: int | None = None) -> SegmentationModel:
        """Fit on ``frame``: its rows not flagged by ``exclude_column``, sampled down to fit_sample_size.

        ``rows_available``: how many rows the caller had in all, when ``frame`` is already its sample.
        """
        config = self.config
        check_feature_frame(frame, config)
        source = FrameSource(frame, config)
        n_fit = source.count_fit_rows()
        if n_fit < max(config.k_min, config.n_clusters or 0) + 1:
            raise ValueError(
                f"segmentation {config.name!r}: {n_fit} row(s) available for fitting, fewer than the "
                f"{max(config.k_min, config.n_clusters or 0) + 1} needed for "
                f"{config.n_clusters or config.k_min} segments"
            )
        # Chosen by id hash and put in id order: the fit does not depend on the order rows arrive in.
        sample = source.fit_sample()
        self.n_rows_available_ = rows_available if rows_available is not None else n_fit
        self.n_rows_fitted_ = len(sample)
        self.feature_names_in_ = np.array(config.features, dtype=object)

        n_components = min(config.n_components, len(config.features), len(sample))
        self.pipeline_ = Pipeline(
            [
                ("preprocess", build_preprocessor(config)),
                ("pca", PCA(n_components=n_components, random_state=config.random_state)),
            ]
        )
        points = self.pipeline_.fit_transform(model_inputs(sample, config))
        self.explained_variance_ratio_ = self.pipeline_.named_steps["pca"].explained_variance_ratio_

        sweep_positions = _sample(len(points), config.sweep_sample_size, config.random_state + 1)
        sweep_config = config
        if config.n_clusters is not None:
            # Diagnostics still cover the whole range; only the choice is forced.
            sweep_config = config.with_overrides(k_max=max(config.k_max, config.n_clusters))
        self.k_selection_ = sweep_k(points[sweep_positions], sweep_config)
        choice = choose_k(self.k_selection_, config)
        self.n_clusters_, self.k_rule_ = choice.k, choice.rule
        log.info("segmentation %s: %s", config.name, choice.rule)

        kmeans = KMeans(n_clusters=self.n_clusters_, n_init=config.n_init, random_state=config.random_state)
        labels = kmeans.fit_predict(points)
        self.cluster_centers_ = self._canonical_centers(kmeans.cluster_centers_, labels)
        labels = self._nearest(points)[0]
        self.inertia_ = float(((points - self.cluster_centers_[labels]) ** 2).sum())
        distances = np.linalg.norm(points - self.cluster_centers_[labels], axis=1)
        self.distance_threshold_ = float(np.quantile(distances, DISTANCE_OUTLIER_QUANTILE))

        ward_positions = _sample(len(points), config.ward_sample_size, config.random_state + 2)
        ward = AgglomerativeClustering(n_clusters=self.n_clusters_, linkage="ward")
        ward_labels = ward.fit_predict(points[ward_positions])
        self.ward_agreement_ari_ = float(adjusted_rand_score(labels[ward_positions], ward_labels))
        self.n_rows_ward_ = len(ward_positions)
        chosen = (
            self.k_selection_.set_index("k").loc[self.n_clusters_]
            if (self.n_clusters_ in set(self.k_selection_["k"]))
            else None
        )
        self.metrics_ = {
            "k": self.n_clusters_,
            "k_rule": self.k_rule_,
            "inertia": self.inertia_,
            "silhouette": None if chosen is None else float(chosen["silhouette"]),
            "calinski_harabasz": None if chosen is None else float(chosen["calinski_harabasz"]),
            "davies_bouldin": None if chosen is None else float(chosen["davies_bouldin"]),
            "stability_ari": None if chosen is None else float(chosen["stability_ari"]),
            "ward_agreement_ari": self.ward_agreement_ari_,
            "explained_variance_ratio": [float(v) for v in self.explained_variance_ratio_],
            "explained_variance_total": float(np.sum(self.explained_variance_ratio_)),
            "rows_available": self.n_rows_available_,
            "rows_fitted": self.n_rows_fitted_,
            "rows_swept": len(sweep_positions),
            "rows_ward": self.n_rows_ward_,
        }
        return self

    @staticmethod
    def _canonical_centers(centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
        sizes = np.bincount(labels, minlength=len(centers))
        order = sorted(range(len(centers)), key=lambda c: (-sizes[c], *np.round(centers[c], 9)))
        return centers[order]

    # -- using the fit ---------------------------------------------------------------------------------
    def project(self, frame: pd.DataFrame, checked: bool = False) -> np.ndarray:
        """PCA coordinates of the rows of ``frame`` (``checked``: the schema was already validated)."""
        if not checked:
            check_feature_frame(frame, self.config, table="rows to score")
        return self.pipeline_.transform(model_inputs(frame, self.config))

    def _nearest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # One centroid at a time keeps memory at rows x k, not rows x k x components.
        distances = np.empty((len(points), len(self.cluster_centers_)))
        for j, center in enumerate(self.cluster_centers_):
            distances[:, j] = np.linalg.norm(points - center, axis=1)
        return distances.argmin(axis=1), distances

    def assign(self, frame: pd.DataFrame, checked: bool = False) -> pd.DataFrame:
        """Cluster, distance to own centroid, margin to the next one and PCA coordinates for every row."""
        points = self.project(frame, checked)
        labels, distances = self._nearest(points)
        ordered = np.sort(distances, axis=1)
        own = ordered[:, 0]
        margin = ordered[:, 1] - ordered[:, 0] if distances.shape[1] > 1 else np.zeros(len(points))
        result = pd.DataFrame(
            {
                self.config.id_column: frame[self.config.id_column].to_numpy(),
                "cluster_id": labels.astype("int32"),
                "distance_to_centroid": own,
                "margin_to_next_centroid": margin,
            }
        )
        for i in range(points.shape[1]):
            result[f"pc{i + 1}"] = points[:, i]
        result["is_distance_outlier"] = own > self.distance_threshold_
        return result

    def centroid_distances(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Distance of every row to every centroid (long form), for scoring new rows."""
        points = self.project(frame)
        _, distances = self._nearest(points)
        ids = frame[self.config.id_column].to_numpy()
        return pd.DataFrame(
            {
                self.config.id_column: np.repeat(ids, distances.shape[1]),
                "cluster_id": np.tile(np.arange(distances.shape[1]), len(ids)).astype("int32"),
                "distance": distances.ravel(),
            }
        )
