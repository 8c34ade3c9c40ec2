"""docs/adding_a_source.md, applied step by step to a copy of the project, builds a fourth source."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, SMALL_CUSTOMERS, Build, copy_project

pytestmark = pytest.mark.integration

MARKED_BLOCK = re.compile(r"<!-- (file|append): (\S+) -->\n```[a-z]*\n(.*?)```", re.S)
SPECIAL_BLOCK = re.compile(r"<!-- (var|registry) -->\n```[a-z]*\n(.*?)```", re.S)


def apply_the_guide(project) -> None:
    guide = (ROOT / "docs" / "adding_a_source.md").read_text()
    for action, path, body in MARKED_BLOCK.findall(guide):
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if action == "file":
            target.write_text(body)
        else:
            text = target.read_text()
            target.write_text(text.rstrip("\n") + "\n" + body)
    blocks = dict(SPECIAL_BLOCK.findall(guide))
    settings = project / "dbt_project.yml"
    text = settings.read_text()
    text = text.replace("\nvars:\n", "\nvars:\n" + blocks["var"], 1)
    text = text.replace("\n  segmentations:\n", "\n  segmentations:\n" + blocks["registry"], 1)
    settings.write_text(text)


def app_users(path, seed: int = 0) -> pd.DataFrame:
    """Three planted groups: power users, bargain hunters, lapsed users."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(["power", "bargain", "lapsed"], [150, 250, 200])
    centre = {"power": (9, 90, 3), "bargain": (6, 15, 5), "lapsed": (0.5, 40, 80)}
    rows = np.array([centre[g] for g in groups], dtype=float) * rng.normal(1, 0.12, (len(groups), 3))
    frame = pd.DataFrame(rows.clip(0), columns=["sessions_per_week", "basket_value", "days_since_order"])
    frame.insert(0, "user_id", np.arange(1, len(frame) + 1))
    frame["days_since_order"] = frame["days_since_order"].round().astype(int)
    frame.round(2).to_csv(path, index=False)
    return frame.assign(group=groups)


def app_users_section(build: Build) -> str:
    return (build.reports / "insights.md").read_text().split("## App users")[1].split("\n## ")[0]


def test_the_guide_adds_a_fourth_source_that_builds_and_gets_personas(tmp_path):
    project = copy_project(tmp_path / "project")
    apply_the_guide(project)
    (project / "data" / "raw" / "app").mkdir(parents=True)
    truth = app_users(project / "data" / "raw" / "app" / "app_users.csv")

    build = Build(tmp_path / "build", project=project).dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)})
    assert build.returncode == 0, build.output[-4000:]

    profiles = build.query("select * from persona_profiles where segmentation_name = 'app_users'")
    assert set(profiles["persona_name"]) == {"Power Users", "Bargain Hunters", "Lapsed Users"}
    members = build.query("select user_id, persona_id, persona_name from app_user_personas")
    assert len(members) == len(truth) and members["persona_id"].str.startswith("app_users-p").all()
    named = members.merge(truth[["user_id", "group"]], on="user_id")
    expected = {"power": "Power Users", "bargain": "Bargain Hunters", "lapsed": "Lapsed Users"}
    assert (named["group"].map(expected) == named["persona_name"]).mean() > 0.95
    summary = build.query("select * from run_summary where input_name = 'app_users'").iloc[0]
    assert summary["rows_read"] == summary["entities_scored"] == len(truth)
    assert "## App users" in (build.reports / "insights.md").read_text()
    assert (build.reports / "app_users" / "scatter.png").exists()
    assert "**Strong segments" in app_users_section(build)

    # The same source with no groups at all: the report must call the segments weak, not present them.
    noise = np.random.default_rng(1).normal((5, 50, 40), (1, 10, 8), (600, 3)).clip(0)
    frame = pd.DataFrame(noise, columns=["sessions_per_week", "basket_value", "days_since_order"]).round(2)
    frame.insert(0, "user_id", np.arange(1, len(frame) + 1))
    frame["days_since_order"] = frame["days_since_order"].round().astype(int)
    frame.to_csv(project / "data" / "raw" / "app" / "app_users.csv", index=False)
    rebuilt = build.dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "refit": ["app_users"]})
    assert rebuilt.returncode == 0, rebuilt.output[-4000:]
    trust = build.query("select * from segmentation_trust where segmentation_name = 'app_users'").iloc[0]
    assert trust["structure_strength"] == "weak", trust.to_dict()
    section = app_users_section(build)
    assert "**Weak segments: the data shows no clear groups" in section and "Strong segments" not in section
