"""The dashboard's live modelling: re-cluster at another k, segment an uploaded file.

Everything goes through the engine (ml.engine: the estimator, the fit profile, persona matching) and,
for raw uploads, through the project's own dbt models run into a temporary folder (ml.apps.dbt_runner).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ml import project
from ml.apps.dbt_runner import run_dbt
from ml.engine.model import SegmentationModel
from ml.engine.personas import match_personas
from ml.engine.preprocessing import model_inputs
from ml.engine.profiles import cluster_profile

MAX_UPLOAD_BYTES = 50 * 2**20  # also server.maxUploadSize in .streamlit/config.toml


class UploadError(ValueError):
    """An upload that cannot be used: too large, unreadable, or failing the input expectations."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.details = details or []


@dataclass(frozen=True)
class UploadKind:
    label: str
    segmentation: str
    raw: bool  # the source's raw input (built into features by dbt), else its model inputs as a CSV


def upload_kinds() -> dict[str, UploadKind]:
    kinds = {}
    for segmentation in project.registry():
        kinds[segmentation.input.upload_label] = UploadKind(segmentation.input.upload_label, segmentation.name, True)
    for segmentation in project.registry():
        inputs = ", ".join([segmentation.entity_key, *segmentation.config.features])
        label = f"{segmentation.title}: model inputs (CSV: {inputs})"
        kinds[label] = UploadKind(label, segmentation.name, False)
    return kinds


def seeds() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The persona catalogue, traits and feature labels (the dbt seeds)."""
    folder = project.seeds_dir()
    return tuple(
        pd.read_csv(folder / f"{name}.csv") for name in ("persona_catalogue", "persona_traits", "feature_labels")
    )


def fit_and_name(name: str, frame: pd.DataFrame, n_clusters: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit the segmentation's estimator on ``frame`` (rows not excluded), name the clusters from their
    profile, and label every row. Returns (one row per persona: size, share, medians; per-row labels)."""
    segmentation = project.registry().get(name)
    config = segmentation.config.with_overrides(n_bootstrap=2)
    if n_clusters is not None:
        config = config.with_overrides(n_clusters=n_clusters, k_min=2, k_max=max(2, n_clusters))
    exclude = segmentation.exclude_column
    fitted = frame[~frame[exclude].astype(bool)] if exclude and exclude in frame else frame
    model = SegmentationModel(**config.estimator_params()).fit(
        model_inputs(fitted, config.numeric_features, config.categorical_features)
    )
    clusters = model.predict(model_inputs(frame, config.numeric_features, config.categorical_features))
    profile = cluster_profile(fitted, model.labels_, config.profile)
    catalogue, traits, labels = seeds()
    own_labels = labels[labels["segmentation_name"] == name]
    named = match_personas(
        profile[["cluster_id", "feature_name", "standardised_value"]],
        catalogue[catalogue["segmentation_name"] == name],
        traits[traits["segmentation_name"] == name],
        config.min_match_score,
        dict(zip(own_labels["feature_name"], own_labels["feature_label"], strict=True)),
    ).set_index("cluster_id")
    per_row = pd.DataFrame(
        {
            segmentation.entity_key: frame[segmentation.entity_key].to_numpy(),
            "persona_name": named.loc[clusters, "persona_name"].to_numpy(),
            "marketing_strategy": named.loc[clusters, "marketing_strategy"].to_numpy(),
            "cluster_id": clusters.astype("int32"),
        }
    )
    sizes = pd.Series(clusters).value_counts()
    key_features = [f for f in segmentation.key_features if f in frame.columns][:4]
    medians = frame[key_features].apply(pd.to_numeric).groupby(clusters).median()
    table = pd.DataFrame(
        {
            "persona_name": named.loc[medians.index, "persona_name"].to_numpy(),
            "members": sizes.reindex(medians.index).to_numpy(),
        }
    )
    table["share"] = table["members"] / table["members"].sum()
    for feature in key_features:
        table[f"median {feature}"] = medians[feature].to_numpy()
    table["strategy"] = named.loc[medians.index, "marketing_strategy"].to_numpy()
    return table.sort_values(["members", "persona_name"], ascending=[False, True]).reset_index(drop=True), per_row


