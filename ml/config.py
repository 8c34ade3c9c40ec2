"""Configuration of one segmentation: which table, which features, which fitting settings."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


class ConfigurationError(ValueError):
    """A setting given by the user (a dbt var, a CLI flag) cannot be used."""


@dataclass(frozen=True)
class SegmentationConfig:
    """Everything that decides a fit. Two fits with equal configs on equal data give equal labels.

    Parameters
    ----------
    name
        The segmentation's name, used in table rows and artifact file names ("customers").
    id_column
        The key of the feature table, one row per entity.
    numeric_features, categorical_features
        Model inputs. Numeric ones are skew-corrected (where justified) and scaled; categorical ones are
        one-hot encoded and scaled like the rest.
    exclude_column
        Boolean column: True rows are left out of fitting but still scored.
    profile_features
        Numeric columns whose standardised centroids are computed for persona matching and profiles
        (a superset of the model inputs, so personas can refer to e.g. absolute spend).
    cluster_personas_table
        The dbt model that names this segmentation's clusters (read by scoring without refitting).
    """

    name: str
    id_column: str
    numeric_features: tuple[str, ...]
    categorical_features: tuple[str, ...] = ()
    exclude_column: str | None = None
    profile_features: tuple[str, ...] = ()
    cluster_personas_table: str = ""
    n_components: int = 3
    k_min: int = 2
    k_max: int = 10
    n_clusters: int | None = None
    random_state: int = 42
    n_init: int = 10
    # Rows used to fit; everyone is assigned afterwards. docs/performance.md shows the assignment quality.
    fit_sample_size: int = 50_000
    # The k sweep, silhouette and Ward run on smaller samples: their cost grows faster than linearly.
    sweep_sample_size: int = 5_000
    silhouette_sample_size: int = 2_000
    ward_sample_size: int = 4_000
    n_bootstrap: int = 5
    min_stability: float = 0.75
    skew_threshold: float = 1.0
    min_match_score: float = 0.25
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.numeric_features and not self.categorical_features:
            raise ConfigurationError(f"segmentation {self.name!r} has no features")
        if self.k_min < 2 or self.k_max < self.k_min:
            raise ConfigurationError(
                f"k range must satisfy 2 <= k_min <= k_max, got k_min={self.k_min}, k_max={self.k_max}"
            )
        if self.n_clusters is not None and self.n_clusters < 2:
            raise ConfigurationError(f"n_clusters must be at least 2, got {self.n_clusters}")
        if self.n_components < 1:
            raise ConfigurationError(f"n_components must be at least 1, got {self.n_components}")

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric_features + self.categorical_features

    def with_overrides(self, **overrides: Any) -> SegmentationConfig:
        """Apply user settings (dbt vars arrive as strings or None) with type checks."""
        known = {f.name: f for f in dataclasses.fields(self)}
        clean: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known:
                raise ConfigurationError(f"unknown segmentation setting {key!r}")
            if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
                if key == "n_clusters":
                    clean[key] = None
                continue
            default = getattr(self, key)
            target = int if key == "n_clusters" else type(default)
            try:
                clean[key] = target(float(value)) if target is int else target(value)
            except (TypeError, ValueError) as error:
                raise ConfigurationError(
                    f"setting {key}={value!r} is not a valid {target.__name__}"
                ) from error
        return dataclasses.replace(self, **clean)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)
