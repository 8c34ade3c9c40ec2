"""Planted truth: one build of synthetic inputs whose groups are known, for every source. The pipeline must
find the groups (ARI at least 0.8), give each the catalogue name of what it is, keep the guardrails quiet
and call the segments strong. test_adding_a_source checks that data without groups is called weak."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.synthetic.events import planted_groups as planted_users
from ml.synthetic.events import write_events
from ml.synthetic.planted import write_planted_customers, write_planted_invoices
from tests.conftest import Build, built_once
from tests.integration.trust_checks import dishonest_names

pytestmark = pytest.mark.integration

N_EVENTS = 400_000
EXPECTED_NAMES = {
    "customers": {
        "premium": "Premium Enthusiasts",
        "parents_on_deals": "Budget-Conscious Parents",
        "digital": "Digital Explorers",
        "budget": "Budget",
    },
    "invoices": {
        "loyal_high_spender": "Loyal High-Spenders",
        "regular": "Potential Loyalists",
        "occasional": "Occasional Buyers",
        "dormant": "Dormant",
    },
    "clickstream": {
        "high_value_loyal": "High-Value Loyal",
        "frequent_browser": "Frequent Browsers",
        "occasional_buyer": "Occasional Buyers",
        "inactive": "Inactive",
    },
}
MEMBERS = {
    "customers": ("customer_personas", "customer_id"),
    "invoices": ("invoice_customer_personas", "customer_id"),
    "clickstream": ("clickstream_customer_personas", "user_id"),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Build, dict[str, pd.DataFrame]]:
    return built_once(tmp_path_factory, "planted", build_planted)


def build_planted(folder: Path) -> tuple[Build, dict[str, pd.DataFrame]]:
    truth = {
        "customers": write_planted_customers(folder / "customers.tsv"),
        "invoices": write_planted_invoices(folder / "invoices.csv"),
        "clickstream": planted_users(N_EVENTS, seed=0),
    }
    write_events(folder / "events", N_EVENTS, files=4, seed=0)
    build = Build(folder / "build").dbt(
        "build",
        dbt_vars={
            "customers_file": str(folder / "customers.tsv"),
            "invoices_file": str(folder / "invoices.csv"),
            "events_path": str(folder / "events" / "*.csv"),
        },
    )
    assert build.returncode == 0, build.output[-4000:]
    return build, truth


@pytest.mark.parametrize("segmentation", list(MEMBERS))
def test_the_planted_groups_are_found_and_named_for_what_they_are(planted, segmentation):
    build, truth = planted
    table, key = MEMBERS[segmentation]
    members = build.query(f"select {key}, persona_name from {table}").merge(truth[segmentation], on=key)
    assert len(members) == len(build.query(f"select {key} from {table}")), "every member has a planted group"
    score = adjusted_rand_score(members["group"], members["persona_name"])
    assert score >= 0.8, (segmentation, score, pd.crosstab(members["group"], members["persona_name"]))
    majority = members.groupby("group")["persona_name"].agg(lambda names: names.value_counts().index[0])
    assert majority.to_dict() == EXPECTED_NAMES[segmentation]
    k = build.query(f"select k, k_rule from segmentation_models where segmentation_name = '{segmentation}'")
    assert k["k"].item() == 4, k["k_rule"].item()


def test_the_guardrails_stay_quiet_and_the_segments_are_called_strong(planted):
    build, _ = planted
    sufficiency = build.query("select * from segmentation_sufficiency")
    assert (sufficiency["problems"] == "").all() and (sufficiency["warnings"] == "").all(), sufficiency.to_dict()
    assert (sufficiency["unsupported_features"] == "").all()
    assert (build.query("select data_warnings from segmentation_models")["data_warnings"] == "").all()
    trust = build.query("select segmentation_name, structure_strength, verdict from segmentation_trust")
    assert (trust["structure_strength"] == "strong").all(), trust.to_dict()
    assert not build.query("select * from persona_stability where is_flagged_unstable").shape[0]
    report = (build.reports / "insights.md").read_text()
    assert report.count("**Strong segments: well separated") == 3 and "Weak segments" not in report


def test_every_planted_name_is_shown_by_its_centroid(planted):
    build, _ = planted
    assert dishonest_names(build) == []
