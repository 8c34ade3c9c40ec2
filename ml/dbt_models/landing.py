"""Landing clickstream events: new files of a path or glob (CSV or Parquet), or new rows of a SQLite table.

Incremental by design: a file already landed (by name) is not read again, and SQLite rows are read from
the last landed rowid on, so adding a day's or a month's file costs the new events only. SQLite is read
with Python's sqlite3 (no DuckDB extension has to be downloaded at run time).

Events are landed typed (UTC timestamp, integer ids, price), so that the events are written once in their
compact form and the staging step deduplicates on numbers rather than text (docs/performance.md). Every
file is still read as text, so a bad value never fails the read: where a value does not type, the typed
column is null and the text as written is kept beside it (``<column>_raw``, null otherwise), and the
staging model quarantines the event with a reason.
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
        raise EventsInputError(f"Events input '{path}' (dbt var events_path): no file matches this path or glob")
    return files


# How each field is typed at landing; `{v}` is the field as text, trimmed, with '' as null.
# The export writes times as '2019-10-01 00:00:00 UTC': the suffix is dropped and the time kept as UTC.
TYPED = {
    "event_time": ("event_at", "try_strptime(replace({v}, ' UTC', ''), '%Y-%m-%d %H:%M:%S')"),
    "event_type": ("event_type", "lower({v})"),
    "product_id": ("product_id", "try_cast({v} as bigint)"),
    "category_id": ("category_id", "try_cast({v} as hugeint)"),
    "category_code": ("category_code", "{v}"),
    "brand": ("brand", "{v}"),
    "price": ("price", "try_cast({v} as double)"),
    "user_id": ("user_id", "try_cast({v} as bigint)"),
    "user_session": ("user_session", "{v}"),
}
# Fields whose text is kept (as written) when it does not type.
KEEP_TEXT_ON_FAILURE = ["event_time", "product_id", "category_id", "price", "user_id"]
# Columns the landing adds to every event: where it came from and which landing read it.
LANDING_COLUMNS = ["source_file", "source_row", "load_id"]
# Numeric fields a typed source (Parquet) may already hold as numbers: cast directly, not through text.
NUMERIC = {"product_id", "category_id", "price", "user_id"}


def typed_select(source: str, source_types: dict[str, str], passthrough: list[str]) -> str:
    """A query typing the fields of ``source`` (one row per landed event), keeping ``passthrough`` columns.

    ``source_types`` maps a column to its type in the source (VARCHAR for CSV and SQLite). Each value is
    typed once (inner select); the text of a value that did not type is kept by the outer select.
    """
    inner, outer = [f"t.{column}" for column in passthrough], list(passthrough)
    for column in COLUMNS:
        field = f't."{column}"'
        typed_name = TYPED[column][0]
        if column in NUMERIC and source_types.get(column, "VARCHAR") != "VARCHAR":
            inner.append(f"{TYPED[column][1].format(v=field)} as {typed_name}")
        else:
            text = f"nullif(trim(cast({field} as varchar)), '')"
            inner.append(f"{TYPED[column][1].format(v=text)} as {typed_name}")
        outer.append(typed_name)
        if column in KEEP_TEXT_ON_FAILURE:
            inner.append(f"cast({field} as varchar) as {column}__text")
            outer.append(
                f"case when {typed_name} is null and nullif(trim({column}__text), '') is not null "
                f"then {column}__text end as {column}_raw"
            )
    return f"select {', '.join(outer)} from (select {', '.join(inner)} from {source} as t)"


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
        raise EventsInputError(f"events files mix CSV and Parquet: {', '.join(files[:4])}; use one format per path")
    reader = (
        f"read_parquet({listing}, filename = true, union_by_name = true)"
        if parquet
        else f"read_csv({listing}, header = true, all_varchar = true, filename = true, union_by_name = true)"
    )
    described = session.sql(f"select * from {reader} limit 0")
    found = list(described.columns)
    _check_columns(found, f"Events file(s) {', '.join(files[:3])}{' ...' if len(files) > 3 else ''}")
    types = {name: str(kind) for name, kind in zip(found, described.types, strict=True)}
    landing = (
        f"(select *, filename as source_file, cast(null as bigint) as source_row, "
        f"{quote(load_id)} as load_id from {reader})"
    )
    return session.sql(typed_select(landing, types, LANDING_COLUMNS))


def _sqlite_relation(session, path: str, table: str, after_rowid: int, load_id: str):
    """Rows of a SQLite table after ``after_rowid``, read in batches into Arrow (bounded batches)."""
    if not Path(path).exists():
        raise EventsInputError(f"Events input '{path}' (dbt var events_path): the SQLite file does not exist")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type in ('table','view')")}
        if table not in tables:
            raise EventsInputError(
                f"Events input '{path}': no table '{table}' (dbt var events_sqlite_table); "
                f"tables: {', '.join(sorted(tables))}"
            )
        identifier = '"' + table.replace('"', '""') + '"'
        cursor = connection.execute(f"select rowid, * from {identifier} where rowid > ? order by rowid", (after_rowid,))
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
            arrays += [pa.array([None if v is None else str(v) for v in columns[i]], pa.string()) for i in positions]
            arrays.append(pa.array([load_id] * len(rows)))
            batches.append(pa.record_batch(arrays, schema=schema))
        arrow = pa.Table.from_batches(batches, schema=schema)
    finally:
        connection.close()
    session.register("clickstream_sqlite_batch", arrow)  # a view of the Arrow table, this session only
    return session.sql(typed_select("clickstream_sqlite_batch", {}, LANDING_COLUMNS))


def new_events(session, events_path: str, sqlite_table: str, landed: list[tuple[str, int | None]], load_id: str):
    """A relation of the events not landed yet (possibly empty), every field as text."""
    if is_sqlite(events_path):
        after = max((row or 0 for _, row in landed), default=0)
        return _sqlite_relation(session, events_path, sqlite_table, after, load_id)
    done = {file for file, _ in landed}
    files = [f for f in matching_files(session, events_path) if f not in done]
    if not files:
        empty = ", ".join(f"cast(null as varchar) as {c}" for c in COLUMNS)
        nothing = (
            f"(select {empty}, cast(null as varchar) as source_file, cast(null as bigint) as source_row, "
            f"cast(null as varchar) as load_id where false)"
        )
        return session.sql(typed_select(nothing, {}, LANDING_COLUMNS))
    return _file_relation(session, files, load_id)
