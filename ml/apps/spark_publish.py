"""Publishing a Spark build (step 4 of `smartcart run --target spark`): readers see only builds that passed.

dbt-spark replaces a Parquet table by dropping it and creating it again, so a model that fails would leave
its table missing. dbt therefore builds into a build schema (the profile's schema, ``<published>_build``), as
it builds into a build database on DuckDB, and this step alone writes the published schema. It runs only
after every model and test of the build passed, checks every segmentation's persona tables with Great
Expectations (as ``published_warehouse`` does on DuckDB), copies each table of ``publication_manifest`` to
``<table>__publishing`` in the published schema, and only when all are copied swaps each in (drop, rename:
a catalogue operation and a folder rename). A failed build, a failed check or a crash during the copy leaves
the published tables as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

from ml.engine.registry import parse_registry
from ml.quality.published import assert_persona_checks_pass, persona_table_checks

BUILD_SUFFIX = "_build"
PUBLISHING_SUFFIX = "__publishing"


class SparkPublishError(RuntimeError):
    """The Spark build cannot be published; the message says why."""


def published_schema(build_schema: str) -> str:
    """The schema readers query: the build schema without its ``_build`` suffix (profiles.yml)."""
    if not build_schema.endswith(BUILD_SUFFIX) or build_schema == BUILD_SUFFIX:
        raise SparkPublishError(
            f"the spark target's schema is {build_schema!r}: it must end in {BUILD_SUFFIX!r}, the build schema "
            f"beside the published one (profiles.yml, SMARTCART_SPARK_SCHEMA)"
        )
    return build_schema[: -len(BUILD_SUFFIX)]


def quoted(schema: str, table: str) -> str:
    return f"`{schema.replace('`', '``')}`.`{table.replace('`', '``')}`"


def spark_literal(text: str) -> str:
    """A Spark SQL string literal (Spark reads backslash escapes)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def copy_table(spark, source: str, target: str, replaced: dict[str, str] | None = None) -> None:
    """Copy a table with its column types and descriptions (CREATE TABLE LIKE) and its table comment;
    ``replaced`` gives SQL expressions for columns whose copied value differs."""
    spark.sql(f"drop table if exists {target}")
    spark.sql(f"create table {target} like {source} using parquet")
    columns = ", ".join(
        f"{(replaced or {}).get(name, f'`{name}`')} as `{name}`" for name in spark.table(source).columns
    )
    spark.sql(f"insert into {target} select {columns} from {source}")
    comment = spark.sql(f"describe table extended {source}").where("col_name = 'Comment'").collect()
    if comment and comment[0]["data_type"]:
        spark.sql(f"alter table {target} set tblproperties ('comment' = {spark_literal(comment[0]['data_type'])})")


def last_built_run(spark, run_summary: str) -> str | None:
    """The run this build summarised (outcome 'built'), as the DuckDB publishing step finds it."""
    rows = spark.sql(
        f"select run_id from {run_summary} where outcome = 'built' order by run_started_at desc limit 1"
    ).collect()
    return rows[0][0] if rows else None


def publish(spark, build_schema: str, registry: str, reports_dir: str) -> list[tuple[str, int]]:
    """Check, copy and swap in the tables of publication_manifest; (table, rows) for each one published."""
    schema = published_schema(build_schema)
    manifest = quoted(build_schema, "publication_manifest")
    if not spark.catalog.tableExists(f"{build_schema}.publication_manifest"):
        raise SparkPublishError(f"{manifest} does not exist: the build did not reach the publication")
    # publication_manifest counted every table's rows when dbt built it; the copies hold the same rows.
    row_counts = dict(spark.sql(f"select table_name, row_count from {manifest} order by table_name").collect())
    tables = sorted(row_counts)
    checks = persona_table_checks(
        lambda sql: spark.sql(sql).toPandas(),
        lambda table: quoted(build_schema, table),
        parse_registry(json.loads(registry)),
    )
    assert_persona_checks_pass(checks, Path(reports_dir) / "data_docs")
    spark.sql(f"create database if not exists `{schema}`")
    run_id = last_built_run(spark, quoted(build_schema, "run_summary")) if "run_summary" in tables else None
    for table in tables:
        # The published run_summary records this run as published (on DuckDB: publish_tables).
        replaced = (
            {"outcome": f"case when run_id = {spark_literal(run_id)} then 'published' else outcome end"}
            if table == "run_summary" and run_id is not None
            else None
        )
        copy_table(spark, quoted(build_schema, table), quoted(schema, table + PUBLISHING_SUFFIX), replaced)
    # Every copy is complete: swap them in. Each swap drops the old table and renames the copy (metadata and a
    # folder rename), so a reader misses a table for milliseconds at most, never sees half of one.
    for table in tables:
        spark.sql(f"drop table if exists {quoted(schema, table)}")
        spark.sql(f"alter table {quoted(schema, table + PUBLISHING_SUFFIX)} rename to {quoted(schema, table)}")
    if run_id is not None:
        # The build schema keeps the history the next publication copies: record the outcome there too.
        source = quoted(schema, "run_summary")
        spark.sql(f"insert overwrite table {quoted(build_schema, 'run_summary')} select * from {source}")
    return [(table, int(row_counts[table])) for table in tables]
