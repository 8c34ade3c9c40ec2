"""`smartcart export`: the published tables as Parquet, for tools that do not read DuckDB files.

DuckDB's EXPORT DATABASE writes one Parquet file per table, schema.sql (the tables with their types and
constraints) and load.sql; `IMPORT DATABASE 'folder'` in DuckDB restores it. Beside them: the table and
column descriptions as COMMENT statements appended to schema.sql, and columns.csv (table, column, type,
nullable, description) for tools that read neither.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ml.apps import warehouse


class ExportError(ValueError):
    """The export cannot be written where it was asked to go."""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def export_published(out: Path, database: str | os.PathLike[str] | None = None) -> list[tuple[str, int]]:
    """Write the published warehouse to ``out`` (a new or empty folder); the tables and their row counts."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty folder: choose a new one")
    with warehouse.connect(database) as connection:
        catalog = connection.execute("select current_database()").fetchall()[0][0]
        tables = connection.execute(
            "select table_name, estimated_size, comment from duckdb_tables() where database_name = ? "
            "and schema_name = 'main' order by table_name",
            [catalog],
        ).fetchall()
        columns = connection.execute(
            "select table_name, column_name, data_type, is_nullable, comment from duckdb_columns() "
            "where database_name = ? and schema_name = 'main' order by table_name, column_index",
            [catalog],
        ).fetchall()
        counts = [
            (name, int(connection.execute(f"select count(*) from {_identifier(name)}").fetchall()[0][0]))
            for name, _, _ in tables
        ]
        out.mkdir(parents=True, exist_ok=True)
        connection.execute(f"export database {_quote(str(out.resolve()))} (format parquet)")
    comments = [f"COMMENT ON TABLE {_identifier(name)} IS {_quote(text)};" for name, _, text in tables if text]
    comments += [
        f"COMMENT ON COLUMN {_identifier(table)}.{_identifier(column)} IS {_quote(text)};"
        for table, column, _, _, text in columns
        if text
    ]
    with (out / "schema.sql").open("a") as schema:
        schema.write("\n" + "\n".join(comments) + "\n")
    with (out / "columns.csv").open("w", newline="") as listing:
        writer = csv.writer(listing)
        writer.writerow(["table_name", "column_name", "data_type", "is_nullable", "description"])
        for table, column, data_type, nullable, text in columns:
            writer.writerow([table, column, data_type, "yes" if nullable else "no", text or ""])
    return counts
