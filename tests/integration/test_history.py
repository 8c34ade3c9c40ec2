"""Segments over time, on time slices of the bundled data, in one warehouse built run after run:

run 1  customers (small fixture), invoices of December-January, clickstream events before 01:30
run 2  the same files with --full-refresh: drift stays quiet, nobody moves, run 1 is kept
blocked  a customer export missing a column: stops, appends nothing
run 3  customers with four times the wine spend (a planted shift), invoices December-February, all events
run 4  the same files: customers refit because run 3 recommended it (policy when_recommended); invoices
       (on_request) keep their model
run 5  the same files with another seed: every segmentation refits, and persona ids stay with their groups
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import (
    BUNDLED_INVOICES,
    ROOT,
    SMALL_CUSTOMERS,
    STAGING_TABLES_LEFT,
    Build,
    built_once,
    copy_of,
)

pytestmark = pytest.mark.timeout(1800)

EVENTS = ROOT / "data" / "raw" / "clickstream" / "rees46_2019-Oct_head.csv"


def invoices_until(path: Path, last_month: int) -> Path:
    """The bundled invoices (Dec 2010 - Feb 2011) up to the end of ``last_month`` (1 = January)."""
    with open(BUNDLED_INVOICES, newline="", encoding="utf-8") as source, open(path, "w", newline="") as target:
        reader, writer = csv.reader(source), csv.writer(target)
        writer.writerow(next(reader))
        for row in reader:
            month = int(row[4].split("/")[0])
            if month == 12 or month <= last_month:
                writer.writerow(row)
    return path


def events_before(path: Path, time_of_day: str) -> Path:
    lines = EVENTS.read_text().splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line[11:19] < time_of_day]
    path.write_text("\n".join(kept) + "\n")
    return path


def customers_with_more_wine(path: Path, factor: int) -> Path:
    frame = pd.read_csv(SMALL_CUSTOMERS, sep="\t", dtype=str, keep_default_na=False)
    frame["MntWines"] = (frame["MntWines"].astype(int) * factor).astype(str)
    frame.to_csv(path, sep="\t", index=False)
    return path


class Runs:
    def __init__(self, build: Build):
        self.build = build
        self.ids: list[str] = []

    def run(self, files: dict, *flags: str, **extra_vars) -> str:
        result = self.build.dbt("build", *flags, dbt_vars={**files, **extra_vars})
        assert result.returncode == 0, result.output[-4000:]
        run_id = self.build.query("select run_id from run_summary order by run_started_at desc, run_id limit 1")
        self.ids.append(run_id["run_id"][0])
        return self.ids[-1]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, list[str], dict]:
    return built_once(tmp_path_factory, "history", five_runs_and_a_blocked_one)


def five_runs_and_a_blocked_one(folder: Path) -> tuple[Build, list[str], dict]:
    early = {
        "customers_file": str(SMALL_CUSTOMERS),
        "invoices_file": str(invoices_until(folder / "invoices_dec_jan.csv", 1)),
        "events_path": str(events_before(folder / "events_early.csv", "01:30:00")),
    }
    later = {
        "customers_file": str(customers_with_more_wine(folder / "customers_more_wine.tsv", 4)),
        "invoices_file": str(BUNDLED_INVOICES),
        "events_path": str(EVENTS),
    }
    runs = Runs(Build(folder / "build"))
    runs.run(early)
    runs.run(early, "--full-refresh")
    broken = folder / "customers_broken.tsv"
    pd.read_csv(SMALL_CUSTOMERS, sep="\t").drop(columns=["Income"]).to_csv(broken, sep="\t", index=False)
    blocked = runs.build.dbt("build", dbt_vars={**early, "customers_file": str(broken)})
    assert blocked.returncode != 0
    runs.run(later)
    runs.run(later)
    runs.run(later, random_state=7)
    return runs.build, runs.ids, {"blocked_output": blocked.output}


def test_every_build_appends_every_scored_entity_once(history):
    build, ids, _ = history
    counts = build.query(
        "select run_id, segmentation_name, count(*) as n, count(distinct entity_key) as keys "
        "from persona_membership_history group by all"
    )
    assert set(counts["run_id"]) == set(ids), "five runs kept, none of the blocked build, run 1 despite --full-refresh"
    scored = build.query("select run_id, input_name as segmentation_name, entities_scored from run_summary")
    merged = counts.merge(scored, on=["run_id", "segmentation_name"])
    assert (
        len(merged) == 15 and (merged["n"] == merged["entities_scored"]).all() and (merged["n"] == merged["keys"]).all()
    )
    with duckdb.connect(str(build.database) + ".build", read_only=True) as connection:
        runs_kept = connection.execute("select count(distinct run_id) from persona_membership_history").fetchall()[0][0]
    assert runs_kept == 5, "the blocked build left nothing in the build database either"


def test_migrations_account_for_both_runs_of_every_pair(history):
    build, ids, _ = history
    migrations = build.query("select * from persona_migrations")
    sizes = build.query("select run_id, segmentation_name, count(*) as n from persona_membership_history group by all")
    size = {(r.run_id, r.segmentation_name): r.n for r in sizes.itertuples()}
    pairs = migrations.groupby(["segmentation_name", "previous_run_id", "run_id"])
    assert len(pairs) == 3 * 4
    for (name, previous, current), rows in pairs:
        assert rows.loc[rows["from_persona_id"] != "(new)", "entity_count"].sum() == size[(previous, name)]
        assert rows.loc[rows["to_persona_id"] != "(gone)", "entity_count"].sum() == size[(current, name)]
        assert abs(rows["share_of_entities"].sum() - 1) < 1e-9
    same_data = migrations[migrations["run_id"] == ids[1]]
    assert same_data["is_same_persona"].all(), "identical inputs: nobody moves"
    february = migrations[(migrations["run_id"] == ids[2]) & (migrations["segmentation_name"] == "invoices")]
    assert february.loc[february["from_persona_id"] == "(new)", "entity_count"].sum() > 0, "February's new customers"
    assert february.loc[february["to_persona_id"] == "(gone)", "entity_count"].sum() == 0


def test_drift_flags_the_planted_shift_and_stays_quiet_without_one(history):
    build, ids, _ = history
    drift = build.query("select * from segment_drift")
    assert not drift.loc[drift["run_id"] == ids[1], "is_flagged"].any(), "same data as the fit: no flag"
    shifted = drift[(drift["run_id"] == ids[2]) & (drift["segmentation_name"] == "customers")]
    flagged = set(shifted.loc[shifted["is_flagged"] & (shifted["metric"] == "input_psi"), "subject"])
    assert {"spend_total", "spend_wines_share"} <= flagged
    assert "income" not in flagged and "age_years" not in flagged, "only what was shifted"
    recommendation = build.query("select * from refit_recommendation where segmentation_name = 'customers'")
    # The last build refitted on the shifted data: quiet again.
    assert not recommendation["is_refit_recommended"][0]


def test_refit_follows_each_segmentations_policy(history):
    build, ids, _ = history
    models = build.query(
        "select segmentation_name, model_version, refit_reason from segmentation_models order by fit_sequence"
    )
    reasons = models.groupby("segmentation_name")["refit_reason"].apply(list).to_dict()
    assert any("recommended by the last build" in reason for reason in reasons["customers"])
    assert not any("recommended" in reason for reason in reasons["invoices"]), "on_request waits for --refit"
    history_versions = build.query(
        "select run_id, segmentation_name, any_value(model_version) as v from persona_membership_history group by all"
    )
    version = {(r.run_id, r.segmentation_name): r.v for r in history_versions.itertuples()}
    assert version[(ids[3], "customers")] != version[(ids[2], "customers")]
    assert version[(ids[3], "invoices")] == version[(ids[2], "invoices")]


def test_persona_ids_stay_with_their_groups_through_a_refit_with_another_seed(history):
    build, ids, _ = history
    migrations = build.query(f"select * from persona_migrations where run_id = '{ids[4]}'")
    for name, rows in migrations.groupby("segmentation_name"):
        assert rows["model_version"].iloc[0] != rows["previous_model_version"].iloc[0], f"{name} refitted"
        before = dict(zip(rows["from_persona_id"], rows["from_persona_name"], strict=True))
        after = dict(zip(rows["to_persona_id"], rows["to_persona_name"], strict=True))
        assert before == after, f"{name}: the same groups keep their ids and names"
        stayed = rows.loc[rows["is_same_persona"], "entity_count"].sum() / rows["entity_count"].sum()
        # Customers and clickstream were last fitted on these same files (run 4): only the seed changed.
        # Invoices were last fitted on December-January (run 1): boundaries move with February's data.
        assert stayed >= (0.9 if name != "invoices" else 0.75), f"{name}: only {stayed:.0%} kept their persona id"


def test_the_published_tables_and_the_run_printout(history):
    build, _, _ = history
    assert {
        "persona_membership_history",
        "persona_migrations",
        "segment_drift",
        "refit_recommendation",
    } <= build.tables()
    printed = build.smartcart("personas")  # reads the published warehouse
    assert printed.returncode == 0


def test_the_builds_leave_no_staging_table_behind(history):
    """The incremental Python models (the landing, which lands new events in these runs, and the fits, which
    refit) append through staging tables that no build leaves in the build database
    (dbt_project/macros/python_models.sql); dbt-duckdb's own writer left one per build and model."""
    build, _, _ = history
    leftovers = build.query_build_database(STAGING_TABLES_LEFT)
    assert leftovers.empty, leftovers


def test_only_the_explicit_var_prunes_the_history(small_build, tmp_path):
    """Its own warehouse: pruning changes what the shared history above holds. Run 1 is the small build."""
    build = copy_of(small_build, tmp_path / "build")
    files = {"customers_file": str(SMALL_CUSTOMERS)}
    for extra in ({}, {"history_keep_runs": 2}):
        assert build.dbt("build", dbt_vars={**files, **extra}).returncode == 0, build.output[-3000:]
    runs = build.query(
        "select segmentation_name, count(distinct run_id) as runs from persona_membership_history group by all"
    )
    assert (runs["runs"] == 2).all(), runs
    drift_runs = build.query("select count(distinct run_id) as runs from segment_drift")["runs"][0]
    assert drift_runs == 2
    typo = build.dbt("build", dbt_vars={**files, "history_keep_runs": "two"})
    assert typo.returncode != 0 and "history_keep_runs" in typo.output
