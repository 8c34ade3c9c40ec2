"""Landing clickstream events: new files of a path or glob (CSV or Parquet), or new rows of a SQLite table.

Incremental by design: a file already landed (by name) is not read again, and SQLite rows are read from
the last landed rowid on, so adding a day's or a month's file costs the new events only. SQLite is read
with Python's sqlite3 (no DuckDB extension has to be downloaded at run time).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa

COLUMNS = [
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
]
SQLITE_SUFFIXES = {".db", ".sqlite", ".sqlite3"}
SQLITE_BATCH_ROWS = 500_000


class EventsInputError(ValueError):
    """The events input cannot be read as declared (message names the file and the column)."""


def quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def is_sqlite(path: str) -> bool:
    return Path(path).suffix.lower() in SQLITE_SUFFIXES


def matching_files(session, path: str) -> list[str]:
    files = [row[0] for row in session.sql(f"select file from glob({quote(path)}) order by file").fetchall()]
    if not files:
        raise EventsInputError(
            f"Events input '{path}' (dbt var events_path): no file matches this path or glob"
        )
    return files


def _check_columns(found: list[str], where: str) -> None:
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        raise EventsInputError(
            f"{where} is missing required column(s) {', '.join(missing)}. Columns found: {', '.join(found)}"
        )


def _file_relation(session, files: list[str], load_id: str):
    """All new files as one relation of text columns plus source_file (one scan, DuckDB reads in parallel)."""
    listing = "[" + ", ".join(quote(f) for f in files) + "]"
    parquet = [f for f in files if f.lower().endswith(".parquet")]
    if parquet and len(parquet) != len(files):
        raise EventsInputError(
            f"events files mix CSV and Parquet: {', '.join(files[:4])}; use one format per path"
        )
    reader = (
        f"read_parquet({listing}, filename = true, union_by_name = true)"
        if parquet
        else f"read_csv({listing}, header = true, all_varchar = true, filename = true, union_by_name = true)"
    )
    found = [name for name in session.sql(f"select * from {reader} limit 0").columns]
    _check_columns(found, f"Events file(s) {', '.join(files[:3])}{' ...' if len(files) > 3 else ''}")
    casts = ", ".join(f'cast("{c}" as varchar) as {c}' for c in COLUMNS)
    return session.sql(
        f"select filename as source_file, cast(null as bigint) as source_row, {casts}, "
        f"{quote(load_id)} as load_id from {reader}"
    )


def _sqlite_relation(session, path: str, table: str, after_rowid: int, load_id: str):
    """Rows of a SQLite table after ``after_rowid``, read in batches into Arrow (bounded batches)."""
    if not Path(path).exists():
        raise EventsInputError(f"Events input '{path}' (dbt var events_path): the SQLite file does not exist")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {
            row[0]
            for row in connection.execute("select name from sqlite_master where type in ('table','view')")
        }
        if table not in tables:
            raise EventsInputError(
                f"Events input '{path}': no table '{table}' (dbt var events_sqlite_table); "
                f"tables: {', '.join(sorted(tables))}"
            )
        identifier = '"' + table.replace('"', '""') + '"'
        cursor = connection.execute(
            f"select rowid, * from {identifier} where rowid > ? order by rowid", (after_rowid,)
        )
        found = [d[0] for d in cursor.description][1:]
        _check_columns(found, f"Events table '{table}' of '{path}'")
        positions = [found.index(c) + 1 for c in COLUMNS]
        batches = []
        schema = pa.schema(
            [("source_file", pa.string()), ("source_row", pa.int64())]
            + [(c, pa.string()) for c in COLUMNS]
            + [("load_id", pa.string())]
        )
        while rows := cursor.fetchmany(SQLITE_BATCH_ROWS):
            columns = list(zip(*rows, strict=True))
            arrays = [pa.array([path] * len(rows)), pa.array(columns[0], pa.int64())]
            arrays += [
                pa.array([None if v is None else str(v) for v in columns[i]], pa.string()) for i in positions
            ]
            arrays.append(pa.array([load_id] * len(rows)))
            batches.append(pa.record_batch(arrays, schema=schema))
        arrow = pa.Table.from_batches(batches, schema=schema)
    finally:
        connection.close()
    return session.from_arrow(arrow)


def new_events(
    session, events_path: str, sqlite_table: str, landed: list[tuple[str, int | None]], load_id: str
):
    """A relation of the events not landed yet (possibly empty), every field as text."""
    if is_sqlite(events_path):
        after = max((row or 0 for _, row in landed), default=0)
        return _sqlite_relation(session, events_path, sqlite_table, after, load_id)
    done = {file for file, _ in landed}
    files = [f for f in matching_files(session, events_path) if f not in done]
    if not files:
        empty = ", ".join(f"cast(null as varchar) as {c}" for c in COLUMNS)
        return session.sql(
            f"select cast(null as varchar) as source_file, cast(null as bigint) as source_row, {empty}, "
            f"cast(null as varchar) as load_id where false"
        )
    return _file_relation(session, files, load_id)
