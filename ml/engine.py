"""What the thin dbt Python models call: fit a configured segmentation and expose its outputs as frames.

The fit writes one artifact bundle (model + sidecar) per segmentation; the diagnostics tables
(k selection, centroids, runs) are read back from that verified bundle, so every table of one build
describes the same fit.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ml.accumulators import CentroidAccumulator, Fingerprint
from ml.artifacts import ArtifactPaths, library_versions, load_model, read_sidecar, save_model
from ml.config import SegmentationConfig
from ml.feature_source import FeatureSource, FrameSource
from ml.fitting import SegmentationModel
from ml.personas import match_personas
from ml.preprocessing import FeatureSchemaError
from ml.selection import K_SELECTION_COLUMNS
from ml.sources import get_segmentation

log = logging.getLogger(__name__)


def resolve_config(name: str, settings: dict[str, Any] | None = None) -> SegmentationConfig:
    return get_segmentation(name).with_overrides(**{k: v for k, v in (settings or {}).items()})


def model_version(config: SegmentationConfig, fingerprint: str) -> str:
    """Same configuration, data and library versions -> same version string."""
    versions = library_versions()
    basis = "|".join([config.to_json(), fingerprint, versions["scikit-learn"], versions["numpy"]])
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


# Rows assigned per batch: bounds memory at any table size (a batch of 200k rows is ~50 MB of features).
BATCH_ROWS = 200_000


def fit_segmentation(
    features: pd.DataFrame | FeatureSource,
    config: SegmentationConfig,
    artifacts_dir: str,
    batch_rows: int = BATCH_ROWS,
    keep_inputs: bool = False,
) -> tuple[SegmentationModel, pd.DataFrame, dict[str, Any]]:
    """Fit on a sample, assign every row batch by batch, save the artifact bundle.

    Returns the model, the labels (one row per input row, in the order the source delivers them) and
    the sidecar. ``keep_inputs`` adds the model's input values to the labels (incremental scoring
    compares them to find the rows whose inputs changed).
    """
    started = datetime.now(UTC)
    source = FrameSource(features, config) if isinstance(features, pd.DataFrame) else features
    model = SegmentationModel(config).fit(source.fit_sample(), rows_available=source.count_fit_rows())

    profile_features = config.profile_features or config.numeric_features
    centroids = CentroidAccumulator(profile_features, model.n_clusters_)
    fingerprint = Fingerprint([config.id_column, *config.features])
    parts = []
    for batch in source.batches(batch_rows):
        labels = model.assign(batch)
        fitted = (
            ~batch[config.exclude_column].astype(bool).to_numpy()
            if config.exclude_column and config.exclude_column in batch.columns
            else np.ones(len(batch), dtype=bool)
        )
        labels["is_excluded_from_fit"] = ~fitted
        if keep_inputs:
            for column in config.numeric_features:
                labels[column] = batch[column].to_numpy()
        centroids.add(batch, labels["cluster_id"].to_numpy(), fitted)
        fingerprint.add(batch)
        parts.append(labels)
    # Rows stay in the order the source delivers them (deterministic for a given table); no sorted copy.
    labels = pd.concat(parts, ignore_index=True)
    if labels[config.id_column].duplicated().any():
        dupes = labels.loc[labels[config.id_column].duplicated(), config.id_column].head(3).tolist()
        raise FeatureSchemaError(f"{config.name}: {config.id_column} is not unique, e.g. {dupes}")
    version = model_version(config, fingerprint.hexdigest())
    labels.insert(labels.columns.get_loc("is_excluded_from_fit"), "model_version", version)
    centroid_table = centroids.result()

    sidecar = {
        "segmentation_name": config.name,
        "model_version": version,
        "fitted_at": started.isoformat(timespec="seconds"),
        "fit_seconds": round((datetime.now(UTC) - started).total_seconds(), 3),
        "configuration": config.to_json(),
        "feature_list": list(config.features),
        "log_transformed_features": _log_transformed(model),
        "data_fingerprint": fingerprint.hexdigest(),
        "rows_scored": int(len(labels)),
        "metrics": model.metrics_,
        "cluster_sizes": labels["cluster_id"].value_counts().sort_index().astype(int).to_dict(),
        "k_selection": model.k_selection_.to_dict(orient="records"),
        "centroids": centroid_table.to_dict(orient="records"),
        "centroids_pca": model.cluster_centers_.tolist(),
    }
    paths = ArtifactPaths.for_segmentation(artifacts_dir, config.name)
    sidecar = save_model(model, paths, sidecar)
    log.info(
        "segmentation %s: k=%s, model %s saved to %s", config.name, model.n_clusters_, version, paths.model
    )
    return model, labels, sidecar


def _log_transformed(model: SegmentationModel) -> list[str]:
    preprocess = model.pipeline_.named_steps["preprocess"]
    if "numeric" not in preprocess.named_transformers_:
        return []
    mask = preprocess.named_transformers_["numeric"].named_steps["skew"].log_mask_
    return [name for name, logged in zip(model.config.numeric_features, mask, strict=True) if logged]


# -- diagnostics tables, read back from the verified bundle ------------------------------------------------
def sidecar_for(name: str, artifacts_dir: str) -> dict[str, Any]:
    return read_sidecar(ArtifactPaths.for_segmentation(artifacts_dir, name))


def k_selection_frame(name: str, artifacts_dir: str) -> pd.DataFrame:
    sidecar = sidecar_for(name, artifacts_dir)
    table = pd.DataFrame(sidecar["k_selection"], columns=K_SELECTION_COLUMNS)
    table.insert(0, "segmentation_name", name)
    table["k"] = table["k"].astype("int32")
    table["is_chosen"] = table["k"] == sidecar["metrics"]["k"]
    table["model_version"] = sidecar["model_version"]
    return table


def centroid_frame(name: str, artifacts_dir: str) -> pd.DataFrame:
    sidecar = sidecar_for(name, artifacts_dir)
    table = pd.DataFrame(sidecar["centroids"])
    table.insert(0, "segmentation_name", name)
    table["cluster_id"] = table["cluster_id"].astype("int32")
    table["model_version"] = sidecar["model_version"]
    return table


def run_frame(name: str, artifacts_dir: str) -> pd.DataFrame:
    """One row describing the latest fit of ``name`` (segmentation_runs appends it)."""
    sidecar = sidecar_for(name, artifacts_dir)
    metrics = sidecar["metrics"]
    run_id = hashlib.sha256(f"{sidecar['model_version']}|{sidecar['fitted_at']}".encode()).hexdigest()[:16]
    return pd.DataFrame(
        [
            {
                "run_id": run_id,
                "segmentation_name": name,
                "fitted_at": pd.Timestamp(sidecar["fitted_at"]).tz_convert("UTC").tz_localize(None),
                "fit_seconds": float(sidecar["fit_seconds"]),
                "rows_available": int(metrics["rows_available"]),
                "rows_fitted": int(metrics["rows_fitted"]),
                "rows_scored": int(sidecar["rows_scored"]),
                "k": int(metrics["k"]),
                "k_rule": metrics["k_rule"],
                "inertia": metrics["inertia"],
                "silhouette": metrics["silhouette"],
                "calinski_harabasz": metrics["calinski_harabasz"],
                "davies_bouldin": metrics["davies_bouldin"],
                "stability_ari": metrics["stability_ari"],
                "ward_agreement_ari": metrics["ward_agreement_ari"],
                "explained_variance_total": metrics["explained_variance_total"],
                "explained_variance_ratios": ", ".join(
                    f"{value:.4f}" for value in metrics["explained_variance_ratio"]
                ),
                "model_version": sidecar["model_version"],
                "data_fingerprint": sidecar["data_fingerprint"],
                "artifact_sha256": sidecar["artifact_sha256"],
                "library_versions": ", ".join(f"{k} {v}" for k, v in sidecar["library_versions"].items()),
            }
        ]
    )


def persona_frame(
    name: str,
    centroids: pd.DataFrame,
    catalogue: pd.DataFrame,
    traits: pd.DataFrame,
    feature_labels: pd.DataFrame | None = None,
    settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """cluster -> persona for segmentation ``name``, from its centroids and the catalogue seeds."""
    config = resolve_config(name, settings)
    mine = centroids[centroids["segmentation_name"] == name]
    labels = None
    if feature_labels is not None and len(feature_labels):
        own = feature_labels[feature_labels["segmentation_name"] == name]
        labels = dict(zip(own["feature_name"], own["feature_label"], strict=True))
    result = match_personas(
        mine[["cluster_id", "feature_name", "standardised_value"]],
        catalogue[catalogue["segmentation_name"] == name],
        traits[traits["segmentation_name"] == name],
        config.min_match_score,
        labels,
    )
    result.insert(0, "segmentation_name", name)
    result["model_version"] = mine["model_version"].iloc[0] if len(mine) else None
    return result


def load_segmentation_model(name: str, artifacts_dir: str, expected_sha256: str | None = None):
    """The saved model of ``name``, hash-checked (for scoring without refitting)."""
    return load_model(ArtifactPaths.for_segmentation(artifacts_dir, name), expected_sha256)
