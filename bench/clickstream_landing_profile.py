"""Where the cold landing of a clickstream month spends its time: the read, the typing, the rejects table and
the write into the warehouse file (for Parquet: the typed read and the write), each variant in a fresh DuckDB
database (docs/performance.md). Then the floor of the partial-aggregate design against the benchmark's bare
aggregation: the session and item partials computed straight from the files, with no landing and none of the
staging rules (no quarantine, no duplicate removal, no inferred sessions), so that no build of those partials
can be cheaper. Each step prints its wall time and the CPU time of the process (DuckDB's threads included):
their ratio is how many cores the step kept busy.

    python bench/clickstream_landing_profile.py --events 10000000
    python bench/clickstream_landing_profile.py --events 10000000 --format parquet
    python bench/clickstream_landing_profile.py --events 10000000 --write-by-column

--write-by-column times only the write: the landing's typed select of the CSV files is held in memory once,
then written into a fresh database file whole, whole with DuckDB's preserve_insertion_order off, and one
column at a time (what each column of the landing costs to store).

Uses the benchmark's daily CSV (or Parquet) files (generated and cached by clickstream_benchmark.py), the CSV
and Parquet readers of the source clickstream.events as _clickstream__sources.yml declares them, and the
landing's typing.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clickstream_benchmark import BARE_AGGREGATION, bare_reader, events_folder  # noqa: E402

from ml.dbt_models.landing import (  # noqa: E402
    KEEP_TEXT_ON_FAILURE,
    LANDING_COLUMNS,
    TARGET_TYPES,
    TYPED,
    typed_select,
    with_landing_columns,
)

SOURCES = ROOT / "dbt_project" / "models" / "staging" / "clickstream" / "_clickstream__sources.yml"


# The landing's columns that every event of a CSV file leaves null: the reader types the kept-on-failure fields
# (no text to keep), only a rejected line has an error and its text, and only SQLite rows have a row number.
NULL_FOR_CSV_EVENTS = ["source_row", "landing_error", "rejected_line"] + [f"{c}_raw" for c in KEEP_TEXT_ON_FAILURE]


# A read of every column that writes nothing: a count would let DuckDB skip the columns it does not need.
EVERY_COLUMN_HASHED = "select sum(hash(columns(*)) % 7) from {}"


def source_reader(pattern: str, function: str, branch_end: str) -> str:
    """The reader the source clickstream.events declares (a branch of its external_location: ``function``
    up to ``branch_end``) over ``pattern``."""
    text = SOURCES.read_text()
    reader = re.search(rf"({function}\('\{{\{{ path \}}\}}'.*?\))\s*\{{%- {branch_end}", text, re.S)
    if reader is None:
        raise SystemExit(f"{SOURCES}: no {function} branch found in external_location")
    return " ".join(reader.group(1).split()).replace("{{ path }}", pattern.replace("'", "''"))


def csv_reader(pattern: str, store_rejects: bool) -> str:
    """The source's CSV reader (its external_location's last branch) over ``pattern``."""
    sql = source_reader(pattern, "read_csv", "endif")
    return sql if store_rejects else sql.replace("store_rejects = true, ", "")


# The partial models' groupings (int_clickstream_session_days, int_clickstream_user_day_items) over the typed
# reader: the same rows per event day, without what the models add to them (copies, inferred sessions, the
# time-of-day mix, first file).
SESSION_PARTIALS = """
select cast(event_time as date) as event_date, user_id, user_session, min(event_time) as first_event_at,
    max(event_time) as last_event_at, count(*) as event_count,
    count(*) filter (where event_type = 'view') as view_count,
    count(*) filter (where event_type = 'cart') as cart_count,
    count(*) filter (where event_type = 'remove_from_cart') as remove_count,
    count(*) filter (where event_type = 'purchase') as purchase_count,
    sum(cast(price as decimal(18, 2))) filter (where event_type = 'purchase') as purchase_revenue,
    sum(cast(price as decimal(18, 2))) filter (where event_type = 'view') as viewed_price_sum
