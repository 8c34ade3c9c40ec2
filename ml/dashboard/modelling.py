"""The dashboard's live modelling: re-cluster at another k, segment an uploaded file, score one customer.

Everything goes through the same engine as the build (ml.fitting, ml.engine, ml.scoring, ml.personas);
uploads are turned into features by the project's own dbt models, run into a temporary database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ml.engine import centroid_frame, fit_segmentation, persona_frame
from ml.fitting import SegmentationModel
from ml.personas import match_personas
from ml.sources import get_segmentation

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "dbt_project" / "seeds"
MAX_UPLOAD_BYTES = 50 * 2**20  # also server.maxUploadSize in .streamlit/config.toml
# What an upload can be: the raw file of a source (built into features by dbt) or ready RFM figures.
UPLOAD_KINDS = {
    "Customer export (tab-separated, like marketing_campaign.csv)": (
        "customers",
        "customers_file",
        "customer_features",
    ),
    "Invoice lines (CSV, Online Retail layout)": ("invoices", "invoices_file", "invoice_customer_features"),
    "Clickstream events (CSV, REES46 layout)": (
        "clickstream",
        "events_path",
        "clickstream_customer_features",
    ),
    "RFM figures (CSV: customer_id, recency_days, frequency, monetary)": ("invoices", None, None),
}


class UploadError(ValueError):
    """An upload that cannot be used: too large, unreadable, or failing the input expectations."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.details = details or []


def seeds() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The persona catalogue, traits and feature labels (the dbt seeds)."""
    return tuple(
        pd.read_csv(SEEDS / f"{name}.csv")
        for name in ("persona_catalogue", "persona_traits", "feature_labels")
    )


def _labels(name: str) -> dict[str, str]:
    labels = seeds()[2]
    own = labels[labels["segmentation_name"] == name]
    return dict(zip(own["feature_name"], own["feature_label"], strict=True))


# -- re-clustering at another k ----------------------------------------------------------------------------
def recluster(name: str, frame: pd.DataFrame, k: int) -> tuple[pd.DataFrame, pd.Series]:
    """Fit the segmentation's pipeline with k clusters on ``frame``; persona names from the new centroids.

    Returns a profile per new segment (size, share, feature means) and each row's persona.
    """
    config = get_segmentation(name).with_overrides(n_clusters=k, k_min=2, k_max=k, n_bootstrap=2)
    fitted = frame if not config.exclude_column else frame[~frame[config.exclude_column].astype(bool)]
    model = SegmentationModel(config).fit(fitted.reset_index(drop=True))
    clusters = model.assign(frame)["cluster_id"].to_numpy()
    profile = list(config.profile_features or config.numeric_features)
    values = frame[profile].astype(float)
    means = values.groupby(clusters).mean()
    z = (means - values.mean()) / values.std(ddof=0).replace(0, np.nan)
    long = z.fillna(0.0).stack().rename("standardised_value").reset_index()
    long.columns = ["cluster_id", "feature_name", "standardised_value"]
    catalogue, traits, _ = seeds()
    named = match_personas(
        long,
        catalogue[catalogue["segmentation_name"] == name],
        traits[traits["segmentation_name"] == name],
        config.min_match_score,
        _labels(name),
    ).set_index("cluster_id")
    sizes = pd.Series(clusters).value_counts()
    table = means.copy()
    table.insert(0, "customers", sizes.reindex(means.index).to_numpy())
    table.insert(1, "share", table["customers"] / table["customers"].sum())
    table.insert(0, "persona_name", named.loc[means.index, "persona_name"].to_numpy())
    table = table.sort_values(["customers", "persona_name"], ascending=[False, True]).reset_index(drop=True)
    return table, pd.Series(named.loc[clusters, "persona_name"].to_numpy(), index=frame.index)


# -- uploads ---------------------------------------------------------------------------------------------
@dataclass
class UploadResult:
    scored: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    mode: str = "saved model"


def save_upload(data: bytes, file_name: str) -> Path:
    """Write an upload into a fresh temporary folder (never into the project), after the size check."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"{file_name} is {len(data) / 2**20:.1f} MB; "
            f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MB"
        )
    folder = Path(tempfile.mkdtemp(prefix="smartcart_upload_"))
    path = folder / (Path(file_name).name or "upload.csv")
    path.write_bytes(data)
    return path


def _features_by_dbt(path: Path, file_var: str, features_model: str) -> pd.DataFrame:
    """The project's own dbt models up to the feature table, run on the upload into a temporary database."""
    work = path.parent
    env = {
        **os.environ,
        "SMARTCART_DUCKDB_PATH": str(work / "published.duckdb"),
        "SMARTCART_BUILD_DUCKDB_PATH": str(work / "build.duckdb"),
        "SMARTCART_ARTIFACTS_DIR": str(work / "artifacts"),
        "SMARTCART_REPORTS_DIR": str(work / "reports"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt) if dbt.exists() else "dbt",
        "build",
        "--select",
        f"+{features_model}",
        # Only tests whose models are all built here (not e.g. relationships to later models).
        "--indirect-selection",
        "cautious",
        "--project-dir",
        str(ROOT),
        "--profiles-dir",
        str(ROOT),
        "--vars",
        json.dumps({file_var: str(path)}),
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        errors = [line.strip() for line in result.stdout.splitlines() if "Error" in line or "error" in line]
        raise UploadError(
            f"{path.name} could not be turned into features", errors[-5:] or [result.stdout[-500:]]
        )
    with duckdb.connect(str(work / "build.duckdb"), read_only=True) as connection:
        return connection.execute(f'select * from "{features_model}"').df()


def process_upload(
    kind: str, data: bytes, file_name: str, refit: bool, database: str | None, artifacts_dir: str | None
) -> UploadResult:
    """Validate (same expectations as the pipeline), build features, then score with the saved model
    or refit on the upload. Temporary files are removed before returning."""
    from ml.quality.inputs import validate_input
    from ml.scoring import PersonaScorer

    name, file_var, features_model = UPLOAD_KINDS[kind]
    path = save_upload(data, file_name)
    try:
        warnings: list[str] = []
        if file_var:
            report = validate_input(name, str(path))
            if not report.ok:
                raise UploadError(f"{file_name} does not follow the {name} schema", report.lines())
            warnings = report.lines()
            features = _features_by_dbt(path, file_var, features_model)
        else:
            try:
                features = pd.read_csv(path)
            except (ValueError, UnicodeDecodeError) as error:
                raise UploadError(f"{file_name} cannot be read as CSV: {error}") from error
        config = get_segmentation(name)
        if refit:
            return UploadResult(
                _refit(name, features, path.parent / "artifacts"), warnings, "refit on the upload"
            )
        scorer = PersonaScorer.from_warehouse(name, database, artifacts_dir)
        try:
            scored = scorer.score(features, file_name)
        except ValueError as error:
            raise UploadError(str(error)) from error
        keep = [c for c in features.columns if c in config.features and c != config.id_column]
        return UploadResult(scored.merge(features[[config.id_column, *keep]], on=config.id_column), warnings)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def _refit(name: str, features: pd.DataFrame, artifacts: Path) -> pd.DataFrame:
    config = get_segmentation(name)
    _, labels, _ = fit_segmentation(features, config, str(artifacts))
    catalogue, traits, feature_labels = seeds()
    personas = persona_frame(name, centroid_frame(name, str(artifacts)), catalogue, traits, feature_labels)
    named = labels.merge(personas[["cluster_id", "persona_name"]], on="cluster_id")
    return named[
        [config.id_column, "persona_name", "cluster_id", "distance_to_centroid", "margin_to_next_centroid"]
    ]
