"""Segments a marketer can trust, on the bundled data: guardrails, honest names, rules, stability, other
algorithms, and how the report and `smartcart run` show them; and a fit the data cannot support stops."""

from __future__ import annotations

import re

import pytest

from ml import project
from tests.conftest import SMALL_CUSTOMERS, Build
from tests.integration.trust_checks import dishonest_names

pytestmark = pytest.mark.integration

CLAIMS_A_SHORT_SAMPLE_CANNOT_SHOW = ("loyal", "inactive", "dormant", "frequent", "occasional", "lapsed")


def test_every_bundled_persona_name_is_shown_by_its_centroid(bundled_build):
    assert dishonest_names(bundled_build) == []


def test_the_bundled_clickstream_sample_claims_no_loyalty_or_recency(bundled_build):
    row = bundled_build.query("select * from segmentation_sufficiency where segmentation_name = 'clickstream'").iloc[0]
    assert row["span_days"] < 1, "the bundled sample covers under three hours"
    assert {"recency_days", "session_count", "active_days"} <= set(row["unsupported_features"].split(", "))
    assert "hours" in row["warnings"] and row["problems"] == "" and row["is_sufficient"]
    names = bundled_build.query(
        "select persona_name, naming_note from segment_personas where segmentation_name = 'clickstream' "
        "and is_active_model"
    )
    for name in names["persona_name"]:
        assert not any(word in name.lower() for word in CLAIMS_A_SHORT_SAMPLE_CANNOT_SHOW), name
        assert not any(feature in name.lower() for feature in ("session", "recency", "active day", "last visit"))
    assert names["naming_note"].str.len().gt(0).all()
    verdict = bundled_build.query("select verdict from segmentation_trust where segmentation_name = 'clickstream'")
    assert "Data limits: the data spans 2.8 hours" in verdict["verdict"].item()


def test_the_sources_with_weeks_of_history_support_every_feature(bundled_build):
    table = bundled_build.query("select * from segmentation_sufficiency order by segmentation_name").set_index(
        "segmentation_name"
    )
    for name in ("customers", "invoices"):
        assert table.loc[name, "is_span_sufficient"] and table.loc[name, "unsupported_features"] == ""
        assert table.loc[name, "problems"] == "" and table.loc[name, "warnings"] == ""
    assert table.loc["invoices", "span_days"] == pytest.approx(89.36, abs=0.01)
    assert 0 < table.loc["invoices", "history_share"] < 1


def test_each_persona_rule_selects_the_members_it_claims(bundled_build):
    """Run every rule_sql against the fitted rows: the coverage and fidelity it gives are the published ones."""
    rules = bundled_build.query("select * from persona_rules where is_active_model")
    for segmentation in project.registry():
        own = rules[rules["segmentation_name"] == segmentation.name]
        personas = bundled_build.query(
            f"select count(*) as n from segment_personas where segmentation_name = '{segmentation.name}' "
            "and is_active_model"
        )["n"].item()
        assert len(own) == personas
        key, exclude = segmentation.entity_key, segmentation.exclude_column
        fitted = (
            f"select features.*, members.cluster_id as member_cluster from {segmentation.feature_model} as features "
            f"inner join {segmentation.members_model} as members using ({key}) where not features.{exclude}"
        )
        for rule in own.itertuples():
            if rule.rule_sql is None:
                assert rule.coverage == 0
                continue
            counts = bundled_build.query(
                f"select count(*) filter (where member_cluster = {rule.cluster_id} and ({rule.rule_sql})) as hits, "
                f"count(*) filter (where member_cluster = {rule.cluster_id}) as members, "
                f"count(*) filter (where {rule.rule_sql}) as selected from ({fitted})"
            ).iloc[0]
            assert counts["hits"] / counts["members"] == pytest.approx(rule.coverage, abs=0.01), rule
            assert counts["hits"] / counts["selected"] == pytest.approx(rule.fidelity, abs=0.01), rule
            assert rule.fidelity > 0.5, f"{rule.persona_name}: a rule that mostly selects other personas"


