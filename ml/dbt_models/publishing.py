"""Safe publishing: readers only ever see a complete, validated set of tables.

dbt builds into its own DuckDB file (the build database). When every model and test has passed, the last
node of the DAG copies the published tables into a new file beside the published one and renames it over
the published file. The rename is atomic on POSIX file systems: a reader that opens the published file gets
either the old set of tables or the new one, never a mix; a reader that already has it open keeps reading
the old one until it reconnects. A failed validation, a failed dbt test or a crash means the rename never
happens, so the published file is left exactly as it was.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ATTACH_ALIAS = "smartcart_publish_target"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _temporary_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.publishing")


def _remove(path: Path) -> None:
    for leftover in (path, Path(str(path) + ".wal")):
        if leftover.exists():
            leftover.unlink()


def copy_table(connection, name: tuple[str, str, str], source: str, target_table: str) -> None:
    """Copy one table (or view) with what dbt gave it: the column types and constraints of its contract (the
    table's own CREATE statement, not CREATE TABLE AS) and the descriptions persist_docs wrote as comments.
    A view is published as a table of its columns' types: readers get stored rows either way."""
    database, schema, table = name
    where = "database_name = ? and schema_name = ? and table_name = ?"
    found = connection.execute(f"select sql, comment from duckdb_tables() where {where}", list(name)).fetchone()
    if found is None:
        view_where = where.replace("table_name", "view_name")
        view = connection.execute(f"select comment from duckdb_views() where {view_where}", list(name)).fetchone()
        if view is None:
            raise ValueError(f"{database}.{schema}.{table} is neither a table nor a view of the build database")
        typed = connection.execute(
            f"select column_name, data_type from duckdb_columns() where {where} order by column_index", list(name)
        ).fetchall()
        connection.execute(f"create table {target_table}({', '.join(f'{_identifier(c)} {t}' for c, t in typed)})")
        comment = view[0]
    else:
        ddl, comment = found
        head, _, columns = ddl.partition("(")
        if not head.upper().startswith("CREATE TABLE"):
            raise ValueError(f"unexpected definition of {database}.{schema}.{table}: {ddl[:80]}")
        connection.execute(f"create table {target_table}({columns}")
    connection.execute(f"insert into {target_table} select * from {source}")
    if comment:
        connection.execute(f"comment on table {target_table} is {_quote(comment)}")
    described = connection.execute(
        f"select column_name, comment from duckdb_columns() where {where} and comment is not null", list(name)
    ).fetchall()
    for column, text in described:
        connection.execute(f"comment on column {target_table}.{_identifier(column)} is {_quote(text)}")


def write_copy(
    connection, database: str, schema: str, tables: list[str], temporary: Path, run_id: str | None
) -> pd.DataFrame:
    """Copy ``tables`` from ``database.schema`` into the new file ``temporary``."""
    _remove(temporary)
    counts = []
    connection.execute(f"attach {_quote(str(temporary))} as {ATTACH_ALIAS}")
    try:
        for table in tables:
            source = f"{_identifier(database)}.{_identifier(schema)}.{_identifier(table)}"
            target_table = f"{ATTACH_ALIAS}.main.{_identifier(table)}"
            copy_table(connection, (database, schema, table), source, target_table)
            counts.append((table, int(connection.execute(f"select count(*) from {target_table}").fetchall()[0][0])))
        if run_id is not None and "run_summary" in tables:
            connection.execute(
                f"update {ATTACH_ALIAS}.main.run_summary set outcome = 'published' where run_id = {_quote(run_id)}"
            )
        connection.execute(f"checkpoint {ATTACH_ALIAS}")
    finally:
        connection.execute(f"detach {ATTACH_ALIAS}")
    return pd.DataFrame(counts, columns=["table_name", "row_count"])


def publish_tables(
    connection,
    database: str,
    schema: str,
    tables: list[str],
    target: Path,
    run_id: str | None = None,
    validate: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Copy ``tables`` into a new file and atomically swap it in as ``target`` if ``validate`` passes.

    The copy runs on its own DuckDB cursor in a thread while ``validate`` (the Great Expectations checks)
    runs here: DuckDB releases the GIL, so the two overlap. ``validate`` raises to stop the publication.
    """
    target = Path(target)
    build_files = {
        Path(row[0]).resolve()
        for row in connection.execute("select path from duckdb_databases() where path is not null").fetchall()
    }
    if target.resolve() in build_files:
        raise ValueError(f"the published warehouse {target} must not be the build database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_for(target)
    outcome: dict[str, object] = {}

    def copy() -> None:
        try:
            outcome["counts"] = write_copy(connection.cursor(), database, schema, tables, temporary, run_id)
        except Exception as error:  # noqa: BLE001 - re-raised below, in the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=copy, name="publish-copy")
    worker.start()
    try:
        if validate is not None:
            validate()
    except BaseException:
        worker.join()
        _remove(temporary)
        raise
    worker.join()
    if "error" in outcome:
        _remove(temporary)
        raise outcome["error"]  # type: ignore[misc]
    os.replace(temporary, target)
    if run_id is not None and "run_summary" in tables:
        # The build database keeps the history the next publication copies: record the outcome there too.
        source = f"{_identifier(database)}.{_identifier(schema)}.run_summary"
        connection.execute(f"update {source} set outcome = 'published' where run_id = {_quote(run_id)}")
    return outcome["counts"]  # type: ignore[return-value]


def publish_model(
    dbt, session, manifest, run_summary, registry: str, reports_dir: str, published_path: str
) -> pd.DataFrame:
    """The body of the published_warehouse model: check every segmentation's persona tables, then publish
    the tables of publication_manifest (the shared ones and each registry entry's)."""
    import json

    from ml.engine.registry import parse_registry
    from ml.quality.published import assert_persona_checks_pass, persona_table_checks

    schema = dbt.this.schema
    tables = manifest.df()["table_name"].tolist()
    checks = persona_table_checks(
        lambda sql: session.execute(sql).df(),
        lambda table: f"{_identifier(schema)}.{_identifier(table)}",
        parse_registry(json.loads(registry)),
    )
    # The run this build summarised; none when only the publishing step was selected (a republish of the
    # last build: run_summary then stays as it is).
    built = run_summary.filter("outcome = 'built'").order("run_started_at desc").limit(1).select("run_id").fetchall()
    run_id = built[0][0] if built else None
    docs = Path(reports_dir) / "data_docs"

    def validate() -> None:
        assert_persona_checks_pass(checks, docs)

    return publish_tables(session, dbt.this.database, schema, tables, Path(published_path), run_id, validate)