from {reader}
group by all
"""
ITEM_PARTIALS = """
select distinct cast(event_time as date) as event_date, user_id, product_id, category_id,
    coalesce(brand, 'unknown') as brand
from {reader}
"""


# Per-user totals from those partials: sums over the session rows, distinct counts over the item rows.
USER_TOTALS = """
select sessions.*, items.distinct_products, items.distinct_categories, items.distinct_brands, items.active_days
from (
    select user_id, count(distinct user_session) as session_count, sum(event_count) as event_count,
        sum(view_count) as view_count, sum(cart_count) as cart_count, sum(remove_count) as remove_count,
        sum(purchase_count) as purchase_count, sum(purchase_revenue) as purchase_revenue,
        sum(viewed_price_sum) as viewed_price_sum, min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at
    from sessions.t group by user_id
) as sessions
inner join (
    select user_id, count(distinct product_id) as distinct_products, count(distinct category_id) as distinct_categories,
        count(distinct brand) as distinct_brands, count(distinct event_date) as active_days
    from items.t group by user_id
) as items
    on sessions.user_id = items.user_id
"""


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread (DuckDB's too), user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(name: str, sql: str, database: str | None, attach: tuple[str, ...] = ()) -> None:
    connection = duckdb.connect(database or ":memory:")
    connection.execute("set memory_limit = '3GB'")
    for path in attach:  # read-only inputs, named after their file (sessions, items)
        connection.execute(f"attach '{path}' as {Path(path).stem} (read_only)")
    started, cpu_started = time.perf_counter(), cpu_seconds()
    connection.execute(sql)
    if database:
        connection.execute("checkpoint")
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    rows = connection.execute("select count(*) from t").fetchone()[0] if sql.startswith("create") else None
    written = f"{rows:>12,} rows" if rows is not None else ""
    # CPU over wall time: how many of the machine's cores the step kept busy (DuckDB runs in this process).
    print(f"{name:75s} {seconds:6.2f} s  cpu {cpu:6.2f} s ({cpu / seconds:.2f} cores) {written}", flush=True)
    connection.close()


def csv_landing(pattern: str, store_rejects: bool) -> str:
    """The landing's typed select of the CSV files. The declared reader gives the kept-on-failure fields their
    target types (as the landing finds them)."""
    source = with_landing_columns(csv_reader(pattern, store_rejects), "profile")
    return typed_select(source, TARGET_TYPES, LANDING_COLUMNS)


def landing_variants(pattern: str, work: Path) -> list[tuple[str, str, str | None]]:
    """The landing's read, typing, rejects table and write of the CSV files, step by step."""

    return [
        (
            "count the rows through the typed reader, no rejects table",
            f"select count(*) from {csv_reader(pattern, False)}",
            None,
        ),
        (
            "every column into an in-memory temp table, no rejects table",
            f"create temp table t as select * from {csv_reader(pattern, False)}",
            None,
        ),
        (
            "the same with the rejects table",
            f"create temp table t as select * from {csv_reader(pattern, True)}",
            None,
        ),
        (
            "the landing's typed select, every column hashed (written nowhere)",
            EVERY_COLUMN_HASHED.format(f"({csv_landing(pattern, True)})"),
            None,
        ),
        (
            "the landing's typed select into an in-memory temp table",
            f"create temp table t as {csv_landing(pattern, True)}",
            None,
        ),
        (
            "the landing's typed select into the database file, no rejects table",
            f"create table t as {csv_landing(pattern, False)}",
            str(work / "plain.duckdb"),
        ),
        (
            "the same with the rejects table (what the landing does)",
            f"create table t as {csv_landing(pattern, True)}",
            str(work / "rejects.duckdb"),
        ),
        (
            "the same without the columns every CSV event leaves null",
            f"create table t as select * exclude ({', '.join(NULL_FOR_CSV_EVENTS)}) "
            f"from ({csv_landing(pattern, True)})",
            str(work / "narrow.duckdb"),
        ),
    ]


