"""The evidence a marketer needs before trusting a fit, as model rows: how stable each persona is, which
readable rule describes it, and whether other algorithms find the same groups.

Computed once per fit on the model's own points (scaled, projected), on a seeded subsample of at most
``sweep_sample_size`` rows so that the cost does not grow with the sample; the rules use the whole fit
sample in business units. The sections become the tables persona_stability, persona_rules and
algorithm_comparison (docs/modelling.md, "Trusting a segmentation").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.engine.comparison import compare_algorithms
from ml.engine.config import SegmentationConfig
from ml.engine.model import SegmentationModel, seeded_positions
from ml.engine.rules import persona_rules
from ml.engine.stability import cluster_stability

# Offsets of the seeds from the segmentation's random_state, one per use, so no two steps share a stream.
EVIDENCE_SAMPLE_SEED = 3


def trust_sections(
    model: SegmentationModel, inputs: pd.DataFrame, sample: pd.DataFrame, config: SegmentationConfig
) -> dict[str, list[dict]]:
    """Rows of the sections stability (per cluster), rule (per cluster) and comparison (per algorithm)."""
    points = model.project(inputs)
    positions = seeded_positions(len(points), config.sweep_sample_size, config.random_state + EVIDENCE_SAMPLE_SEED)
    labels = model.labels_
    stability = cluster_stability(
        points[positions], labels[positions], config.random_state, n_bootstrap=config.stability_bootstrap
    )
    rules = persona_rules(sample[list(config.numeric_features)], labels, config.random_state)
    comparison = compare_algorithms(
        points[positions], labels[positions], config.random_state, config.k_max, config.algorithm
    )
    return {
        "stability": [
            {"cluster_id": int(row.cluster_id), "item": item, "value": float(getattr(row, item))}
            for row in stability.itertuples(index=False)
            for item in ("bootstrap_jaccard", "bootstrap_jaccard_min", "bootstrap_jaccard_std", "n_bootstrap")
        ]
        + [
            {"cluster_id": int(row.cluster_id), "item": "stability_band", "text": row.stability_band}
            for row in stability.itertuples(index=False)
        ],
        "rule": [
            {"cluster_id": int(row.label), "item": item, "value": _number(getattr(row, item))}
            for row in rules.itertuples(index=False)
            for item in ("coverage", "fidelity", "members", "tree_accuracy", "max_depth")
        ]
        + [
            {"cluster_id": int(row.label), "item": item, "text": getattr(row, item)}
            for row in rules.itertuples(index=False)
            for item in ("rule_text", "rule_sql")
        ],
        # input_index orders the algorithms (the model's own first); text names each on its rows.
        "comparison": [
            {"input_index": position, "item": item, "value": float(getattr(row, item)), "text": row.algorithm}
            for position, row in enumerate(comparison.itertuples(index=False))
            for item in ("groups", "noise_share", "ari_with_model", "points")
        ],
    }


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)
