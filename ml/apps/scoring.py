"""Scoring outside the warehouse: the published model, its hash checked first, places new rows.

Used by `smartcart score`, the dashboard and the HTTP API. The build scores every row in SQL from the
parameter table; here the same model is loaded from its joblib artifact, whose SHA-256 must be the one the
published warehouse recorded (segmentation_models.artifact_sha256), and gives the same clusters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import project
from ml.apps import warehouse
from ml.apps.presentation import slug
from ml.engine.artifacts import ArtifactPaths, load_model
from ml.engine.model import SegmentationModel
from ml.engine.preprocessing import FeatureSchemaError, check_feature_frame, model_inputs
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

    @classmethod
    def from_warehouse(cls, name: str, database: str | None = None, artifacts_dir: str | None = None) -> PersonaScorer:
        """The active model the published warehouse describes, loaded only if its hash is the recorded one."""
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

    def score(self, frame: pd.DataFrame, source: str = "rows to score") -> pd.DataFrame:
        """Persona, strategy, distance to every persona's centroid and the nearest other persona, per row."""
        config = self.segmentation.config
        key = self.segmentation.entity_key
        frame = frame.copy()
        if key not in frame.columns:
            frame.insert(0, key, np.arange(1, len(frame) + 1))
        check_feature_frame(frame, config.numeric_features, config.categorical_features, key, source, config.name)
        distances = self.model.transform(model_inputs(frame, config.numeric_features, config.categorical_features))
        order = np.argsort(distances, axis=1, kind="stable")
        rows = np.arange(len(frame))
        by_cluster = self.personas.set_index("cluster_id")
        nearest = order[:, 0]
        result = pd.DataFrame({key: frame[key].to_numpy()})
        result["persona_id"] = by_cluster.loc[nearest, "persona_id"].to_numpy()
        result["persona_name"] = by_cluster.loc[nearest, "persona_name"].to_numpy()
        result["marketing_strategy"] = by_cluster.loc[nearest, "marketing_strategy"].to_numpy()
        result["cluster_id"] = nearest.astype("int32")
        result["distance_to_centroid"] = distances[rows, nearest]
        result["next_persona_name"] = by_cluster.loc[order[:, 1], "persona_name"].to_numpy()
        result["margin_to_next_centroid"] = distances[rows, order[:, 1]] - distances[rows, nearest]
        for cluster, name in by_cluster["persona_name"].items():
            result[f"distance_to_{slug(name)}"] = distances[:, int(cluster)]
        result["model_version"] = self.model_version
        return result


__all__ = ["FeatureSchemaError", "PersonaScorer", "default_artifacts_dir"]