@dataclass
class UploadResult:
    scored: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    mode: str = "saved model"


def save_upload(data: bytes, file_name: str) -> Path:
    """Write an upload into a fresh temporary folder (never into the project), after the size check."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"{file_name} is {len(data) / 2**20:.1f} MB; uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MB"
        )
    folder = Path(tempfile.mkdtemp(prefix="smartcart_upload_"))
    path = folder / (Path(file_name).name or "upload.csv")
    path.write_bytes(data)
    return path


def features_by_dbt(path: Path, file_var: str, features_model: str) -> pd.DataFrame:
    """The project's own dbt models up to the feature table, run on the upload into a temporary folder."""
    work = path.parent
    env = {
        "SMARTCART_DUCKDB_PATH": str(work / "published.duckdb"),
        "SMARTCART_BUILD_DUCKDB_PATH": str(work / "build.duckdb"),
        "SMARTCART_ARTIFACTS_DIR": str(work / "artifacts"),
        "SMARTCART_REPORTS_DIR": str(work / "reports"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    # Only tests whose models are all built here (not e.g. relationships to later models).
    arguments = ["build", "--select", f"+{features_model}", "--indirect-selection", "cautious"]
    result = run_dbt(arguments, {file_var: str(path)}, env, capture=True, timeout=600)
    if result.returncode != 0:
        errors = [line.strip() for line in result.stdout.splitlines() if "Error" in line or "error" in line]
        raise UploadError(f"{path.name} could not be turned into features", errors[-5:] or [result.stdout[-500:]])
    with duckdb.connect(str(work / "build.duckdb"), read_only=True) as connection:
        return connection.execute(f'select * from "{features_model}"').df()


def process_upload(
    kind: UploadKind,
    data: bytes,
    file_name: str,
    refit: bool,
    database: str | None,
    artifacts_dir: str | None,
) -> UploadResult:
    """Validate (same expectations as the pipeline), build features, then score with the saved model or
    refit on the upload. Temporary files are removed before returning."""
    from ml.apps.scoring import PersonaScorer
    from ml.quality.inputs import validate_input

    segmentation = project.registry().get(kind.segmentation)
    path = save_upload(data, file_name)
    try:
        warnings: list[str] = []
        if kind.raw:
            report = validate_input(segmentation.name, str(path))
            if not report.ok:
                raise UploadError(f"{file_name} does not follow the {segmentation.name} schema", report.lines())
            warnings = report.lines()
            features = features_by_dbt(path, segmentation.input.file_var, segmentation.feature_model)
        else:
            try:
                features = pd.read_csv(path)
            except (ValueError, UnicodeDecodeError) as error:
                raise UploadError(f"{file_name} cannot be read as CSV: {error}") from error
        if features.empty:
            raise UploadError(f"{file_name} has no rows to segment")
        if refit:
            try:
                _, per_row = fit_and_name(segmentation.name, features)
            except ValueError as error:
                raise UploadError(f"{file_name} cannot be segmented on its own: {error}") from error
            return UploadResult(per_row, warnings, "refit on the upload")
        scorer = PersonaScorer.from_warehouse(segmentation.name, database, artifacts_dir)
        try:
            scored = scorer.score(features, file_name)
        except ValueError as error:
            raise UploadError(str(error)) from error
        keep = [c for c in segmentation.config.features if c in features.columns and c != segmentation.entity_key]
        columns = [segmentation.entity_key, *keep] if segmentation.entity_key in features else keep
        merged = scored.join(
            features[columns].reset_index(drop=True).drop(columns=[segmentation.entity_key], errors="ignore")
        )
        return UploadResult(merged, warnings)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
