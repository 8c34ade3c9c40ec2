"""Incremental clickstream builds against random deliveries (issue 16): the hand-made week of
test_clickstream_incremental.py, generalised. From a seed, a few days of events are delivered as files in a
random order and in random batches, with every kind of trouble the incremental build must stay exact under:
late events of earlier days, exact copies (also in files that land before the original), two different
events of one user at one moment, events without a session id that join or bridge inferred sessions, a
session across midnight, bad rows and their copies, a build that brings nothing new, and last a file of
late events only that moves the start of a session without an id into the day before. After each batch the
build is incremental; at the end its tables must equal those of one whole build of all the files, and the
whole build's features those of the pre-issue-16 reference query (bench/clickstream_reference_features.sql),
an implementation that shares no code with the models.

Each seed delivers in one of the three input formats (seed modulo 3): CSV files; Parquet files whose numeric
columns are typed where every value of the file is a number (text otherwise, as an export of a file with a
bad value would be); rows appended to a SQLite table, a batch at a time. Three seeds run in the suite. More:
SMARTCART_RANDOM_DELIVERIES=N runs seeds 0 to N-1 (docs/testing.md). Real dbt builds in subprocesses."""

from __future__ import annotations

import os
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.synthetic.events import generate_events
from tests.conftest import ROOT, Build
from tests.integration.test_clickstream_incremental import COMPARED, INFERRED, ITEMS, SESSION_DAYS, TOTALS, build

TABLES = {
    **COMPARED,
    "session partials": SESSION_DAYS,
    "item partials": ITEMS,
    "user totals": TOTALS,
    "inferred sessions": INFERRED,
    "quarantine": "select regexp_replace(source_file, '.*/', '') as file_name, * exclude (source_file) "
    "from clickstream_event_quarantine order by all",
    "as-of time": "select distinct as_of_at from clickstream_customer_features",
}
REFERENCE = (ROOT / "bench" / "clickstream_reference_features.sql").read_text()


FORMATS = ("csv", "parquet", "sqlite")
# What the builds read in the delivery folder, per format.
EVENTS = {"csv": "*.csv", "parquet": "*.parquet", "sqlite": "events.sqlite"}


def seeds() -> range:
    """Seeds 0 to N-1, N from SMARTCART_RANDOM_DELIVERIES (3 by default: one per format)."""
    text = os.environ.get("SMARTCART_RANDOM_DELIVERIES", "3")
    if not text.strip().isdigit():
        raise ValueError(f"SMARTCART_RANDOM_DELIVERIES={text!r}: the number of seeds to run, a whole number (e.g. 30)")
    return range(int(text))


