"""The inputs and features of the customer and invoice sources on a real local Spark (dbt-spark, session
method): the same SQL models, adapter-dispatched where the engines differ, give the same tables as DuckDB.

One Spark build and one DuckDB build of the same selection serve the comparisons; Spark's tables are the
Parquet files of its warehouse folder, read here with DuckDB, as any other engine would read them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import BUNDLED_CUSTOMERS, BUNDLED_INVOICES, ROOT, Build, customers_with

# The input, staging, intermediate and feature models of both file sources, their seeds and their tests.
SELECTION = [
    "+customer_features",
    "+invoice_customer_features",
    "+invoice_rfm_scores",
    "+invoice_line_accounting",
    "education_mapping",
    "marital_status_mapping",
    "non_product_stock_codes",
    "rfm_segments",
]
COMPARED_TABLES = [
    "customers",
    "customer_quarantine",
    "customer_features",
    "invoice_lines",
    "invoice_line_quarantine",
    "invoice_line_accounting",
    "invoice_customer_features",
    "invoice_rfm_scores",
]
BUNDLED = {"customers_file": str(BUNDLED_CUSTOMERS), "invoices_file": str(BUNDLED_INVOICES)}


class SparkBuild(Build):
    """A dbt build on the `spark` target, with its own warehouse folder (tables and metastore)."""

    @property
    def spark_warehouse(self) -> Path:
        return self.workdir / "spark-warehouse"

    def env(self) -> dict[str, str]:
        return {**super().env(), "SMARTCART_SPARK_WAREHOUSE": str(self.spark_warehouse)}

    def parquet(self, table: str) -> str:
        """The table as DuckDB reads Spark's files: read_parquet over the table's folder."""
        return f"read_parquet('{self.spark_warehouse / 'smartcart.db' / table}/*.parquet')"


def selective_build(build: Build, *target: str, dbt_vars: dict | None = None) -> Build:
    arguments = ["build", *target, "--select", *SELECTION, "--indirect-selection", "cautious"]
    return build.dbt(*arguments, dbt_vars={**BUNDLED, **(dbt_vars or {})})


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    # The customer file by the relative path of the default var: resolved against dbt's working directory
    # (the repo root) on Spark as on DuckDB.
    relative_customers = str(BUNDLED_CUSTOMERS.relative_to(ROOT))
    build = SparkBuild(tmp_path_factory.mktemp("spark"))
    result = selective_build(build, "--target", "spark", dbt_vars={"customers_file": relative_customers})
    assert result.returncode == 0, result.output[-6000:]
    return result


@pytest.fixture(scope="module")
def duckdb_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    result = selective_build(Build(tmp_path_factory.mktemp("duckdb")))
    assert result.returncode == 0, result.output[-4000:]
    return result


@pytest.mark.parametrize("table", COMPARED_TABLES)
def test_spark_gives_the_same_table_as_duckdb(spark_build: SparkBuild, duckdb_build: Build, table: str) -> None:
    database = duckdb_build.database.with_name(duckdb_build.database.name + ".build")
    with duckdb.connect(str(database), read_only=True) as connection:
        spark_rows, duckdb_rows, only_spark, only_duckdb = connection.execute(
            f"""
            select
                (select count(*) from {spark_build.parquet(table)}),
                (select count(*) from {table}),
                (select count(*) from (select * from {spark_build.parquet(table)} except all select * from {table})),
                (select count(*) from (select * from {table} except all select * from {spark_build.parquet(table)}))
            """
        ).fetchall()[0]
        spark_columns = connection.execute(f"describe select * from {spark_build.parquet(table)}").fetchall()
        duckdb_columns = connection.execute(f"describe {table}").fetchall()
    assert spark_rows == duckdb_rows > 0 or table.endswith("quarantine")
    assert (only_spark, only_duckdb) == (0, 0), f"{table}: rows that differ between the engines"
    # Same column names and types, in the same order (nullability aside: Parquet tables take no NOT NULL).
    assert [column[:2] for column in spark_columns] == [column[:2] for column in duckdb_columns]


def test_spark_ran_the_data_tests(spark_build: SparkBuild) -> None:
    # dbt's own tests ran on Spark: the accounting test among them (every raw invoice line accounted for).
    assert "PASS assert_every_invoice_line_is_accounted_for" in spark_build.output
    assert "PASS unique_customer_features_customer_id" in spark_build.output


def test_a_bad_file_stops_the_spark_build_with_the_duckdb_message(tmp_path: Path) -> None:
    bad = customers_with(tmp_path / "customers.tsv", {(3, "Income"): "lots", (5, "Dt_Customer"): "2014-31-12"})
    messages = []
    for build in (SparkBuild(tmp_path / "spark"), Build(tmp_path / "duckdb")):
        target = ["--target", "spark"] if isinstance(build, SparkBuild) else []
        selection = ["--select", "stg_smartcart__customers"]
        result = build.dbt("build", *target, *selection, dbt_vars={"customers_file": str(bad)})
        assert result.returncode != 0
        message = next(line for line in result.output.splitlines() if "has values that cannot be parsed" in line)
        messages.append(message.split("Input file", 1)[1])
    assert messages[0] == messages[1]
    assert "column Income: 1 value(s) are not bigint, e.g. 'lots'" in messages[0]
    assert "column Dt_Customer: 1 value(s) are not date in format %d-%m-%Y, e.g. '2014-31-12'" in messages[0]
