"""Scoring without refitting: the saved model, its hash checked first, places rows it was not fitted on.

Used three ways: the `smartcart score` command (one customer's figures or a CSV of many), the dashboard,
and the dbt models that score new and changed customers incrementally instead of refitting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml import warehouse
from ml.artifacts import ArtifactPaths, load_model
from ml.config import ConfigurationError, SegmentationConfig
from ml.fitting import SegmentationModel
from ml.preprocessing import FeatureSchemaError, check_feature_frame
from ml.sources import get_segmentation


def default_artifacts_dir() -> str:
    return os.environ.get("SMARTCART_ARTIFACTS_DIR") or "data/artifacts"


def load_stored_model(
    name: str, artifacts_dir: str, expected_sha256: str
) -> tuple[SegmentationModel, dict[str, Any]]:
    """The saved model of segmentation ``name``, loaded only if its SHA-256 is the one expected."""
    return load_model(ArtifactPaths.for_segmentation(artifacts_dir, name), expected_sha256)


def assign_batches(
    model: SegmentationModel, batches: Iterator[pd.DataFrame], keep_inputs: bool = False
) -> pd.DataFrame:
    """Labels for every row of ``batches`` from a fitted model (same columns as a fit's labels)."""
    config = model.config
    parts = []
    for batch in batches:
        if batch.empty:
            continue
        labels = model.assign(batch)
        labels["is_excluded_from_fit"] = (
            batch[config.exclude_column].astype(bool).to_numpy()
            if config.exclude_column and config.exclude_column in batch.columns
            else np.zeros(len(batch), dtype=bool)
        )
        if keep_inputs:
            for column in config.numeric_features:
                labels[column] = batch[column].to_numpy()
        parts.append(labels)
    if not parts:
        components = [f"pc{i + 1}" for i in range(model.cluster_centers_.shape[1])]
        columns = [config.id_column, "cluster_id", "distance_to_centroid", "margin_to_next_centroid"]
        columns += [*components, "is_distance_outlier", "is_excluded_from_fit"]
        return pd.DataFrame(columns=columns + (list(config.numeric_features) if keep_inputs else []))
    return pd.concat(parts, ignore_index=True)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass
class PersonaScorer:
    """A published segmentation's model and persona names, ready to score new rows."""

    config: SegmentationConfig
    model: SegmentationModel
    sidecar: dict[str, Any]
    personas: pd.DataFrame  # cluster_id, persona_name, marketing_strategy

    @classmethod
    def from_warehouse(
        cls, name: str, database: str | None = None, artifacts_dir: str | None = None
    ) -> PersonaScorer:
        """The model the published warehouse describes: its persona names, and the artifact whose hash
        segmentation_runs recorded (anything else on disk is refused)."""
        config = get_segmentation(name)
        table = config.cluster_personas_table
        if not table:
            raise ConfigurationError(f"segmentation {name!r} has no persona table to score against")
        try:
            personas = warehouse.read_frame(
                f'select cluster_id, persona_name, marketing_strategy, model_version from "{table}" '
                "order by cluster_id",
                database,
            )
            runs = warehouse.read_frame(
                "select artifact_sha256 from segmentation_runs where segmentation_name = ? "
                "and model_version = ? order by fitted_at desc limit 1",
                database,
                [name, personas["model_version"].iloc[0] if len(personas) else ""],
            )
        except warehouse.NotBuiltError:
            raise
        except Exception as error:  # a warehouse built before this source existed
            raise warehouse.NotBuiltError(
                f"segmentation {name!r} is not in the published warehouse yet: build it with `smartcart run` "
                f"(or `dbt build`) first ({type(error).__name__})"
            ) from error
        if personas.empty or runs.empty:
            raise warehouse.NotBuiltError(f"segmentation {name!r} has no fitted model in the warehouse yet")
        model, sidecar = load_stored_model(
            name, artifacts_dir or default_artifacts_dir(), runs["artifact_sha256"].iloc[0]
        )
        return cls(config, model, sidecar, personas.drop(columns=["model_version"]))

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.config.features

    def score(self, frame: pd.DataFrame, source: str = "rows to score") -> pd.DataFrame:
        """Persona, distance to every persona's centroid and the nearest other persona, per row."""
        frame = frame.copy()
        id_column = self.config.id_column
        if id_column not in frame.columns:
            frame.insert(0, id_column, np.arange(1, len(frame) + 1))
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise FeatureSchemaError(
                f"{source}: missing column(s) {', '.join(missing)}; segmentation {self.config.name!r} "
                f"scores from {', '.join(self.inputs)}; columns present: {', '.join(map(str, frame.columns))}"
            )
        check_feature_frame(frame, self.config, table=source)
        names = dict(zip(self.personas["cluster_id"], self.personas["persona_name"], strict=True))
        assigned = self.model.assign(frame, checked=True)
        distances = self.model.centroid_distances(frame)
        wide = distances.pivot(index=id_column, columns="cluster_id", values="distance")
        wide = wide.loc[frame[id_column].to_numpy()]
        order = np.argsort(wide.to_numpy(), axis=1, kind="stable")
        result = pd.DataFrame({id_column: frame[id_column].to_numpy()})
        result["persona_name"] = assigned["cluster_id"].map(names).to_numpy()
        result["cluster_id"] = assigned["cluster_id"].to_numpy()
        result["distance_to_centroid"] = assigned["distance_to_centroid"].to_numpy()
        if wide.shape[1] > 1:
            result["next_persona_name"] = [names[wide.columns[i]] for i in order[:, 1]]
            result["margin_to_next_centroid"] = assigned["margin_to_next_centroid"].to_numpy()
        for cluster_id in wide.columns:
            result[f"distance_to_{slug(names[cluster_id])}"] = wide[cluster_id].to_numpy()
        result["model_version"] = self.sidecar["model_version"]
        return result


# -- incremental scoring inside dbt -------------------------------------------------------------------------
def _features_changed_sql(features_sql: str, this: str, config: SegmentationConfig) -> str:
    key = f'"{config.id_column}"'
    changed = " or ".join(f'f."{c}" is distinct from s."{c}"' for c in config.numeric_features)
    return (
        f"select f.* from ({features_sql}) as f left join {this} as s on f.{key} = s.{key} "
        f"where s.{key} is null or {changed}"
    )


def segment_incrementally(
    session, features, this: str | None, config: SegmentationConfig, artifacts_dir: str, refit: bool
) -> pd.DataFrame:
    """Labels for a dbt incremental segments model (delete+insert on the id column).

    First build, ``refit`` (the documented switch), or a table without a recorded model: fit, write the
    artifact, label everyone (mode 'fit'). Otherwise: load the model whose hash the table recorded and
    label only the rows that are new or whose model inputs changed (mode 'stored_model'); rows whose id
    left the feature table are deleted, so the table always matches the features.
    """
    from ml.engine import BATCH_ROWS, fit_segmentation
    from ml.feature_source import RelationSource

    stored = None
    if this is not None and not refit:
        recorded = session.sql(f"select distinct artifact_sha256 from {this}").fetchall()
        stored = recorded[0][0] if len(recorded) == 1 else None
    if stored is None:
        if this is not None:
            session.execute(f"delete from {this}")
        _, labels, sidecar = fit_segmentation(
            RelationSource(features, config), config, artifacts_dir, keep_inputs=True
        )
        labels["artifact_sha256"] = sidecar["artifact_sha256"]
        labels["scoring_mode"] = "fit"
        return labels
    model, sidecar = load_stored_model(config.name, artifacts_dir, stored)
    features_sql = features.sql_query()
    session.execute(
        f'delete from {this} where "{config.id_column}" not in '
        f'(select "{config.id_column}" from ({features_sql}))'
    )
    changed = session.sql(_features_changed_sql(features_sql, this, config))
    labels = assign_batches(model, RelationSource(changed, config).batches(BATCH_ROWS), keep_inputs=True)
    labels.insert(labels.columns.get_loc("is_excluded_from_fit"), "model_version", sidecar["model_version"])
    labels["artifact_sha256"] = sidecar["artifact_sha256"]
    labels["scoring_mode"] = "stored_model"
    return labels