def test_stability_k_rule_and_other_algorithms_are_published(bundled_build):
    stability = bundled_build.query("select * from persona_stability where is_active_model")
    assert len(stability) == 9  # 3 + 4 + 2 personas
    assert stability["bootstrap_jaccard"].between(0, 1).all() and (stability["n_bootstrap"] == 20).all()
    assert (stability["is_flagged_unstable"] == (stability["bootstrap_jaccard"] < 0.75)).all()
    bands = stability.set_index("persona_name")
    for name, row in bands.iterrows():
        j = row["bootstrap_jaccard"]
        expected = (
            "highly stable" if j >= 0.85 else "stable" if j >= 0.75 else "doubtful" if j >= 0.6 else "not to be trusted"
        )
        assert row["stability_band"] == expected, name
    models = bundled_build.query("select segmentation_name, k, k_rule from segmentation_models where is_active_model")
    chosen = bundled_build.query("select segmentation_name, min_cluster_jaccard from k_selection where is_chosen")
    for row in models.merge(chosen, on="segmentation_name").itertuples():
        if "every segment is stable" in row.k_rule:
            assert row.min_cluster_jaccard >= 0.75, row
    assert "every segment is stable" in models.set_index("segmentation_name").loc["customers", "k_rule"]
    algorithms = bundled_build.query("select * from algorithm_comparison where is_active_model")
    assert algorithms.groupby("segmentation_name")["algorithm"].apply(sorted).map(tuple).unique().tolist() == [
        ("gaussian_mixture", "hdbscan", "kmeans", "ward")
    ]
    kmeans = algorithms[algorithms["algorithm"] == "kmeans"]
    assert (kmeans["ari_with_model"] == 1).all()
    trust = bundled_build.query("select * from segmentation_trust")
    assert sorted(trust["segmentation_name"]) == ["clickstream", "customers", "invoices"]
    assert trust["structure_strength"].isin(["strong", "moderate"]).all(), trust[["segmentation_name", "verdict"]]


def test_the_report_shows_the_verdict_stability_rules_and_naming(bundled_build):
    report = (bundled_build.reports / "insights.md").read_text()
    assert report.count("### Can these segments be trusted?") == 3
    personas = bundled_build.query("select count(*) as n from persona_profiles")["n"].item()
    assert len(re.findall(r"^- \*\*Stability:\*\* bootstrap Jaccard", report, re.M)) == personas
    assert len(re.findall(r"^- \*\*Rule:\*\* ", report, re.M)) == personas
    assert len(re.findall(r"^- \*\*Confidence:\*\* median margin to the next persona", report, re.M)) == personas
    assert "| kmeans | 2 | 0% | 1.00 |" in report
    assert "Features the data cannot support (no persona name claims them): recency_days, session_count" in report
    assert "built from its own traits: no catalogue persona's required traits are shown" in report
    assert "matched to the catalogue with score" in report


def test_a_fit_the_data_cannot_support_stops_unless_a_var_allows_it(tmp_path):
    few = tmp_path / "few_customers.tsv"
    few.write_text("\n".join(SMALL_CUSTOMERS.read_text().splitlines()[:61]) + "\n")  # 60 customers
    stopped = Build(tmp_path / "stopped").dbt("build", dbt_vars={"customers_file": str(few)})
    assert stopped.returncode != 0
    assert "segmentation 'customers': the data cannot support a meaningful segmentation" in stopped.output
    assert re.search(r"only \d+ row\(s\) can be fitted; at least 100 are needed", stopped.output)
    assert "allow_insufficient_data: true" in stopped.output
    assert not stopped.database.exists(), "nothing is published from a stopped build"

    allowed = Build(tmp_path / "allowed").dbt(
        "build", dbt_vars={"customers_file": str(few), "allow_insufficient_data": True}
    )
    assert allowed.returncode == 0, allowed.output[-3000:]
    row = allowed.query("select * from segmentation_sufficiency where segmentation_name = 'customers'").iloc[0]
    assert not row["is_sufficient"] and row["is_insufficiency_allowed"]
    report = (allowed.reports / "insights.md").read_text()
    assert "Problems (fitted only because allow_insufficient_data is set):** only" in report
