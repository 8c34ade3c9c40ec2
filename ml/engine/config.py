"""The model settings of one segmentation: which inputs, which k range, which seeds."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

ALGORITHMS = ("kmeans", "gaussian_mixture")


class ConfigurationError(ValueError):
    """A setting given by the user (registry entry, dbt var, CLI flag) cannot be used."""


@dataclass(frozen=True)
class SegmentationConfig:
    """Everything that decides a fit. Two fits with equal configs on equal samples give equal models.

    ``numeric_features`` and ``categorical_features`` are the model inputs: numeric ones are skew-corrected
    where justified and scaled; categorical ones are one-hot encoded and scaled like the rest.
    ``profile_features`` are the numeric columns whose per-cluster means name the personas (a superset of
    the inputs, so a persona can refer to e.g. absolute spend).
    """

    name: str
    numeric_features: tuple[str, ...]
    categorical_features: tuple[str, ...] = ()
    profile_features: tuple[str, ...] = ()
    n_components: int = 3
    k_min: int = 2
    k_max: int = 10
    n_clusters: int | None = None
    # kmeans, or gaussian_mixture: diagonal-covariance Gaussian components in the PCA space, scored in SQL by
    # the same macro (ml/engine/parameters.py gives the formula).
    algorithm: str = "kmeans"
    random_state: int = 42
    n_init: int = 10
    # The k sweep, silhouette and Ward run on samples of the fit sample: their cost grows faster than
    # linearly with rows, and the sweep only has to rank k.
    sweep_sample_size: int = 5_000
    silhouette_sample_size: int = 2_000
    ward_sample_size: int = 4_000
    n_bootstrap: int = 5
    # Resamples of the per-persona stability (bootstrap Jaccard) of the chosen model (ml/engine/trust.py).
    stability_bootstrap: int = 20
    min_stability: float = 0.75
    skew_threshold: float = 1.0
    min_match_score: float = 0.25
    # Two personas of consecutive fits are the same persona when their profiles (z-scores of the profile
    # features) differ by at most this root-mean-square distance (docs/personas.md).
    identity_max_distance: float = 0.5

    def __post_init__(self) -> None:
        if not self.numeric_features and not self.categorical_features:
            raise ConfigurationError(f"segmentation {self.name!r} has no model inputs")
        if self.k_min < 2 or self.k_max < self.k_min:
            raise ConfigurationError(
                f"k range must satisfy 2 <= k_min <= k_max, got k_min={self.k_min}, k_max={self.k_max}"
            )
        if self.n_clusters is not None and self.n_clusters < 2:
            raise ConfigurationError(f"n_clusters must be at least 2, got {self.n_clusters}")
        if self.algorithm not in ALGORITHMS:
            raise ConfigurationError(
                f"segmentation {self.name!r}: algorithm {self.algorithm!r} is not one of {', '.join(ALGORITHMS)}"
            )
        if self.n_components < 1:
            raise ConfigurationError(f"n_components must be at least 1, got {self.n_components}")

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric_features + self.categorical_features

    @property
    def profile(self) -> tuple[str, ...]:
        return self.profile_features or self.numeric_features

    def with_overrides(self, **overrides: Any) -> SegmentationConfig:
        """Apply user settings (dbt vars arrive as strings, numbers or None) with type checks."""
        known = {f.name: f for f in dataclasses.fields(self)}
        clean: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known:
                raise ConfigurationError(f"unknown segmentation setting {key!r}; known: {', '.join(known)}")
            if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
                if key == "n_clusters":
                    clean[key] = None
                continue
            default = getattr(self, key)
            target = int if key == "n_clusters" else type(default)
            try:
                if target is tuple:
                    clean[key] = tuple(value)
                elif target is int:
                    number = float(value)
                    if number != int(number):
                        raise ValueError
                    clean[key] = int(number)
                else:
                    clean[key] = target(value)
            except (TypeError, ValueError) as error:
                raise ConfigurationError(f"setting {key}={value!r} is not a valid {target.__name__}") from error
        return dataclasses.replace(self, **clean)

    def estimator_params(self) -> dict[str, Any]:
        """The hyper-parameters of :class:`ml.engine.model.SegmentationModel` this config sets."""
        return {
            "categorical_features": self.categorical_features,
            "n_components": self.n_components,
            "n_clusters": self.n_clusters,
            "algorithm": self.algorithm,
            "k_min": self.k_min,
            "k_max": self.k_max,
            "random_state": self.random_state,
            "n_init": self.n_init,
            "skew_threshold": self.skew_threshold,
            "sweep_sample_size": self.sweep_sample_size,
            "silhouette_sample_size": self.silhouette_sample_size,
            "ward_sample_size": self.ward_sample_size,
            "n_bootstrap": self.n_bootstrap,
            "min_stability": self.min_stability,
        }

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)
