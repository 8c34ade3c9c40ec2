"""The registry of segmentations: one declarative entry per segmentation (dbt var ``segmentations``).

The registry lives in dbt_project.yml, so dbt's Jinja (``var('segmentations')``) and Python read the same
YAML. Everything that differs between segmentations outside their staging and feature SQL is an entry
here: the entity key, the feature model, the model inputs and profile features, k settings, the refit
policy, the input file and its dbt source, the published tables, and the report and dashboard sections.
docs/adding_a_source.md walks through a new entry. A key that is not known is an error, never ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ml.engine.config import ConfigurationError, SegmentationConfig

REFIT_POLICIES = ("always", "on_request", "when_recommended")

# Allowed keys per block, with the required ones; the dbt macro `segmentation_entry` checks the same.
ENTRY_KEYS = {
    "title": True,
    "entity_label": True,
    "entity_key": True,
    "feature_model": True,
    "members_model": True,
    "input": True,
    "model": True,
    "profile_features": True,
    "key_features": True,
    "refit_policy": True,
    "published_tables": True,
    "member_joins": False,
    "report": False,
    "dashboard": False,
    "sufficiency": False,
}
SUFFICIENCY_KEYS = {"time_span": True, "history": True, "time_features": False}
INPUT_KEYS = {
    "file_var": True,
    "source": True,
    "accounting_model": True,
    "cli_flag": True,
    "upload_label": True,
}
MODEL_KEYS = {
    "numeric_features": True,
    "categorical_features": False,
    "exclude_column": False,
    "n_clusters": False,
    "min_match_score": False,
    "identity_max_distance": False,
    "n_components": False,
    "algorithm": False,
}
REPORT_KEYS = {"scatter": False, "notes": False, "tables": False}
DASHBOARD_KEYS = {"scatter": False}


MEMBER_JOIN_KEYS = {"model": True, "columns": True, "key": False, "match": False}


def _member_join(join: Mapping[str, Any], where: str) -> MemberJoin:
    _check_keys(join, MEMBER_JOIN_KEYS, where)
    match = join.get("match") or {}
    _check_keys(match, {column: False for column in match}, f"{where}.match")
    return MemberJoin(join["model"], tuple(join["columns"]), join.get("key"), tuple(sorted(match.items())))


def _check_keys(block: Mapping[str, Any], allowed: dict[str, bool], where: str) -> None:
    if not isinstance(block, Mapping):
        raise ConfigurationError(f"{where} must be a mapping, got {type(block).__name__}")
    unknown = sorted(set(block) - set(allowed))
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    missing = [key for key, required in allowed.items() if required and key not in block]
    if missing:
        raise ConfigurationError(f"{where}: missing key(s) {', '.join(missing)}")


@dataclass(frozen=True)
class InputSpec:
    """The raw input of a segmentation: its file var, dbt source, accounting model and CLI flag."""

    file_var: str
    source_name: str
    source_table: str
    accounting_model: str
    cli_flag: str
    upload_label: str


@dataclass(frozen=True)
class MemberJoin:
    """Columns of another model joined to the members table: on `key` (default: the entity key), on the
    rows where every column of `match` has its value (a table shared by several segmentations)."""

    model: str
    columns: tuple[str, ...]
    key: str | None = None
    match: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Segmentation:
    name: str
    title: str
    entity_label: str
    entity_key: str
    feature_model: str
    members_model: str
    input: InputSpec
    config: SegmentationConfig
    exclude_column: str | None
    key_features: tuple[str, ...]
    refit_policy: str
    published_tables: tuple[str, ...]
    member_joins: tuple[MemberJoin, ...] = ()
    report_scatter: tuple[str, str] | None = None
    report_notes: str = ""
    report_tables: tuple[str, ...] = ()
    dashboard_scatter: tuple[str, str] | None = None
    time_features: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def parse_entry(name: str, entry: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Segmentation:
    """One registry entry, checked. ``defaults`` holds the global settings (k_min, k_max, random_state)."""
    where = f"segmentation {name!r} (dbt var segmentations)"
    _check_keys(entry, ENTRY_KEYS, where)
    _check_keys(entry["input"], INPUT_KEYS, f"{where}, input")
    _check_keys(entry["model"], MODEL_KEYS, f"{where}, model")
    _check_keys(entry.get("report") or {}, REPORT_KEYS, f"{where}, report")
    _check_keys(entry.get("dashboard") or {}, DASHBOARD_KEYS, f"{where}, dashboard")
    sufficiency = entry.get("sufficiency") or {}
    if sufficiency:
        _check_keys(sufficiency, SUFFICIENCY_KEYS, f"{where}, sufficiency")
        _check_keys(
            sufficiency["time_span"],
            {"model": True, "column": True, "end_column": False},
            f"{where}, sufficiency.time_span",
        )
        _check_keys(sufficiency["history"], {"feature": True, "min": True}, f"{where}, sufficiency.history")
    if entry["refit_policy"] not in REFIT_POLICIES:
        raise ConfigurationError(
            f"{where}: refit_policy {entry['refit_policy']!r} is not one of {', '.join(REFIT_POLICIES)}"
        )
    source = entry["input"]["source"]
    if not (isinstance(source, list | tuple) and len(source) == 2):
        raise ConfigurationError(f"{where}, input.source must be [source_name, table_name], got {source!r}")
    model = entry["model"]
    config = SegmentationConfig(
        name=name,
        numeric_features=tuple(model["numeric_features"]),
        categorical_features=tuple(model.get("categorical_features") or ()),
        profile_features=tuple(entry["profile_features"]),
        n_clusters=model.get("n_clusters"),
    )
    settings = {
        key: model[key]
        for key in ("min_match_score", "identity_max_distance", "n_components", "algorithm")
        if key in model
    }
    settings.update({k: v for k, v in (defaults or {}).items()})
    config = config.with_overrides(**settings)
    joins = tuple(_member_join(join, f"segmentations.{name}.member_joins") for join in entry.get("member_joins") or ())
    report = entry.get("report") or {}
    dashboard = entry.get("dashboard") or {}
    return Segmentation(
        name=name,
        title=entry["title"],
        entity_label=entry["entity_label"],
        entity_key=entry["entity_key"],
        feature_model=entry["feature_model"],
        members_model=entry["members_model"],
        input=InputSpec(
            file_var=entry["input"]["file_var"],
            source_name=source[0],
            source_table=source[1],
            accounting_model=entry["input"]["accounting_model"],
            cli_flag=entry["input"]["cli_flag"],
            upload_label=entry["input"]["upload_label"],
        ),
        config=config,
        exclude_column=model.get("exclude_column"),
        key_features=tuple(entry["key_features"]),
        refit_policy=entry["refit_policy"],
        published_tables=tuple(entry["published_tables"]),
        member_joins=joins,
        report_scatter=tuple(report["scatter"]) if report.get("scatter") else None,
        report_notes=report.get("notes", ""),
        report_tables=tuple(report.get("tables") or ()),
        dashboard_scatter=tuple(dashboard["scatter"]) if dashboard.get("scatter") else None,
        time_features=tuple(sufficiency.get("time_features") or ()),
        raw=entry,
    )


@dataclass(frozen=True)
class Registry:
    segmentations: dict[str, Segmentation]

    def __iter__(self):
        return iter(self.segmentations.values())

    def __len__(self) -> int:
        return len(self.segmentations)

    @property
    def names(self) -> list[str]:
        return list(self.segmentations)

    def get(self, name: str) -> Segmentation:
        try:
            return self.segmentations[name]
        except KeyError:
            raise ConfigurationError(
                f"no segmentation named {name!r}; known: {', '.join(self.segmentations)}"
            ) from None


def parse_registry(entries: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Registry:
    if not isinstance(entries, Mapping) or not entries:
        raise ConfigurationError("the dbt var segmentations must map segmentation names to entries")
    return Registry({name: parse_entry(name, entry, defaults) for name, entry in entries.items()})
