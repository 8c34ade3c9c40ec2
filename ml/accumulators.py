"""Statistics gathered batch by batch while everyone is assigned: centroids and the data fingerprint."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


class CentroidAccumulator:
    """Per-cluster means of the profile features and their z-scores against the fitted population.

    Rows left out of fitting (implausible values) are left out here too, so that one 666,666 income does
    not move every cluster's standardised income. Sums are taken around a shift (the first batch's means)
    so the variance stays precise for large values.
    """

    def __init__(self, features: tuple[str, ...], n_clusters: int):
        self.features = list(features)
        self.n_clusters = n_clusters
        self.count = np.zeros(n_clusters)
        self.sums = np.zeros((n_clusters, len(self.features)))
        self.total_sq = np.zeros(len(self.features))
        self.shift: np.ndarray | None = None

    def add(self, batch: pd.DataFrame, clusters: np.ndarray, fitted: np.ndarray) -> None:
        values = batch.loc[fitted, self.features].to_numpy(dtype=float)
        clusters = np.asarray(clusters)[fitted]
        if not len(values):
            return
        if self.shift is None:
            self.shift = values.mean(axis=0)
        shifted = values - self.shift
        np.add.at(self.sums, clusters, shifted)
        self.count += np.bincount(clusters, minlength=self.n_clusters)
        self.total_sq += (shifted**2).sum(axis=0)

    def result(self) -> pd.DataFrame:
        shift = self.shift if self.shift is not None else np.zeros(len(self.features))
        n = self.count.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self.sums / self.count[:, None] + shift
            population_shifted_mean = self.sums.sum(axis=0) / n
            variance = self.total_sq / n - population_shifted_mean**2
            std = np.sqrt(np.clip(variance, 0, None))
            z = (means - (population_shifted_mean + shift)) / np.where(std > 0, std, np.nan)
        rows = [
            (cluster, feature, float(means[cluster, j]), float(np.nan_to_num(z[cluster, j])))
            for cluster in range(self.n_clusters)
            for j, feature in enumerate(self.features)
        ]
        frame = pd.DataFrame(rows, columns=["cluster_id", "feature_name", "mean_value", "standardised_value"])
        frame["cluster_id"] = frame["cluster_id"].astype("int32")
        return frame.sort_values(["cluster_id", "feature_name"]).reset_index(drop=True)


class Fingerprint:
    """Order-independent SHA-256 of a table read in batches (sum and xor of per-row hashes)."""

    def __init__(self, columns: list[str]):
        self.columns = columns
        self.rows = 0
        self.total = np.uint64(0)
        self.xor = np.uint64(0)

    def add(self, batch: pd.DataFrame) -> None:
        hashes = pd.util.hash_pandas_object(batch[self.columns], index=False).to_numpy()
        with np.errstate(over="ignore"):
            self.total = np.uint64(self.total + hashes.sum(dtype=np.uint64))
        self.xor = np.uint64(self.xor ^ np.bitwise_xor.reduce(hashes)) if len(hashes) else self.xor
        self.rows += len(hashes)

    def hexdigest(self) -> str:
        return hashlib.sha256(f"{self.rows}:{int(self.total)}:{int(self.xor)}".encode()).hexdigest()
