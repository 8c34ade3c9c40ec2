"""Scoring outside the warehouse: the published model, its hash checked first, places new rows.

Used by `smartcart score`, the dashboard and the HTTP API. The build scores every row in SQL from the
parameter table; here the same model is loaded from its joblib artifact, whose SHA-256 must be the one the
published warehouse recorded (segmentation_models.artifact_sha256), and gives the same clusters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ml import project
from ml.apps import warehouse
from ml.apps.presentation import slug
from ml.engine.artifacts import ArtifactPaths, load_model
from ml.engine.model import SegmentationModel
from ml.engine.parameters import CompiledParameters, parameter_rows
from ml.engine.preprocessing import FeatureSchemaError, check_feature_frame
from ml.engine.registry import Segmentation


def default_artifacts_dir() -> str:
    return os.environ.get("SMARTCART_ARTIFACTS_DIR") or str(project.root() / "data" / "artifacts")


@dataclass
class PersonaScorer:
    """A published segmentation's active model and persona names, ready to score new rows."""

    segmentation: Segmentation
    model: SegmentationModel
    model_version: str
    personas: pd.DataFrame  # cluster_id, persona_id, persona_name, marketing_strategy, description
    parameters: CompiledParameters | None = None

    def __post_init__(self) -> None:
        # The parameter rows of the hash-checked model: the arithmetic of the SQL scoring macro.
        if self.parameters is None:
            self.parameters = CompiledParameters.from_rows(parameter_rows(self.model))
        self._by_cluster = self.personas.set_index("cluster_id")

    @property
    def compiled(self) -> CompiledParameters:
        """The compiled parameters (always set once the scorer exists)."""
        if self.parameters is None:
            raise RuntimeError("PersonaScorer.parameters is set in __post_init__")
        return self.parameters

    @classmethod
    def from_warehouse(
        cls,
        name: str,
        database: str | os.PathLike[str] | duckdb.DuckDBPyConnection | None = None,
        artifacts_dir: str | None = None,
    ) -> PersonaScorer:
        """The active model the published warehouse describes, loaded only if its hash is the recorded one.

        ``database`` may be an open connection, so that a caller reading several segmentations sees
        them all from one published file."""
        segmentation = project.registry().get(name)
        models = warehouse.read_frame(
            "select model_version, artifact_sha256 from segmentation_models "
            "where segmentation_name = ? and is_active_model",
            database,
            [name],
        )
        if models.empty:
            raise warehouse.NotBuiltError(f"segmentation {name!r} has no fitted model in the warehouse yet")
        version, sha256 = models.iloc[0]["model_version"], models.iloc[0]["artifact_sha256"]
        personas = warehouse.read_frame(
            "select cluster_id, persona_id, persona_name, marketing_strategy, description from segment_personas "
            "where segmentation_name = ? and model_version = ? order by cluster_id",
            database,
            [name, version],
        )
        paths = ArtifactPaths.for_model(artifacts_dir or default_artifacts_dir(), name, version)
        model, _ = load_model(paths, sha256)
        return cls(segmentation, model, version, personas)

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.segmentation.config.features

    def checked(self, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        """``frame`` with an entity key (1..n if absent), its model inputs checked (FeatureSchemaError)."""
        config = self.segmentation.config
        key = self.segmentation.entity_key
        if key not in frame.columns:
            frame = frame.copy()
            frame.insert(0, key, np.arange(1, len(frame) + 1))
        check_feature_frame(frame, config.numeric_features, config.categorical_features, key, source, config.name)
        return frame

    def place(self, columns: pd.DataFrame | Mapping[str, Sequence]) -> Placement:
        """Nearest and next persona of each row of already checked model inputs (a frame or columns)."""
        z = self.compiled.standardised(columns)
        distances = self.compiled.distances_from(z)
        order = np.argsort(distances, axis=1, kind="stable")
        return Placement(z, distances, order[:, 0], order[:, 1])

    def score(self, frame: pd.DataFrame, source: str = "rows to score") -> pd.DataFrame:
        """Persona, strategy, distance to every persona's centroid, the nearest other persona with the margin
        to it, and the inputs that place the row in its persona rather than the next one, per row."""
        frame = self.checked(frame, source)
        placed = self.place(frame)
        nearest, runner_up = placed.nearest, placed.runner_up
        by_cluster = self._by_cluster
        result = pd.DataFrame({self.segmentation.entity_key: frame[self.segmentation.entity_key].to_numpy()})
        result["persona_id"] = by_cluster.loc[nearest, "persona_id"].to_numpy()
        result["persona_name"] = by_cluster.loc[nearest, "persona_name"].to_numpy()
        result["marketing_strategy"] = by_cluster.loc[nearest, "marketing_strategy"].to_numpy()
        result["cluster_id"] = nearest.astype("int32")
        result["distance_to_centroid"] = placed.distance
        result["next_persona_name"] = by_cluster.loc[runner_up, "persona_name"].to_numpy()
        result["margin_to_next_centroid"] = placed.margin
        result["placing_features"] = [
            "; ".join(
                f"{reason['feature']} {reason['value']}"
                + (f" ({reason['compared_with_fit']})" if "compared_with_fit" in reason else "")
                for reason in reasons
            )
            for reasons in self.placing_features(frame, placed)
        ]
        result["is_distance_outlier"] = placed.distance > self.compiled.distance_threshold
        for cluster, name in by_cluster["persona_name"].items():
            result[f"distance_to_{slug(name)}"] = placed.distances[:, int(cluster)]
        result["model_version"] = self.model_version
        return result

    def placing_features(
        self, columns: pd.DataFrame | Mapping[str, Sequence], placed: Placement, top: int = 3
    ) -> list[list[dict]]:
        """Per row, up to ``top`` model inputs that pull it towards its persona rather than the next one,
        strongest first, with the row's value and whether it is above or below the fitted average."""
        names, _ = self.compiled.feature_matrix
        pulls = self.compiled.pull_towards(placed.z, placed.nearest, placed.runner_up)
        strongest = np.argsort(-pulls, axis=1, kind="stable")[:, :top]
        numeric = set(self.segmentation.config.numeric_features)
        values = {name: list(np.asarray(columns[name]).tolist()) for name in names}
        explained = []
        for row, ranked in enumerate(strongest.tolist()):
            reasons = []
            for i in ranked:
                pull = float(pulls[row, i])
                if pull <= 0:
                    break
                feature = names[i]
                value = _plain(values[feature][row])
                reason = {"feature": feature, "value": value, "pull": round(pull, 4)}
                if feature in numeric:
                    reason["compared_with_fit"] = _side(float(value), self.compiled, feature)
                reasons.append(reason)
            explained.append(reasons)
        return explained


@dataclass(frozen=True)
class Placement:
    z: np.ndarray  # standardised inputs
    distances: np.ndarray  # rows x clusters
    nearest: np.ndarray
    runner_up: np.ndarray

    @property
    def distance(self) -> np.ndarray:
        return self.distances[np.arange(len(self.nearest)), self.nearest]

    @property
    def margin(self) -> np.ndarray:
        return self.distances[np.arange(len(self.nearest)), self.runner_up] - self.distance


def _plain(value):
    """A JSON-ready scalar."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _side(x: float, parameters: CompiledParameters, feature: str) -> str:
    """'above average' or 'below average' of the fitted sample (the scaler's centre, in log space for
    log-transformed inputs)."""
    index = parameters.feature_names.index(feature)
    if parameters.log1p[index]:
        x = float(np.log1p(max(x, 0.0)))
    return "above average" if x >= parameters.centre[index] else "below average"


__all__ = ["FeatureSchemaError", "PersonaScorer", "default_artifacts_dir"]
