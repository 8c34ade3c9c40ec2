"""The fit step inside dbt (DuckDB): frames in, the long model table out (logic in ml/engine/fitting)."""

from __future__ import annotations

import json

import pandas as pd

from ml.engine.fitting import fit_segmentations
from ml.engine.registry import parse_registry


def previous_recommendations(session, schema: str) -> dict[str, str]:
    """The refit recommendations of the last build (table refit_recommendation), if there is one.

    Read by name, not by ref: it is the previous build's output, and a ref would be a cycle.
    """
    exists = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'refit_recommendation'",
        [schema],
    ).fetchall()[0][0]
    if not exists:
        return {}
    rows = session.execute(
        f'select segmentation_name, reason from "{schema}".refit_recommendation where is_refit_recommended'
    ).fetchall()
    return {name: reason for name, reason in rows}


def fit_model(
    dbt,
    session,
    registry: str,
    settings: str,
    artifacts_dir: str,
    samples,
    catalogue,
    traits,
    feature_labels,
    sufficiency,
) -> pd.DataFrame:
    """``registry`` and ``settings`` are the JSON the model's config renders from the dbt vars."""
    parsed_settings = json.loads(settings)
    segmentations = parse_registry(json.loads(registry))
    previous = session.execute(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    return fit_segmentations(
        segmentations,
        samples.df(),
        previous,
        catalogue.df(),
        traits.df(),
        feature_labels.df(),
        artifacts_dir,
        parsed_settings,
        previous_recommendations(session, dbt.this.schema),
        sufficiency.df(),
    )
