"""The registry: parsed and checked in Python; the dbt macro checks the same keys."""

from __future__ import annotations

import re

from ml import project
from ml.engine import registry


def jinja_key_lists() -> dict[str, list[str]]:
    text = (project.root() / "dbt_project" / "macros" / "registry.sql").read_text()
    body = text[text.index("macro registry_keys") :]
    return {
        block: re.findall(r"'([a-z_]+)'", re.search(rf"'{block}': \[(.*?)\]", body, re.S).group(1))
        for block in ("entry", "input", "model", "member_join", "sufficiency")
    }


def test_the_dbt_macro_and_python_know_the_same_keys():
    keys = jinja_key_lists()
    assert keys["entry"] == list(registry.ENTRY_KEYS)
    assert keys["input"] == list(registry.INPUT_KEYS)
    assert keys["model"] == list(registry.MODEL_KEYS)
    assert keys["member_join"] == list(registry.MEMBER_JOIN_KEYS)
    assert keys["sufficiency"] == list(registry.SUFFICIENCY_KEYS)


def test_the_project_registry_has_the_three_sources():
    segmentations = project.registry()
    assert segmentations.names == ["customers", "invoices", "clickstream"]
    invoices = segmentations.get("invoices")
    assert invoices.config.numeric_features == ("recency_days", "frequency", "monetary")
    assert invoices.config.n_clusters == 4 and invoices.refit_policy == "on_request"
    for segmentation in segmentations:
        assert set(segmentation.key_features) <= set(segmentation.config.profile)
        assert segmentation.members_model in segmentation.published_tables