def event_time(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass
class Delivery:
    """Files (name -> events) and the batches in which they arrive; ``story`` says what was done, for the
    message of a failing seed."""

    files: dict[str, list[pd.DataFrame]]
    batches: list[list[str]] = field(default_factory=list)
    story: list[str] = field(default_factory=list)

    def frame(self, name: str) -> pd.DataFrame:
        return pd.concat(self.files[name], ignore_index=True)


def random_delivery(seed: int) -> Delivery:
    rng = random.Random(seed)
    events = generate_events(rng.randint(2_000, 4_000), days=rng.randint(4, 6), seed=seed).astype(object)
    day = events["event_time"].str[:10]
    days = sorted(day.unique())
    delivery = Delivery({f"events_{d}.csv": [events[day == d]] for d in days})
    names = sorted(delivery.files)

    def pick(frame: pd.DataFrame, n: int = 1) -> pd.DataFrame:
        return frame.sample(n=n, random_state=rng.randrange(2**31))

    def put(frame: pd.DataFrame, after: str | None = None) -> str:
        """Into a random day file (one named after ``after`` when given: a late delivery); returns its name."""
        name = rng.choice([n for n in names if after is None or n > after] or names)
        delivery.files[name].append(frame)
        return name

    def move(name: str, n: int) -> pd.DataFrame:
        """Takes ``n`` random events out of the day file ``name`` (out of its own events, its first part)."""
        taken = pick(delivery.files[name][0], n)
        delivery.files[name][0] = delivery.files[name][0].drop(taken.index)
        return taken

    # Late events: some of an earlier day's events come in a later day's file.
    for late_day in rng.sample(days[:-1], 2):
        late = move(f"events_{late_day}.csv", rng.randint(5, 40))
        delivery.story.append(f"{len(late)} events of {late_day} in {put(late, after=f'events_{late_day}.csv')}")
    # Exact copies, in any file: also in one that lands before the original.
    for _ in range(2):
        copies = pick(events, rng.randint(1, 20))
        delivery.story.append(f"{len(copies)} copies in {put(copies)}")
    # Two different events of one user at one moment (not copies: another product).
    twin = pick(events).assign(product_id=lambda frame: frame["product_id"].astype(int) + 1)
    delivery.story.append(f"a twin event in {put(twin)}")
    # Events without a session id 10 to 70 minutes from one: they join, extend or bridge inferred sessions.
    lonely = events[events["user_session"].isna()]
    for _ in range(2):
        base = pick(lonely).iloc[0]
        minutes = rng.sample([-70, -45, -25, -10, 10, 20, 40, 70], 2)
        moments = [pd.Timestamp(base["event_time"].removesuffix(" UTC")) + pd.Timedelta(minutes=m) for m in minutes]
        bridge = pd.DataFrame([base] * 2).assign(event_time=[event_time(moment) for moment in moments])
        delivery.story.append(f"session-less events {minutes} min from one, in {put(bridge)}")
    # A session across midnight with an id, each half in its own random file.
    midnight = pd.Timestamp(rng.choice(days[1:]))
    pair = pd.DataFrame([pick(events).iloc[0]] * 2).assign(
        event_time=[event_time(midnight + pd.Timedelta(minutes=m)) for m in (-8, 9)]
    )
    delivery.story.append(f"a session across midnight {midnight.date()}: {put(pair.iloc[:1])}, {put(pair.iloc[1:])}")
    # Bad rows, one of them twice.
    spoilers = {
        "unparseable price": {"price": "abc"},
        "negative price": {"price": -3.5},
        "unknown event type": {"event_type": "bogus"},
        "missing user": {"user_id": None},
        "unparseable time": {"event_time": "2019-13-45 99:00:00 UTC"},
    }
    for number, reason in enumerate(rng.sample(sorted(spoilers), 3)):
        bad = pick(events).assign(**spoilers[reason])
        delivery.story.append(f"{reason} in {put(pd.concat([bad] * (1 + (number == 0))))}")
    # Arrival: the day files in a random order (not by name), in batches, one of them empty (a build with
    # nothing new); then a file of late events only. It brings events of the first day and a session-less
    # event at 23:52 whose user's session-less session starts at 00:09 the next day: that session now starts
    # the day before, so the next day must be rebuilt though no new event falls on it.
    order = names[:]
    while order == names:
        rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, len(order)), rng.randint(1, min(3, len(order) - 1))))
    delivery.batches = [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    delivery.batches.insert(rng.randint(1, len(delivery.batches)), [])
    night = pd.Timestamp(rng.choice(days[1:]))
    lonely_pair = pd.DataFrame([pick(lonely).iloc[0]] * 2).assign(
        user_id=999_999_999, event_time=[event_time(night + pd.Timedelta(minutes=m)) for m in (9, -8)]
    )
    delivery.files[f"events_{night.date()}.csv"].append(lonely_pair.iloc[:1])
    late_only = f"events_{days[-1]}_late.csv"
    delivery.files[late_only] = [move(f"events_{days[0]}.csv", 3), lonely_pair.iloc[1:]]
    delivery.batches.append([late_only])
    delivery.story.append(f"a session-less session from 00:09 on {night.date()} starts at 23:52 the day before")
    delivery.story.append(f"batches {delivery.batches}")
    return delivery


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as the text a file would hold, missing values (None, NaN) as null."""
    return values.map(lambda value: None if value is None or value != value else str(value))


def typed(values: pd.Series, kind: str) -> pd.Series:
    """``values`` as the numbers they are (nullable ``kind``), or as text when one of them is not a number."""
    try:
        return pd.Series(pd.array(list(values), dtype=kind), index=values.index)
    except (TypeError, ValueError):
        return as_text(values)


def deliver(frame: pd.DataFrame, folder: Path, name: str, file_format: str) -> None:
    """One file of the delivery into ``folder``, in ``file_format``."""
    if file_format == "csv":
        frame.to_csv(folder / name, index=False)
        return
    if file_format == "parquet":
        numbers = {"product_id": "Int64", "category_id": "Int64", "user_id": "Int64", "price": "Float64"}
        frame = frame.assign(**{column: typed(frame[column], kind) for column, kind in numbers.items()})
        frame.to_parquet(folder / name.replace(".csv", ".parquet"), index=False)
        return
    text = frame.apply(as_text)
    with sqlite3.connect(folder / EVENTS["sqlite"]) as connection:
        text.to_sql("events", connection, if_exists="append", index=False)


def reference_differences(files: Path, built: Build) -> list[str]:
    """The whole build's features against the reference query over the same files: every user, counts
    exactly, averages and shares within floating-point rounding."""
    with duckdb.connect() as connection:
        reference = connection.execute(REFERENCE.replace("{pattern}", str(files / "*.csv")) + " order by user_id").df()
    features = built.query_build_database("select * from clickstream_customer_features order by user_id")
    if not reference["user_id"].equals(features["user_id"]):
        return ["the users differ"]
    differing = []
    for column in reference.columns:
        expected, found = reference[column], features[column]
        if pd.api.types.is_float_dtype(expected):
            same = np.isclose(expected.astype(float), found.astype(float), rtol=1e-9, atol=0, equal_nan=True).all()
        else:
            same = expected.equals(found.astype(expected.dtype))
        if not same:
            differing.append(column)
    return differing


@pytest.mark.parametrize("seed", seeds())
def test_incremental_builds_of_a_random_delivery_equal_one_whole_build(seed, tmp_path):
    delivery, file_format = random_delivery(seed), FORMATS[seed % len(FORMATS)]
    arrived, whole, as_csv = tmp_path / "arrived", tmp_path / "whole", tmp_path / "csv"
    for folder in (arrived, whole, as_csv):
        folder.mkdir()
    # The whole build reads the files in the order they arrived (for SQLite: the same rows, the same rowids).
    for name in (name for batch in delivery.batches for name in batch):
        deliver(delivery.frame(name), whole, name, file_format)
        deliver(delivery.frame(name), as_csv, name, "csv")
    for batch in delivery.batches:
        for name in batch:
            deliver(delivery.frame(name), arrived, name, file_format)
        incremental = build(tmp_path / "incremental", arrived, EVENTS[file_format])
    full = build(tmp_path / "full", whole, EVENTS[file_format])
    differing = [
        name
        for name, sql in TABLES.items()
        if not incremental.query_build_database(sql).equals(full.query_build_database(sql))
    ]
    story = f"seed {seed} ({file_format}): " + "\n".join(delivery.story)
    assert not differing, f"incremental and whole builds differ in {differing}\n{story}"
    against_reference = reference_differences(as_csv, full)
    assert not against_reference, f"features differ from the reference in {against_reference}\n{story}"