def parquet_landing_variants(pattern: str, work: Path) -> list[tuple[str, str, str | None]]:
    """The landing's typed read of the Parquet files (the source's reader, their own types), then its write."""
    reader = source_reader(pattern, "read_parquet", "else")
    with duckdb.connect() as connection:
        found = connection.sql(f"select * from {reader} limit 0")
        types = {name: str(kind) for name, kind in zip(found.columns, found.types, strict=True)}
    landing = typed_select(with_landing_columns(reader, "profile"), types, LANDING_COLUMNS)
    return [
        ("the files' own columns, every column hashed", EVERY_COLUMN_HASHED.format(reader), None),
        ("the landing's typed select, every column hashed", EVERY_COLUMN_HASHED.format(f"({landing})"), None),
        ("the landing's typed select into an in-memory temp table", f"create temp table t as {landing}", None),
        (
            "the landing's typed select into the database file (what the landing does)",
            f"create table t as {landing}",
            str(work / "landing.duckdb"),
        ),
    ]


def floor_variants(pattern: str, file_format: str, work: Path) -> list[tuple[str, str, str | None]]:
    """The bare aggregation, then the session and item partials straight from the files (the user totals
    follow in main, from these two databases)."""
    files = bare_reader(pattern, file_format)
    if file_format == "parquet":
        # The export's time is text in its Parquet files too: typed as the landing types it.
        event_at = TYPED["event_time"][1].format(v="event_time")
        typed_reader = f"(select * replace ({event_at} as event_time) from {files})"
    else:
        typed_reader = csv_reader(pattern, False)
    return [
        (
            "the benchmark's bare aggregation (one group-by per user)",
            f"create temp table t as {BARE_AGGREGATION.format(reader=files)}",
            None,
        ),
        (
            "session partials straight from the files into the database file",
            f"create table t as {SESSION_PARTIALS.format(reader=typed_reader)}",
            str(work / "sessions.duckdb"),
        ),
        (
            "item partials straight from the files into the database file",
            f"create table t as {ITEM_PARTIALS.format(reader=typed_reader)}",
            str(work / "items.duckdb"),
        ),
    ]


def write_by_column(pattern: str, work: Path) -> None:
    """The landing's typed select of the CSV files held in memory, then written into fresh database files:
    every column, every column without keeping the insertion order, then each column alone."""
    connection = duckdb.connect()
    connection.execute("set memory_limit = '3GB'")
    connection.execute(f"create table landed as {csv_landing(pattern, True)}")
    columns = [row[0] for row in connection.execute("describe landed").fetchall()]
    whole = ("every column", "*", True)
    variants = [whole, whole, ("every column, insertion order not kept", "*", False)]
    variants += [(f"only {column}", column, True) for column in columns]
    for number, (name, selected, keep_order) in enumerate(variants):
        database = work / f"write_{number}.duckdb"
        connection.execute(f"attach '{database}' as target")
        connection.execute(f"set preserve_insertion_order = {str(keep_order).lower()}")
        started = time.perf_counter()
        connection.execute(f"create table target.t as select {selected} from landed")
        connection.execute("checkpoint target")
        seconds = time.perf_counter() - started
        connection.execute("detach target")
        database.unlink()
        print(f"write {name:69s} {seconds:6.2f} s", flush=True)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="parquet: the landing's typed read and write, then the floor",
    )
    parser.add_argument(
        "--write-by-column",
        action="store_true",
        help="CSV only: the write of the landing's typed select alone, whole and one column at a time",
    )
    args = parser.parse_args()
    if args.write_by_column and args.format != "csv":
        parser.error("--write-by-column profiles the CSV landing")
    pattern = str(events_folder(args.events, args.format) / f"*.{args.format}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if args.write_by_column:
            write_by_column(pattern, work)
            return
        variants = landing_variants(pattern, work) if args.format == "csv" else parquet_landing_variants(pattern, work)
        for name, sql, target in variants + floor_variants(pattern, args.format, work):
            timed(name, sql, target)
        timed(
            "user totals from those partials into the database file",
            f"create table t as {USER_TOTALS}",
            str(work / "totals.duckdb"),
            (str(work / "sessions.duckdb"), str(work / "items.duckdb")),
        )


if __name__ == "__main__":
    main()
