"""The segmentation estimator: preprocessing + PCA + K-Means with k chosen by evidence.

A scikit-learn estimator in scikit-learn's own conventions: hyper-parameters in ``__init__``, ``fit(X)``
returns self, learned state ends in an underscore, ``predict`` gives clusters and ``transform`` the
distance to every centroid (as ``KMeans.transform`` does). ``X`` holds the model inputs only: ids,
exclusion and sampling belong to the feature source (the SQL fit sample), not to the estimator.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from ml.engine.preprocessing import MISSING_CATEGORY, FeatureSchemaError, build_preprocessor
from ml.engine.selection import KChoice, choose_k, sweep_k

log = logging.getLogger(__name__)

# Distances beyond this quantile of the fitted rows' distances mark a row as far from every segment.
DISTANCE_OUTLIER_QUANTILE = 0.99


def seeded_positions(n_rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a seeded sample without replacement (all rows when size >= n_rows)."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=size, replace=False))


class SegmentationModel(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """Scaling + PCA + K-Means (or, with ``algorithm="gaussian_mixture"``, a full-covariance Gaussian
    mixture); k from a sweep with bootstrap stability (the mixture: by BIC) unless ``n_clusters`` is set.

    Cluster numbers are canonical: 0 is the largest cluster of the fit, ties broken by centroid position,
    so that refits that find the same partition number it the same way. Nothing downstream relies on the
    numbers: persona names and ids come from the cluster profiles.

    Parameters
    ----------
    categorical_features
        Columns of a DataFrame ``X`` to one-hot encode; every other column is numeric.
    n_components
        PCA components kept (at most the number of transformed inputs).
    n_clusters
        Force k; None chooses it by the rule of :func:`ml.engine.selection.choose_k`.
    k_min, k_max
        The range swept for the evidence (and searched when ``n_clusters`` is None).
    """

    def __init__(
        self,
        *,
        categorical_features=(),
        n_components=3,
        n_clusters=None,
        k_min=2,
        k_max=10,
        random_state=42,
        n_init=10,
        skew_threshold=1.0,
        sweep_sample_size=5_000,
        silhouette_sample_size=2_000,
        ward_sample_size=4_000,
        n_bootstrap=5,
        min_stability=0.75,
        algorithm="kmeans",
    ):
        self.categorical_features = categorical_features
        self.n_components = n_components
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.random_state = random_state
        self.n_init = n_init
        self.skew_threshold = skew_threshold
        self.sweep_sample_size = sweep_sample_size
        self.silhouette_sample_size = silhouette_sample_size
        self.ward_sample_size = ward_sample_size
        self.n_bootstrap = n_bootstrap
        self.min_stability = min_stability
        self.algorithm = algorithm

    # -- input handling --------------------------------------------------------------------------------
    def _frame(self, X, reset: bool) -> pd.DataFrame:  # noqa: N803 - scikit-learn's argument name
        categorical = list(self.categorical_features)
        if not categorical:
            values = validate_data(self, X, reset=reset, dtype=np.float64)
            names = (
                [str(n) for n in getattr(self, "feature_names_in_")]  # noqa: B009 - set by validate_data
                if hasattr(self, "feature_names_in_")
                else [f"x{i}" for i in range(values.shape[1])]
            )
            return pd.DataFrame(values, columns=names)
        if not isinstance(X, pd.DataFrame):
            raise TypeError("categorical_features need X as a pandas DataFrame with named columns")
        missing = [c for c in categorical if c not in X.columns]
        if missing:
            raise FeatureSchemaError(f"categorical feature column(s) {', '.join(missing)} not in X")
        if reset:
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            self.n_features_in_ = len(X.columns)
        elif list(X.columns) != list(self.feature_names_in_):
            raise FeatureSchemaError(
                f"X has columns {list(X.columns)}, the model was fitted on {list(self.feature_names_in_)}"
            )
        frame = X.copy()
        numeric = [c for c in frame.columns if c not in categorical]
        if numeric:
            frame[numeric] = _finite(frame[numeric])
        for column in categorical:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), MISSING_CATEGORY).astype(str)
        return frame

    # -- fitting ---------------------------------------------------------------------------------------
    def fit(self, X, y=None):  # noqa: N803
        frame = self._frame(X, reset=True)
        n_rows = len(frame)
        needed = max(self.k_min, self.n_clusters or 0) + 1
        if n_rows < needed:
            raise ValueError(
                f"n_samples={n_rows} is too few: at least {needed} rows are needed for "
                f"{self.n_clusters or self.k_min} segments"
            )
        categorical = list(self.categorical_features)
        numeric = [c for c in frame.columns if c not in categorical]
        preprocess = build_preprocessor(numeric, categorical, self.skew_threshold)
        scaled = preprocess.fit_transform(frame)
        pca = PCA(n_components=min(self.n_components, scaled.shape[1], n_rows), random_state=self.random_state)
        points = pca.fit_transform(scaled)
        self.pipeline_ = Pipeline([("preprocess", preprocess), ("pca", pca)])
        self.explained_variance_ratio_ = pca.explained_variance_ratio_

        sweep_positions = seeded_positions(n_rows, self.sweep_sample_size, self.random_state + 1)
        self.k_selection_ = sweep_k(
            points[sweep_positions],
            self.k_min,
            # Diagnostics cover the whole range even when k is forced above it.
            max(self.k_max, self.n_clusters or 0),
            self.random_state,
            self.n_init,
            self.n_bootstrap,
            self.silhouette_sample_size,
        )
        choice = choose_k(self.k_selection_, self.n_clusters, self.min_stability)
        if self.algorithm == "gaussian_mixture" and self.n_clusters is None:
            choice = self._choose_k_by_bic(points[sweep_positions])
        self.n_clusters_, self.k_rule_ = choice.k, choice.rule
        log.info("%s", choice.rule)

        if self.algorithm == "gaussian_mixture":
            self._fit_mixture(points)
        else:
            for mixture_only in ("cluster_precisions_", "cluster_offsets_"):  # from an earlier fit of a mixture
                self.__dict__.pop(mixture_only, None)
            kmeans = KMeans(n_clusters=self.n_clusters_, n_init=self.n_init, random_state=self.random_state)
            first_labels = kmeans.fit_predict(points)
            self.cluster_centers_ = self._canonical_centers(kmeans.cluster_centers_, first_labels)
        self._n_features_out = self.n_clusters_
        distances = self._distances(points)
        self.labels_ = distances.argmin(axis=1)
        own = distances[np.arange(n_rows), self.labels_]
        self.inertia_ = float((own**2).sum())
        self.distance_threshold_ = float(np.quantile(own, DISTANCE_OUTLIER_QUANTILE))

        ward_positions = seeded_positions(n_rows, self.ward_sample_size, self.random_state + 2)
        ward_labels = AgglomerativeClustering(n_clusters=self.n_clusters_, linkage="ward").fit_predict(
            points[ward_positions]
        )
        self.ward_agreement_ari_ = float(adjusted_rand_score(self.labels_[ward_positions], ward_labels))
        chosen = self.k_selection_.set_index("k")
        row = chosen.loc[self.n_clusters_] if self.n_clusters_ in chosen.index else None
        self.metrics_ = {
            "k": self.n_clusters_,
            "k_rule": self.k_rule_,
            "inertia": self.inertia_,
            **{
                name: None if row is None else float(row[name])
                for name in ("silhouette", "calinski_harabasz", "davies_bouldin", "stability_ari")
            },
            "ward_agreement_ari": self.ward_agreement_ari_,
            "explained_variance_total": float(np.sum(self.explained_variance_ratio_)),
            "rows_fitted": n_rows,
            "rows_swept": len(sweep_positions),
            "rows_ward": len(ward_positions),
        }
        return self

    def _choose_k_by_bic(self, points: np.ndarray) -> KChoice:
        """The mixture's own rule: the number of Gaussian components with the lowest BIC."""
        bics = {
            k: GaussianMixture(k, covariance_type="full", n_init=2, random_state=self.random_state)
            .fit(points)
            .bic(points)
            for k in range(self.k_min, min(self.k_max, len(points) - 1) + 1)
        }
        best = min(bics, key=lambda k: (bics[k], k))
        return KChoice(
            best,
            f"k={best}: lowest BIC of Gaussian mixtures with k={self.k_min}..{max(bics)} (BIC {bics[best]:,.0f})",
        )

    def _fit_mixture(self, points: np.ndarray) -> None:
        """A Gaussian mixture (full covariances) with k components, as centres, precision factors and
        offsets: the distance to a component is sqrt(|(p - mean) U|^2 + offset), with U the Cholesky factor
        of its precision and offset = -2 log det U - 2 log weight minus the smallest of them, so that the
        nearest component is the most probable one (the mixture's own predict)."""
        mixture = GaussianMixture(
            self.n_clusters_, covariance_type="full", n_init=3, random_state=self.random_state
        ).fit(points)
        sizes = np.bincount(mixture.predict(points), minlength=self.n_clusters_)
        order = sorted(range(self.n_clusters_), key=lambda c: (-sizes[c], *np.round(mixture.means_[c], 9)))
        self.cluster_centers_ = mixture.means_[order]
        self.cluster_precisions_ = mixture.precisions_cholesky_[order]
        log_det = np.log(np.diagonal(self.cluster_precisions_, axis1=1, axis2=2)).sum(axis=1)
        raw = -2 * log_det - 2 * np.log(mixture.weights_[order])
        self.cluster_offsets_ = raw - raw.min()

    @staticmethod
    def _canonical_centers(centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
        sizes = np.bincount(labels, minlength=len(centers))
        order = sorted(range(len(centers)), key=lambda c: (-sizes[c], *np.round(centers[c], 9)))
        return centers[order]

    def _distances(self, points: np.ndarray) -> np.ndarray:
        # One centroid at a time keeps memory at rows x k, not rows x k x components.
        distances = np.empty((len(points), len(self.cluster_centers_)))
        precisions = getattr(self, "cluster_precisions_", None)
        for j, center in enumerate(self.cluster_centers_):
            if precisions is None:
                distances[:, j] = np.linalg.norm(points - center, axis=1)
            else:
                scaled = (points - center) @ precisions[j]
                distances[:, j] = np.sqrt((scaled**2).sum(axis=1) + self.cluster_offsets_[j])
        return distances

    # -- using the fit ---------------------------------------------------------------------------------
    def project(self, X) -> np.ndarray:  # noqa: N803
        """PCA coordinates of the rows of ``X``."""
        check_is_fitted(self)
        return self.pipeline_.transform(self._frame(X, reset=False))

    def transform(self, X) -> np.ndarray:  # noqa: N803
        """Distance of every row to every centroid (rows x k), as KMeans.transform."""
        return self._distances(self.project(X))

    def predict(self, X) -> np.ndarray:  # noqa: N803
        return self.transform(X).argmin(axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = bool(self.categorical_features)
        return tags


def _finite(values: pd.DataFrame) -> pd.DataFrame:
    numbers = values.apply(pd.to_numeric).astype(float)
    if not np.isfinite(numbers.to_numpy()).all():
        bad = [c for c in numbers.columns if not np.isfinite(numbers[c]).all()]
        raise ValueError(f"Input X contains NaN or infinity in column(s) {', '.join(bad)}")
    return numbers
