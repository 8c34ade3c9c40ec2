"""Persona rules from a shallow tree: planted thresholds come back as rules, in words and as working SQL."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from ml.engine.rules import persona_rules


def planted() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"frequency": rng.uniform(0, 20, 3000), "recency_days": rng.uniform(0, 90, 3000)})
    labels = np.where(frame["frequency"] > 10, np.where(frame["recency_days"] <= 30, "loyal", "fading"), "occasional")
    return frame, labels


def test_planted_thresholds_come_back_as_rules_with_their_figures():
    frame, labels = planted()
    rules = persona_rules(frame, labels, random_state=0).set_index("label")
    assert set(rules.index) == {"loyal", "fading", "occasional"}
    assert (rules["coverage"] > 0.97).all() and (rules["fidelity"] > 0.97).all(), rules
    loyal = rules.loc["loyal", "rule_text"]
    assert "frequency >" in loyal and "recency_days <=" in loyal, loyal
    assert rules.loc["occasional", "rule_text"].startswith("frequency <=")


def test_the_sql_of_a_rule_selects_what_the_figures_say():
    frame, labels = planted()
    rules = persona_rules(frame, labels, random_state=0)
    data = frame.assign(label=labels)
    with duckdb.connect() as connection:
        connection.register("members", data)
        for rule in rules.itertuples():
            selected, correct = connection.execute(
                f"select count(*), count(*) filter (where label = ?) from members where {rule.rule_sql}",
                [rule.label],
            ).fetchone()
            assert correct / selected == rule.fidelity
            assert correct / rule.members == rule.coverage


def test_structureless_labels_get_low_figures_not_a_confident_rule():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
    labels = rng.choice(["x", "y", "z"], size=2000)
    rules = persona_rules(frame, labels, random_state=0)
    assert (rules["tree_accuracy"] < 0.5).all()
    assert (rules["fidelity"] < 0.6).all(), rules
