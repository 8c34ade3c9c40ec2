"""Where the cold landing of a clickstream month spends its time: the read, the typing, the rejects table and
the write into the warehouse file, each variant in a fresh DuckDB database (docs/performance.md).

    python bench/clickstream_landing_profile.py --events 10000000

Uses the benchmark's daily CSV files (generated and cached by clickstream_benchmark.py), the CSV reader of
the source clickstream.events as _clickstream__sources.yml declares it, and the landing's typed_select.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clickstream_benchmark import events_folder  # noqa: E402

from ml.dbt_models.landing import LANDING_COLUMNS, TARGET_TYPES, typed_select, with_landing_columns  # noqa: E402

SOURCES = ROOT / "dbt_project" / "models" / "staging" / "clickstream" / "_clickstream__sources.yml"


def csv_reader(pattern: str, store_rejects: bool) -> str:
    """The source's CSV reader (its external_location's last branch) over ``pattern``."""
    text = SOURCES.read_text()
    reader = re.search(r"(read_csv\('\{\{ path \}\}'.*?\))\s*\{%- endif", text, re.S)
    if reader is None:
        raise SystemExit(f"{SOURCES}: no read_csv branch found in external_location")
    sql = " ".join(reader.group(1).split()).replace("{{ path }}", pattern.replace("'", "''"))
    return sql if store_rejects else sql.replace("store_rejects = true, ", "")


def timed(name: str, sql: str, database: str | None) -> None:
    connection = duckdb.connect(database or ":memory:")
    connection.execute("set memory_limit = '3GB'")
    started = time.perf_counter()
    connection.execute(sql)
    if database:
        connection.execute("checkpoint")
    print(f"{name:75s} {time.perf_counter() - started:6.2f} s", flush=True)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    pattern = str(events_folder(args.events, "csv") / "*.csv")

    def landing(store_rejects: bool) -> str:
        # The declared reader gives the kept-on-failure fields their target types (as the landing finds them).
        source = with_landing_columns(csv_reader(pattern, store_rejects), "profile")
        return typed_select(source, TARGET_TYPES, LANDING_COLUMNS)

    with tempfile.TemporaryDirectory() as work:
        without_rejects, with_rejects = (str(Path(work) / f"landing_{n}.duckdb") for n in ("plain", "rejects"))
        variants = [
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
                "the landing's typed select into an in-memory temp table",
                f"create temp table t as {landing(True)}",
                None,
            ),
            (
                "the landing's typed select into the database file, no rejects table",
                f"create table t as {landing(False)}",
                without_rejects,
            ),
            (
                "the same with the rejects table (what the landing does)",
                f"create table t as {landing(True)}",
                with_rejects,
            ),
        ]
        for name, sql, target in variants:
            timed(name, sql, target)


if __name__ == "__main__":
    main()
