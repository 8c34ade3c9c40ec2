"""Incremental clickstream features (issue 16): a history landed day by day, with a late file that brings
exact copies of earlier events and late events of earlier days, gives the same partial aggregates, features,
accounting and value inputs as one full build of the same files; and a build rebuilds only the days its new
files touch. Real dbt builds in subprocesses."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.synthetic.events import generate_events
from tests.conftest import SMALL_CUSTOMERS, STAGING_TABLES_LEFT, Build, built_once

COMPARED = {
    "features": "select * exclude (as_of_at) from clickstream_customer_features order by user_id",
    # The two builds read the same files from two folders: compared by file name.
    "accounting": "select regexp_replace(source_file, '.*/', '') as file_name, * exclude (source_file) "
    "from clickstream_event_accounting order by source_file",
    "purchase days": "select * from value_purchase_days where segmentation_name = 'clickstream' order by all",
}
SESSION_DAYS = (
    "select regexp_replace(source_file, '.*/', '') as file_name, * exclude (source_file, day_landed_events, built_at) "
    "from int_clickstream_session_days order by all"
)
ITEMS = (
    "select * exclude (day_landed_events, first_built_at, built_at) from int_clickstream_user_day_items order by all"
)
TOTALS = "select * exclude (partials_built_at) from int_clickstream_user_totals order by user_id"
INFERRED = "select * exclude (key_built_at) from int_clickstream_inferred_sessions order by all"


def day_files(folder: Path) -> dict[str, pd.DataFrame]:
    """A week of events (six days of sessions, some running into a seventh), one file per day, the last one
    late: it also carries exact copies of day-2 events, day-2 events without a session id that fall
    between two inferred sessions of a user, and a day-2 event at 23:50 that joins a day-3 session without
    an id (the day-3 event at 00:10 changes session key, so day 3 must be rebuilt though no file brings it
    an event), and the one event of a user seen on no other day. Day 1 has a user whose two sessions without
    an id start at 01:23:00 and 12:03:00."""
    events = generate_events(40_000, days=6, seed=11)
    day = events["event_time"].str[:10]
    days = sorted(day.unique())
    files = {f"events_{d}.csv": events[day == d] for d in days}
    second = events[day == days[1]]
    copies = second.iloc[::97]
    lonely = second[second["user_session"].isna()].iloc[0]
    bridge = pd.DataFrame([lonely, lonely])
    start = pd.Timestamp(lonely["event_time"].removesuffix(" UTC"))
    # One event 20 minutes after and one 40 minutes after: joins (and extends) the inferred session.
    bridge["event_time"] = [(start + pd.Timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S UTC") for m in (20, 40)]
    # A user of one session-less event at 00:10 on day 3, and a late one at 23:50 on day 2.
    midnight = pd.Timestamp(days[2])
    night = pd.DataFrame([lonely, lonely]).assign(user_id=999_999_999)
    night["event_time"] = [(midnight + pd.Timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S UTC") for m in (10, -10)]
    files[f"events_{days[2]}.csv"] = pd.concat([files[f"events_{days[2]}.csv"], night.iloc[:1]], ignore_index=True)
    # A user of two sessions without an id on day 1, from 01:23:00 and from 12:03:00: session keys written
    # without zero padding (1230 for both times) would make them one.
    unpadded = pd.DataFrame([lonely, lonely]).assign(user_id=999_999_998)
    unpadded["event_time"] = [f"{days[0]} {time} UTC" for time in ("01:23:00", "12:03:00")]
    files[f"events_{days[0]}.csv"] = pd.concat([files[f"events_{days[0]}.csv"], unpadded], ignore_index=True)
    # A user whose only event is on the last day: the other users of that day (sessions that ran past
    # midnight) also have events the day before, so only this one shows that a build updates the users of
    # every day it brings, the last one too.
    newcomer = second[second["user_session"].notna()].iloc[:1].assign(user_id=999_999_997, user_session="newcomer")
    newcomer["event_time"] = f"{days[-1]} 00:30:00 UTC"
    late = f"events_{days[-1]}.csv"
    files[late] = pd.concat([files[late], copies, bridge, night.iloc[1:], newcomer], ignore_index=True)
    folder.mkdir(parents=True, exist_ok=True)
    return files


# The clickstream models and their inputs, with their data tests: the fit, personas and report are the same
# code whatever the features' history, and leaving them out keeps these four builds short.
SELECTED = "+clickstream_customer_features +clickstream_event_accounting +value_purchase_days"


def build(workdir: Path, folder: Path, events: str = "*.csv", builder: type[Build] = Build, *target: str) -> Build:
    """The clickstream models built from ``events`` (a glob or a SQLite file) in ``folder``, by ``builder``
    (a Build class) with the dbt arguments ``target`` (e.g. --target spark)."""
    result = builder(workdir).dbt(
        "build",
        *target,
        "--select",
        SELECTED,
        # Only the tests of selected models (a singular test of the invoices also reads unselected models).
        "--indirect-selection",
        "cautious",
        dbt_vars={"customers_file": str(SMALL_CUSTOMERS), "events_path": str(folder / events)},
    )
    assert result.returncode == 0, result.output[-4000:]
    return result


def unreadable_at_the_same_size(path: Path) -> None:
    """Overwrites a landed file with one line of the same size that no reader takes for events, so a later
    build that read it again would fail or land different rows: a landing reads each file once, when it is
    new (issue 16), and the size check that guards a landed file still sees it unchanged."""
    path.write_bytes(b"x" * (path.stat().st_size - 1) + b"\n")


def rebuilt_days(result: Build, model: str = "int_clickstream_session_days") -> list[str]:
    """The days the last build of ``model`` rebuilt, read from the SQL dbt ran."""
    compiled = next((result.workdir / "target" / "compiled").rglob(f"{model}.sql")).read_text()
    return sorted(set(re.findall(r"cast\('(\d{4}-\d{2}-\d{2})' as date\)", compiled)))


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Build, Build, list[list[str]]]:
    return built_once(tmp_path_factory, "clickstream_incremental", incremental_and_whole_builds)


def incremental_and_whole_builds(
    root: Path, builder: type[Build] = Build, *target: str
) -> tuple[Build, Build, list[list[str]]]:
    """The week's files landed in three incremental builds and in one whole build, by ``builder`` with the
    dbt arguments ``target``; and the days each incremental build rebuilt. Once landed, the first file is
    made unreadable at the same size: the later builds must not read it again."""
    files = day_files(root / "events")
    names = sorted(files)
    incremental_folder, whole_folder = root / "incremental_files", root / "whole_files"
    incremental_folder.mkdir()
    whole_folder.mkdir()
    for name in names:
        files[name].to_csv(whole_folder / name, index=False)
    rebuilt = []
    # Three days, then one more, then the last two (the late file among them).
    for batch in (names[:3], names[3:4], names[4:]):
        for name in batch:
            files[name].to_csv(incremental_folder / name, index=False)
        incremental = build(root / "incremental", incremental_folder, "*.csv", builder, *target)
        rebuilt.append(rebuilt_days(incremental))
        unreadable_at_the_same_size(incremental_folder / names[0])
    whole = build(root / "whole", whole_folder, "*.csv", builder, *target)
    return incremental, whole, rebuilt


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_an_incremental_build_gives_the_same_tables_as_a_full_build(builds, name):
    incremental, whole, _ = builds
    pd.testing.assert_frame_equal(
        incremental.query_build_database(COMPARED[name]), whole.query_build_database(COMPARED[name])
    )


def test_the_partial_aggregates_are_the_same_row_for_row(builds):
    incremental, whole, _ = builds
    for sql in (SESSION_DAYS, ITEMS, TOTALS, INFERRED):
        pd.testing.assert_frame_equal(incremental.query_build_database(sql), whole.query_build_database(sql))


def test_a_build_rebuilds_only_the_days_its_new_files_touch(builds):
    incremental, _, rebuilt = builds
    days = sorted(
        incremental.query_build_database(
            "select distinct cast(event_date as varchar) as d from int_clickstream_session_days"
        )["d"]
    )
    assert len(days) >= 6
    assert rebuilt[0] == []  # the first build reads every day, with no day filter
    # Day 4 only: a session without an id that runs from day 3 into day 4 keeps its key, so day 3 is unchanged.
    assert rebuilt[1] == [days[3]]
    # The last files bring the last days, and copies and late events of day 2; never day 1. Day 3 gets no
    # event, but the late 23:50 event of day 2 changes the session key of its 00:10 event.
    assert {days[1], days[2], *days[4:]} <= set(rebuilt[2]) and days[0] not in rebuilt[2]


def test_user_totals_add_to_what_they_had(builds):
    """The later builds add the values of the item rows first seen since the previous build to each user's
    distinct counts, add the new session rows to the sums and session counts of the users whose new rows are
    all on new days, and re-session only some users (the equality with a full build is the test above; a
    session running from a counted day into a new one is among them); a rebuilt day keeps when its rows were
    first seen."""
    incremental, _, _ = builds
    compiled = incremental.workdir / "target" / "compiled"
    totals = next(compiled.rglob("int_clickstream_user_totals.sql")).read_text()
    assert "counted_items" in totals and "added_sessions" in totals and "resummed_users" in totals
    # Inferred sessions too: only the users with events without a session id on the rebuilt days.
    assert "changed_users" in next(compiled.rglob("int_clickstream_inferred_sessions.sql")).read_text()
    items = incremental.query_build_database(
        "select event_date, min(first_built_at) as first_seen, max(built_at) as built "
        "from int_clickstream_user_day_items group by event_date order by event_date"
    )
    first_build, last_build = items["first_seen"].min(), items["built"].max()
    # Day 2 was built by the first build and rebuilt by the last (the late file): its rows keep the first.
    assert items["first_seen"].iloc[1] == first_build and items["built"].iloc[1] == last_build
    assert items["built"].iloc[0] == first_build  # day 1 was never rebuilt


def test_a_build_database_of_an_older_version_is_brought_up_to_date(builds, tmp_path):
    """User totals built by a version that did not keep the price sums cannot be added to: the next build
    sums every user again, adds the columns, and the totals equal those of a full build. The landing's
    copies that older versions left behind (dbt-duckdb's writer) are dropped, and a landing without the
    files' sizes gets the column (null: those files are not compared)."""
    incremental, whole, _ = builds
    upgraded = tmp_path / "upgraded"
    shutil.copytree(incremental.workdir, upgraded)
    leftover = "raw_clickstream_events__dbt_tmp20261101093000123456"
    with duckdb.connect(str(Build(upgraded).database) + ".build") as connection:
        for column in ("viewed_price_sum", "viewed_prices", "bought_prices"):
            connection.execute(f"alter table int_clickstream_user_totals drop column {column}")
        connection.execute(f"create table {leftover} as select * from raw_clickstream_events limit 10")
        connection.execute("alter table raw_clickstream_events drop column source_file_bytes")
        # Another model's table of a like name is not the landing's to drop.
        connection.execute("create table raw_clickstream_events_dbt_tmp_kept as select 1 as kept")
    rebuilt = build(upgraded, incremental.workdir.parent / "incremental_files")
    tables = set(rebuilt.query_build_database("select table_name from duckdb_tables()")["table_name"])
    assert leftover not in tables and "raw_clickstream_events_dbt_tmp_kept" in tables
    sizes = rebuilt.query_build_database("select count(source_file_bytes) as n from raw_clickstream_events")
    assert sizes["n"].item() == 0
    totals = next((upgraded / "target" / "compiled").rglob("int_clickstream_user_totals.sql")).read_text()
    assert "changed_users" not in totals  # every user, not only the changed ones
    # The added columns come last in the upgraded table.
    pd.testing.assert_frame_equal(
        rebuilt.query_build_database(TOTALS), whole.query_build_database(TOTALS), check_like=True
    )


def test_a_day_whose_landed_events_were_changed_by_hand_is_rebuilt(builds, tmp_path):
    """The landed events per day are counted again from the whole landing on every build
    (int_clickstream_landed_days), not appended per load: rows taken out of the landing by hand change their
    day's count, and the next build, with no new file, rebuilds that day from what is left (the accounting
    test of the build then still adds up)."""
    incremental, _, _ = builds
    edited = tmp_path / "edited"
    shutil.copytree(incremental.workdir, edited)
    with duckdb.connect(str(Build(edited).database) + ".build") as connection:
        # A user of the first day with session ids only: no inferred session changes, so no other day moves.
        day, user = connection.execute(
            "select min(cast(event_at as date)), user_id from raw_clickstream_events group by user_id "
            "having count(*) filter (where user_session is null) = 0 order by 1, 2 limit 1"
        ).fetchone()
        connection.execute(
            "delete from raw_clickstream_events where cast(event_at as date) = ? and user_id = ?", [day, user]
        )
    rebuilt = build(edited, incremental.workdir.parent / "incremental_files")
    assert rebuilt_days(rebuilt) == [str(day)]
    left = rebuilt.query_build_database(
        f"select count(*) as n from int_clickstream_session_days where event_date = '{day}' and user_id = {user}"
    )
    assert left["n"].item() == 0


def test_incremental_landings_leave_no_staging_table_behind(builds):
    """The landing (a Python model) appends its new rows through a temporary table
    (dbt_project/macros/python_models.sql): after its two incremental builds the build database holds no
    `__dbt_tmp` table, where dbt-duckdb's own macro left one persistent copy of the landed rows per build."""
    incremental, _, _ = builds
    leftovers = incremental.query_build_database(STAGING_TABLES_LEFT)
    assert leftovers.empty, leftovers


def test_late_copies_count_against_the_file_they_first_appeared_in(builds):
    incremental, _, _ = builds
    accounting = incremental.query_build_database("select * from clickstream_event_accounting order by source_file")
    assert accounting["events_read"].sum() == accounting["events_landed"].sum()
    # The copies of day-2 events in the late file count against the day-2 file, where they appeared first.
    late, second = accounting.iloc[-1], accounting.iloc[1]
    assert late["events_read"] < late["events_landed"] and second["events_read"] > second["events_landed"]
    assert second["duplicate_events_removed"] >= second["events_read"] - second["events_landed"]
