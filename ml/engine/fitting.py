"""From fit samples to model rows: decide which segmentations refit, fit them, name and identify personas.

The one function the dbt Python model (DuckDB) and the Spark runner both call. Its input is data (the fit
samples, the previous model rows, the persona seeds); its output is data: the long table
``segmentation_fits``, whose sections the SQL models turn into the typed tables segmentation_models,
segment_model_parameters, k_selection, segment_personas, persona_stability, persona_rules,
algorithm_comparison and the fit statistics drift is measured against. segmentation_sufficiency comes in:
a segmentation the data cannot support stops here.
The only side effect is the hash-stamped joblib artifact of each new model (for the CLI, dashboard, API).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ml.engine.artifacts import ArtifactPaths, library_versions, save_model
from ml.engine.config import ConfigurationError, SegmentationConfig
from ml.engine.identity import assign_ids, id_number
from ml.engine.model import SegmentationModel
from ml.engine.parameters import parameter_rows
from ml.engine.personas import match_personas
from ml.engine.preprocessing import check_feature_frame, model_inputs
from ml.engine.profiles import cluster_profile, wide_z
from ml.engine.registry import Registry, Segmentation
from ml.engine.trust import trust_sections

log = logging.getLogger(__name__)

FIT_COLUMNS = [
    "segmentation_name",
    "model_version",
    "fit_sequence",
    "section",
    "item",
    "feature_name",
    "category_value",
    "input_index",
    "component_index",
    "cluster_id",
    "k",
    "value",
    "text",
]
INTEGER_COLUMNS = ["fit_sequence", "input_index", "component_index", "cluster_id", "k"]
TEXT_COLUMNS = [
    "segmentation_name",
    "model_version",
    "section",
    "item",
    "feature_name",
    "category_value",
    "text",
]
# Deciles of each numeric model input in the fit sample: the reference of the population stability index.
DISTRIBUTION_BINS = 10


def empty_fit_frame() -> pd.DataFrame:
    return typed(pd.DataFrame(columns=FIT_COLUMNS))


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=FIT_COLUMNS)
    for column in INTEGER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame["value"] = pd.to_numeric(frame["value"]).astype("float64")
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


@dataclass(frozen=True)
class PreviousModel:
    """What a refit needs from the active model before it: settings, profile, persona ids."""

    model_version: str
    fit_sequence: int
    configuration: str
    profile: pd.DataFrame  # persona_id x feature z-scores
    highest_id_number: int


def previous_models(fits: pd.DataFrame | None) -> dict[str, PreviousModel]:
    """The active (latest) model of every segmentation in the previous fit rows."""
    if fits is None or fits.empty:
        return {}
    result = {}
    for name, rows in fits.groupby("segmentation_name"):
        latest = rows["fit_sequence"].max()
        active = rows[rows["fit_sequence"] == latest]
        model = active[active["section"] == "model"].set_index("item")["text"]
        persona = active[(active["section"] == "persona") & (active["item"] == "persona_id")]
        ids = dict(zip(persona["cluster_id"].astype(int), persona["text"], strict=True))
        profile = active[(active["section"] == "fit_profile") & (active["item"] == "z")]
        wide = profile.pivot(index="cluster_id", columns="feature_name", values="value")
        wide.index = [ids[int(c)] for c in wide.index]
        every_id = rows[(rows["section"] == "persona") & (rows["item"] == "persona_id")]["text"]
        result[str(name)] = PreviousModel(
            model_version=str(active["model_version"].iloc[0]),
            fit_sequence=int(latest),
            configuration=str(model.get("configuration", "")),
            profile=wide,
            highest_id_number=max((id_number(i) for i in every_id), default=0),
        )
    return result


def refit_decision(
    segmentation: Segmentation,
    config: SegmentationConfig,
    previous: PreviousModel | None,
    requested: bool,
    recommendation: str | None,
) -> str | None:
    """Why this build fits a new model of ``segmentation``, or None to keep scoring with the stored one."""
    if previous is None:
        return "first fit"
    if requested:
        return "refit requested (--refit or var refit)"
    if previous.configuration != config.to_json():
        return "model settings changed since the stored model"
    if segmentation.refit_policy == "always":
        return "refit policy: always"
    if segmentation.refit_policy == "when_recommended" and recommendation:
        return f"refit recommended by the last build: {recommendation}"
    return None


def wide_sample(samples: pd.DataFrame, config: SegmentationConfig) -> tuple[pd.DataFrame, int]:
    """One segmentation's rows of segmentation_fit_samples (its own columns, sorted by key) and the count of
    rows that were eligible for fitting in the feature table."""
    if samples.empty:
        raise ConfigurationError(
            f"segmentation {config.name!r}: no rows are eligible for fitting (the feature table is empty or "
            "every row is excluded from the fit)"
        )
    columns = list(dict.fromkeys([*config.features, *config.profile]))
    frame = samples[["entity_key", *columns]].sort_values("entity_key", kind="stable").reset_index(drop=True)
    return frame, int(samples["eligible_rows"].max())


def sample_fingerprint(frame: pd.DataFrame) -> str:
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashes.tobytes()).hexdigest()


def model_version(config: SegmentationConfig, fingerprint: str) -> str:
    """Same settings, sample and library versions -> same version string."""
    versions = library_versions()
    basis = "|".join([config.to_json(), fingerprint, versions["scikit-learn"], versions["numpy"]])
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


def _rows(section: str, records: list[dict]) -> list[dict]:
    return [{"section": section, **record} for record in records]


def input_distributions(inputs: pd.DataFrame, config: SegmentationConfig) -> list[dict]:
    """Decile edges and shares of every numeric input, category shares of every categorical input."""
    records = []
    for column in config.numeric_features:
        values = inputs[column].to_numpy(dtype=float)
        edges = np.unique(np.quantile(values, np.linspace(0, 1, DISTRIBUTION_BINS + 1)[1:-1]))
        bins = np.searchsorted(edges, values, side="left")  # bin b holds edges[b-1] < v <= edges[b]
        shares = np.bincount(bins, minlength=len(edges) + 1) / len(values)
        for b, share in enumerate(shares):
            upper = float(edges[b]) if b < len(edges) else None
            records.append({"feature_name": column, "input_index": b, "item": "bin_upper", "value": upper})
            records.append({"feature_name": column, "input_index": b, "item": "share", "value": float(share)})
    for column in config.categorical_features:
        shares = inputs[column].value_counts(normalize=True).sort_index()
        for category, share in shares.items():
            records.append(
                {
                    "feature_name": column,
                    "category_value": str(category),
                    "item": "share",
                    "value": float(share),
                }
            )
    return records


@dataclass(frozen=True)
class Sufficiency:
    """What segmentation_sufficiency found for one segmentation before the fit."""

    problems: str = ""
    warnings: str = ""
    unsupported_features: frozenset[str] = frozenset()
    min_segment_size: int = 0

    @classmethod
    def from_table(cls, table: pd.DataFrame | None, name: str, min_segment_size: int) -> Sufficiency:
        if table is None or table.empty or name not in set(table["segmentation_name"]):
            return cls(min_segment_size=min_segment_size)
        row = table.set_index("segmentation_name").loc[name]
        unsupported = frozenset(f.strip() for f in str(row["unsupported_features"] or "").split(",") if f.strip())
        return cls(str(row["problems"] or ""), str(row["warnings"] or ""), unsupported, min_segment_size)

    def check(self, name: str, allowed: bool) -> None:
        """Stop a fit the data cannot support, unless the user allowed it (var allow_insufficient_data)."""
        if not self.problems:
            return
        if not allowed:
            raise ConfigurationError(
                f"segmentation {name!r}: the data cannot support a meaningful segmentation: {self.problems}. "
                "See segmentation_sufficiency; to fit anyway, set the var allow_insufficient_data: true"
            )
        log.warning("segmentation %s: fitting although %s (allow_insufficient_data)", name, self.problems)


def fit_one(
    segmentation: Segmentation,
    config: SegmentationConfig,
    sample: pd.DataFrame,
    eligible_rows: int,
    previous: PreviousModel | None,
    catalogue: pd.DataFrame,
    traits: pd.DataFrame,
    labels: Mapping[str, str],
    artifacts_dir: str,
    reason: str,
    sufficiency: Sufficiency | None = None,
) -> pd.DataFrame:
    """Fit one segmentation on its sample and describe the model as rows."""
    sufficiency = sufficiency or Sufficiency()
    started = time.perf_counter()
    fitted_at = datetime.now(UTC).isoformat(timespec="seconds")
    check_feature_frame(
        sample,
        config.numeric_features,
        config.categorical_features,
        table=f"fit sample of {config.name}",
        name=config.name,
    )
    needed = max(config.k_min, config.n_clusters or 0) + 1
    if len(sample) < needed:
        raise ConfigurationError(
            f"segmentation {config.name!r}: {len(sample)} row(s) available for fitting, fewer than the {needed} "
            f"needed for {config.n_clusters or config.k_min} segments"
        )
    inputs = model_inputs(sample, config.numeric_features, config.categorical_features)
    fingerprint = sample_fingerprint(sample)
    version = model_version(config, fingerprint)
    model = SegmentationModel(**config.estimator_params()).fit(inputs)

    profile = cluster_profile(sample, model.labels_, config.profile)
    personas = match_personas(
        profile[["cluster_id", "feature_name", "standardised_value"]],
        catalogue[catalogue["segmentation_name"] == config.name],
        traits[traits["segmentation_name"] == config.name],
        config.min_match_score,
        dict(labels),
        sufficiency.unsupported_features,
    )
    identities, vanished = assign_ids(
        wide_z(profile),
        previous.profile if previous is not None else None,
        config.name,
        config.identity_max_distance,
        previous.highest_id_number if previous is not None else 0,
    )
    sizes = np.bincount(model.labels_, minlength=model.n_clusters_)

    paths = ArtifactPaths.for_model(artifacts_dir, config.name, version)
    sidecar = save_model(
        model,
        paths,
        {
            "segmentation_name": config.name,
            "model_version": version,
            "fitted_at": fitted_at,
            "configuration": config.to_json(),
            "feature_list": list(config.features),
            "sample_fingerprint": fingerprint,
            "metrics": model.metrics_,
        },
    )
    metrics = {**model.metrics_, "rows_available": eligible_rows}
    warnings = [sufficiency.warnings] if sufficiency.warnings else []
    if sizes.min() < sufficiency.min_segment_size:
        warnings.append(
            f"the smallest segment has {int(sizes.min())} rows in the fit, fewer than the "
            f"{sufficiency.min_segment_size} of segment_min_segment_size: its profile rests on few rows"
        )
    model_records: list[dict] = [
        {"item": "fitted_at", "text": fitted_at},
        {"item": "fit_seconds", "value": round(time.perf_counter() - started, 3)},
        {"item": "refit_reason", "text": reason},
        {"item": "k_rule", "text": model.k_rule_},
        {"item": "configuration", "text": config.to_json()},
        {"item": "sample_fingerprint", "text": fingerprint},
        {"item": "artifact_sha256", "text": sidecar["artifact_sha256"]},
        {"item": "artifact_path", "text": f"{config.name}/{version}/model.joblib"},
        {
            "item": "library_versions",
            "text": ", ".join(f"{k} {v}" for k, v in sidecar["library_versions"].items()),
        },
        {"item": "previous_model_version", "text": previous.model_version if previous else None},
        {"item": "data_warnings", "text": "; ".join(warnings)},
    ]
    for name in (
        "k",
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "stability_ari",
        "ward_agreement_ari",
        "explained_variance_total",
        "rows_fitted",
        "rows_available",
    ):
        model_records.append({"item": name, "value": metrics[name]})
    k_records = [
        {"k": int(row["k"]), "item": metric, "value": float(row[metric])}
        for _, row in model.k_selection_.iterrows()
        for metric in model.k_selection_.columns
        if metric != "k"
    ]
    persona_records = []
    for row in personas.itertuples(index=False):
        identity = identities[int(row.cluster_id)]
        cluster = int(row.cluster_id)
        persona_records += [
            {"cluster_id": cluster, "item": "persona_id", "text": identity.persona_id},
            {"cluster_id": cluster, "item": "persona_name", "text": row.persona_name},
            {"cluster_id": cluster, "item": "description", "text": row.description},
            {"cluster_id": cluster, "item": "marketing_strategy", "text": row.marketing_strategy},
            {"cluster_id": cluster, "item": "match_score", "value": row.match_score},
            {"cluster_id": cluster, "item": "is_fallback_name", "value": float(bool(row.is_fallback_name))},
            {"cluster_id": cluster, "item": "identity_status", "text": identity.status},
            {"cluster_id": cluster, "item": "identity_distance", "value": identity.distance},
            {"cluster_id": cluster, "item": "fit_share", "value": float(sizes[cluster] / len(sample))},
            {"cluster_id": cluster, "item": "naming_note", "text": row.naming_note},
        ]
    # input_index numbers the vanished personas: several can vanish in one refit.
    persona_records += [
        {"item": "vanished_persona_id", "input_index": position, "text": identifier}
        for position, identifier in enumerate(vanished)
    ]
    profile_records = [
        {"cluster_id": int(r.cluster_id), "feature_name": r.feature_name, "item": item, "value": float(v)}
        for r in profile.itertuples(index=False)
        for item, v in (("mean", r.mean_value), ("z", r.standardised_value))
    ]
    population = sample[list(config.profile)].apply(pd.to_numeric).astype(float)
    profile_records += [
        {"feature_name": column, "item": item, "value": float(value)}
        for column in config.profile
        for item, value in (
            ("population_mean", population[column].mean()),
            ("population_std", population[column].std(ddof=0)),
        )
    ]
    distances = model.transform(inputs)
    own = distances[np.arange(len(inputs)), model.labels_]
    ordered = np.sort(distances, axis=1)
    fit_statistics: list[dict] = [
        {"item": "mean_distance_to_centroid", "value": float(own.mean())},
        {"item": "low_margin_share", "value": float(np.mean((ordered[:, 1] - ordered[:, 0]) < LOW_MARGIN))},
        # Recorded so that the drift check (segment_drift) counts low-margin members with the same bar.
        {"item": "low_margin_threshold", "value": LOW_MARGIN},
    ]
    parameters = parameter_rows(model).to_dict(orient="records")
    evidence = trust_sections(model, inputs, sample, config)
    rows = (
        _rows("model", model_records + fit_statistics)
        + _rows("parameter", parameters)
        + _rows("k_selection", k_records)
        + _rows("persona", persona_records)
        + _rows("fit_profile", profile_records)
        + _rows("input_distribution", input_distributions(inputs, config))
        + [row for section, records in evidence.items() for row in _rows(section, records)]
    )
    frame = pd.DataFrame(rows)
    frame["segmentation_name"] = config.name
    frame["model_version"] = version
    frame["fit_sequence"] = (previous.fit_sequence if previous else 0) + 1
    log.info("segmentation %s: %s; model %s (%s)", config.name, model.k_rule_, version, reason)
    return typed(frame)


# A member whose distance to the second-nearest centroid exceeds its own by less than this (in PCA units)
# sits between two personas; its share is one of the drift figures (docs/modelling.md).
LOW_MARGIN = 0.25


def configs_for(registry: Registry, settings: Mapping[str, Any]) -> dict[str, SegmentationConfig]:
    """Each segmentation's config with the build's settings (vars k_min, k_max, random_state, n_clusters)."""
    global_settings = {k: settings[k] for k in ("k_min", "k_max", "random_state") if settings.get(k) is not None}
    forced = settings.get("n_clusters") or {}
    if not isinstance(forced, Mapping):
        raise ConfigurationError(
            f"var n_clusters must map segmentation names to k (e.g. {{customers: 5}}), got {forced!r}"
        )
    unknown = sorted(set(forced) - set(registry.names))
    if unknown:
        raise ConfigurationError(f"var n_clusters names unknown segmentation(s) {', '.join(unknown)}")
    configs = {}
    for segmentation in registry:
        overrides = dict(global_settings)
        if segmentation.name in forced:
            overrides["n_clusters"] = forced[segmentation.name]
        configs[segmentation.name] = segmentation.config.with_overrides(**overrides)
    return configs


def refit_requests(registry: Registry, refit: Any) -> set[str]:
    """The var refit: false, true / 'all', or a list of segmentation names."""
    if refit in (None, False, "false", "False", "", []):
        return set()
    if refit in (True, "true", "True", "all"):
        return set(registry.names)
    names = [refit] if isinstance(refit, str) else list(refit)
    unknown = sorted(set(names) - set(registry.names))
    if unknown:
        raise ConfigurationError(f"var refit names unknown segmentation(s) {', '.join(unknown)}")
    return set(names)


def fit_segmentations(
    registry: Registry,
    samples: pd.DataFrame,
    previous_fits: pd.DataFrame | None,
    catalogue: pd.DataFrame,
    traits: pd.DataFrame,
    feature_labels: pd.DataFrame,
    artifacts_dir: str,
    settings: Mapping[str, Any] | None = None,
    recommendations: Mapping[str, str] | None = None,
    sufficiency: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Model rows of every segmentation that refits in this build (none for those that keep their model).

    ``sufficiency`` is the table segmentation_sufficiency: a segmentation with problems stops here unless
    ``settings['allow_insufficient_data']``; its unsupported features never name a persona."""
    settings = settings or {}
    configs = configs_for(registry, settings)
    requested = refit_requests(registry, settings.get("refit"))
    previous = previous_models(previous_fits)
    frames = []
    for segmentation in registry:
        config = configs[segmentation.name]
        before = previous.get(segmentation.name)
        reason = refit_decision(
            segmentation,
            config,
            before,
            segmentation.name in requested,
            (recommendations or {}).get(segmentation.name),
        )
        if reason is None:
            # refit_decision keeps a model only where there is one (no stored model is a reason to fit).
            assert before is not None
            log.info("segmentation %s: scoring with stored model %s", segmentation.name, before.model_version)
            continue
        checked = Sufficiency.from_table(
            sufficiency, segmentation.name, int(settings.get("segment_min_segment_size") or 0)
        )
        checked.check(segmentation.name, bool(settings.get("allow_insufficient_data")))
        own = samples[samples["segmentation_name"] == segmentation.name]
        sample, eligible = wide_sample(own, config)
        own_labels = feature_labels[feature_labels["segmentation_name"] == segmentation.name]
        frames.append(
            fit_one(
                segmentation,
                config,
                sample,
                eligible,
                before,
                catalogue,
                traits,
                dict(zip(own_labels["feature_name"], own_labels["feature_label"], strict=True)),
                artifacts_dir,
                reason,
                checked,
            )
        )
    return typed(pd.concat(frames, ignore_index=True)) if frames else empty_fit_frame()
