"""Landing clickstream events: new files of a path or glob (CSV or Parquet), or new rows of a SQLite table.

Files are read through the dbt source clickstream.events (its external_location: every file of the var
events_path, with its name), so lineage, docs and `--select source:clickstream.events+` see the input.

Incremental by design: a file already landed (by name) is not read again, and SQLite rows are read from
the last landed rowid on, so adding a day's or a month's file costs the new events only. SQLite is read
with Python's sqlite3 (no DuckDB extension has to be downloaded at run time).

Events are landed typed (UTC timestamp, integer ids, price) in one pass over each file: CSV files are read
with their declared types (the source's external_location: DuckDB's CSV reader with the types and the time
format of the input contract, and its rejects table), Parquet files by column with their own types. A value
that does not type never fails the read and is never lost: a CSV line the reader rejects is landed by the
post-hook ``land_clickstream_rejects`` with its text, the column and the reason (``landing_error``); in a
text input (SQLite) the typed column is null and the text as written is kept beside it (``<column>_raw``).
The staging rules quarantine both with their reason (docs/performance.md, docs/clickstream.md).

A file is landed once, so a landed file must not change: each event keeps the size its file had when it
was landed (``source_file_bytes``), and a later build stops, naming the file and both sizes, when a landed
file the path still matches has another size (a file landed while it was still being written, or written
again with more events). Its new lines would otherwise never be landed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

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
# Columns the landing adds to every event: where it came from (with the file's size when it was landed) and
# which landing read it; a line the CSV reader rejected also has its text and the reason (null for every
# other event).
LANDING_COLUMNS = ["source_file", "source_row", "load_id", "landing_error", "rejected_line", "source_file_bytes"]
# The sizes of the files one landing reads, for the rejected lines its post-hook lands (a temporary table of
# dbt's connection).
FILE_SIZES_TABLE = "clickstream_landing_file_sizes"
# The type each kept-on-failure field lands as: a source column already of that type needs no text kept.
TARGET_TYPES = {
    "event_time": "TIMESTAMP",
    "product_id": "BIGINT",
    "category_id": "HUGEINT",
    "price": "DOUBLE",
    "user_id": "BIGINT",
}
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
        source_type = source_types.get(column, "VARCHAR")
        if source_type != "VARCHAR" and column in NUMERIC:
            inner.append(f"{TYPED[column][1].format(v=field)} as {typed_name}")
        elif source_type.startswith("TIMESTAMP") and column == "event_time":  # typed by the CSV reader
            inner.append(f"cast({field} as timestamp) as {typed_name}")
        else:
            text = f"nullif(trim(cast({field} as varchar)), '')"
            inner.append(f"{TYPED[column][1].format(v=text)} as {typed_name}")
        outer.append(typed_name)
        if column in KEEP_TEXT_ON_FAILURE and source_type == TARGET_TYPES[column]:
            outer.append(f"cast(null as varchar) as {column}_raw")  # already of its type: it cannot fail
        elif column in KEEP_TEXT_ON_FAILURE:
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


def file_sizes(session, events_path: str) -> dict[str, int]:
    """The size in bytes of every file ``events_path`` matches, from the file system: read_blob without its
    content column lists the files and reads none of them."""
    return dict(session.sql(f"select filename, size from read_blob({quote(events_path)})").fetchall())


def check_landed_files_unchanged(landed_bytes: dict[str, int | None], sizes: dict[str, int]) -> None:
    """Stop when a landed file the path still matches has another size than when it was landed.

    A file is read once: lines added to it later would never be landed, and lines taken out would stay.
    Files landed by a version that did not record sizes (None) and files the path no longer matches (moved
    away after landing) are not compared."""
    changed = [
        (file, was, sizes[file])
        for file, was in sorted(landed_bytes.items())
        if was is not None and file in sizes and sizes[file] != was
    ]
    if changed:
        listed = "; ".join(
            f"'{file}' had {was:,} bytes when it was landed and has {now:,} now" for file, was, now in changed[:3]
        )
        more = f" (and {len(changed) - 3} more)" if len(changed) > 3 else ""
        raise EventsInputError(
            f"Events file(s) changed after they were landed: {listed}{more}. A landed file is not read again, "
            "so its new lines would be lost: deliver new events in a new file, or land every file again with "
            "`smartcart run --full-refresh` (or `dbt build --full-refresh --select raw_clickstream_events+`)."
        )


def _file_relation(source, session, events_path: str, files: list[str], load_id: str, sizes: dict[str, int]):
    """The new files of the source ``clickstream.events`` as one relation of typed columns plus source_file.

    ``source`` is the dbt source (its external_location reads every file of events_path, with the file
    name). It is read again over the new files only (_reader_of): binding a reader opens every file it
    names, so a reader of the whole glob would cost more with every day landed. The filter on the file name
    keeps the result right whichever reader is used.
    """
    reader = _reader_of(source, session, events_path, files)
    found = [c for c in reader.columns if c != "filename"]
    _check_columns(found, f"Events file(s) {', '.join(files[:3])}{' ...' if len(files) > 3 else ''}")
    # The types of the files read (Parquet files typed alike by name: union_by_name).
    types = {name: str(kind) for name, kind in zip(reader.columns, reader.types, strict=True)}
    new_files = ", ".join(quote(f) for f in files)
    new_sizes = {file: sizes[file] for file in files if file in sizes}
    # For the post-hook, which lands the lines the CSV reader rejected with the size of their file.
    session.execute(
        f"create or replace temporary table {FILE_SIZES_TABLE} (source_file varchar, source_file_bytes bigint)"
    )
    if new_sizes:
        session.execute(
            f"insert into {FILE_SIZES_TABLE} values " + ", ".join(f"({quote(f)}, {n})" for f, n in new_sizes.items())
        )
    landing = with_landing_columns("clickstream_source", load_id, f"filename in ({new_files})", new_sizes)
    return reader.query("clickstream_source", typed_select(landing, types, LANDING_COLUMNS))


def with_landing_columns(
    file_reader: str, load_id: str, where: str = "true", sizes: dict[str, int] | None = None
) -> str:
    """The rows of ``file_reader`` (a reader of files with their ``filename``) that match ``where``, with the
    landing columns a file gives every event (a subquery; typed_select types it). ``sizes`` maps a file to
    its size in bytes, as a map literal looked up per row. Not a join on the file name: DuckDB's hash join
    does not keep the files' row order, and the landing's row groups must stay in time order for the day
    filters of the partial models. The lookup grows with the files of one landing: on a scan of the 10M
    benchmark events it added nothing with 31 files, 0.4 s with 1,000 and 0.8 s with 5,000."""
    size = "cast(null as bigint)"
    if sizes:
        size = "cast(map {" + ", ".join(f"{quote(f)}: {n}" for f, n in sizes.items()) + "}[filename] as bigint)"
    return (
        f"(select *, filename as source_file, cast(null as bigint) as source_row, {quote(load_id)} as load_id, "
        f"cast(null as varchar) as landing_error, cast(null as varchar) as rejected_line, "
        f"{size} as source_file_bytes from {file_reader} where {where})"
    )


def _reader_of(source, session, events_path: str, files: list[str]):
    """The source's reader with its path (the quoted events_path, once in its text) replaced by the list
    of ``files``; the source itself when the path is not found once in it (a source defined otherwise) or
    a file name would read as a glob (DuckDB expands each name of a list)."""
    text, path = source.sql_query(), quote(events_path)
    if text.count(path) != 1 or any(char in f for f in files for char in "*?[{"):
        return source
    return session.query(text.replace(path, "[" + ", ".join(quote(f) for f in files) + "]"))


def _sqlite_relation(session, path: str, table: str, after_rowid: int, load_id: str):
    """Rows of a SQLite table after ``after_rowid``, read in batches into Arrow (bounded batches)."""
    import pyarrow as pa  # only a SQLite input needs it here (dbt-duckdb's materialization imports it anyway)

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
            + [("load_id", pa.string()), ("landing_error", pa.string()), ("rejected_line", pa.string())]
            # A SQLite database grows by design (its rows are landed by rowid): no file size is kept.
            + [("source_file_bytes", pa.int64())]
        )
        while rows := cursor.fetchmany(SQLITE_BATCH_ROWS):
            columns = list(zip(*rows, strict=True))
            arrays = [pa.array([path] * len(rows)), pa.array(columns[0], pa.int64())]
            arrays += [pa.array([None if v is None else str(v) for v in columns[i]], pa.string()) for i in positions]
            arrays.append(pa.array([load_id] * len(rows)))
            arrays += [pa.nulls(len(rows), pa.string()), pa.nulls(len(rows), pa.string())]
            arrays.append(pa.nulls(len(rows), pa.int64()))
            batches.append(pa.record_batch(arrays, schema=schema))
        arrow = pa.Table.from_batches(batches, schema=schema)
    finally:
        connection.close()
    session.register("clickstream_sqlite_batch", arrow)  # a view of the Arrow table, this session only
    return session.sql(typed_select("clickstream_sqlite_batch", {}, LANDING_COLUMNS))


def check_events_input(session, events_path: str) -> None:
    """Stop with a clear message when the input does not exist or its files do not match the reader the
    source clickstream.events picks (before that reader fails in its own words)."""
    if is_sqlite(events_path):
        if not Path(events_path).exists():
            raise EventsInputError(
                f"Events input '{events_path}' (dbt var events_path): the SQLite file does not exist"
            )
        return
    files = matching_files(session, events_path)
    parquet = [f for f in files if f.lower().endswith(".parquet")]
    if parquet and len(parquet) != len(files):
        raise EventsInputError(f"events files mix CSV and Parquet: {', '.join(files[:4])}; use one format per path")
    if bool(parquet) != events_path.lower().endswith(".parquet"):
        raise EventsInputError(
            f"Events input '{events_path}' (dbt var events_path): name Parquet files with a path or glob ending in "
            "'.parquet' and CSV files with any other; the source clickstream.events picks its reader by the ending"
        )


def new_events(
    source,
    session,
    events_path: str,
    sqlite_table: str,
    landed: list[tuple[str, int | None]],
    load_id: str,
    landed_bytes: dict[str, int | None] | None = None,
):
    """A relation of the events not landed yet (possibly empty), typed, with the text of bad values kept.

    ``source`` is the dbt source clickstream.events (not read for a SQLite input). ``landed`` holds the
    landed files (or SQLite database) with their last landed rowid; ``landed_bytes`` the size each landed
    file had (check_landed_files_unchanged)."""
    if is_sqlite(events_path):
        after = max((row or 0 for _, row in landed), default=0)
        return _sqlite_relation(session, events_path, sqlite_table, after, load_id)
    # One listing of the path: the sizes to compare, and the files (in name order) not landed yet.
    sizes = file_sizes(session, events_path)
    check_landed_files_unchanged(landed_bytes or {}, sizes)
    done = {file for file, _ in landed}
    files = [f for f in sorted(sizes) if f not in done]
    if not files:
        empty = ", ".join(f"cast(null as varchar) as {c}" for c in COLUMNS)
        nothing = (
            f"(select {empty}, cast(null as varchar) as source_file, cast(null as bigint) as source_row, "
            f"cast(null as varchar) as load_id, cast(null as varchar) as landing_error, "
            f"cast(null as varchar) as rejected_line, cast(null as bigint) as source_file_bytes where false)"
        )
        return session.sql(typed_select(nothing, {}, LANDING_COLUMNS))
    return _file_relation(source, session, events_path, files, load_id, sizes)
