"""What the dashboard reads: the published warehouse only, read-only, one short connection per query.

The published file is replaced by an atomic rename at the end of a successful build, so a query sees the
old tables or the new ones, never the build database (docs/publishing.md). Which tables belong to which
segmentation comes from the registry.
"""

from __future__ import annotations

import pandas as pd

from ml import project
from ml.apps import warehouse
from ml.engine.registry import Segmentation

SAMPLE_ROWS = 20_000


def registry():
    return project.registry()


def read(sql: str, database: str | None = None, parameters: list | None = None) -> pd.DataFrame:
    return warehouse.read_frame(sql, database, parameters)


def available(database: str | None = None) -> list[str]:
    """The segmentations with personas in the published warehouse, in registry order."""
    try:
        built = set(read("select distinct segmentation_name from persona_profiles", database)["segmentation_name"])
    except warehouse.NotBuiltError:
        return []
    return [name for name in registry().names if name in built]


def value_sources(database: str | None = None) -> list[str]:
    """The segmentations whose sources have purchases (a clv_sufficiency row), in registry order."""
    names = set(warehouse.customer_value_status(database)["segmentation_name"])
    return [name for name in registry().names if name in names]


def profiles(name: str, database: str | None = None) -> pd.DataFrame:
    return read(
        "select * from persona_profiles where segmentation_name = ? order by member_count desc, persona_name",
        database,
        [name],
    )


def feature_profiles(name: str, database: str | None = None) -> pd.DataFrame:
    return read("select * from persona_feature_profiles where segmentation_name = ?", database, [name])


def build_info(database: str | None = None) -> pd.DataFrame:
    """The published build: when, from which files (run_summary rows of the last published run)."""
    return read(
        """
        select input_name, file_path, left(file_sha256, 12) as file_sha256_prefix, run_started_at,
               rows_read, rows_quarantined, entities_scored
        from run_summary
        where run_id = (select run_id from run_summary where outcome = 'published'
                        order by run_started_at desc limit 1)
        order by input_name
        """,
        database,
    )


def k_selection(name: str, database: str | None = None) -> pd.DataFrame:
    return read(
        "select * from k_selection where segmentation_name = ? and is_active_model order by k",
        database,
        [name],
    )


def _order(segmentation: Segmentation) -> str:
    key = segmentation.entity_key
    return f"order by md5(cast({key} as varchar)), {key}"


def feature_sample(name: str, database: str | None = None) -> pd.DataFrame:
    """A deterministic sample of the feature table (for re-clustering and the score form's defaults)."""
    segmentation = registry().get(name)
    return read(f'select * from "{segmentation.feature_model}" {_order(segmentation)} limit {SAMPLE_ROWS}', database)


def member_points(name: str, database: str | None = None, limit: int = 5_000) -> pd.DataFrame:
    """Persona, PCA coordinates and the scatter features of a deterministic sample of members."""
    segmentation = registry().get(name)
    scatter = list(segmentation.dashboard_scatter or ())
    columns = ", ".join(dict.fromkeys(["persona_id", "persona_name", "pc1", "pc2", "pc3", *scatter]))
    return read(
        f'select {columns} from "{segmentation.members_model}" {_order(segmentation)} limit {int(limit)}',
        database,
    )


def persona_members(name: str, persona_id: str, database: str | None = None) -> pd.DataFrame:
    """Every member of one persona (the campaign list a marketer downloads)."""
    segmentation = registry().get(name)
    return read(
        f'select * from "{segmentation.members_model}" where persona_id = ? order by {segmentation.entity_key}',
        database,
        [persona_id],
    )


def _optional(sql: str, database: str | None, parameters: list) -> pd.DataFrame:
    """A table a warehouse published before the trust evidence existed lacks: an empty frame then."""
    try:
        return read(sql, database, parameters)
    except warehouse.NotBuiltError:
        return pd.DataFrame()


def trust(name: str, database: str | None = None) -> pd.DataFrame:
    """The verdict on the segmentation with the data guardrails it was fitted under (one row or none)."""
    return warehouse.segmentation_verdicts(database, name)


def persona_evidence(name: str, database: str | None = None) -> pd.DataFrame:
    """Per persona of the active model: stability, its rule, and why it has its name; indexed by persona_id."""
    frame = _optional(
        "select personas.persona_id, personas.persona_name, personas.naming_note, stability.bootstrap_jaccard, "
        "stability.stability_band, stability.is_flagged_unstable, rules.rule_text, rules.coverage, rules.fidelity "
        "from segment_personas as personas "
        "left join persona_stability as stability using (segmentation_name, model_version, cluster_id) "
        "left join persona_rules as rules using (segmentation_name, model_version, cluster_id) "
        "where personas.segmentation_name = ? and personas.is_active_model order by personas.persona_id",
        database,
        [name],
    )
    return frame.set_index("persona_id") if len(frame) else frame


def algorithm_comparison(name: str, database: str | None = None) -> pd.DataFrame:
    return _optional(
        "select algorithm, groups_found, noise_share, ari_with_model, points_compared from algorithm_comparison "
        "where segmentation_name = ? and is_active_model order by algorithm_order",
        database,
        [name],
    )
