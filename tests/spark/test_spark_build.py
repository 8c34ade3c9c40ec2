"""The whole project on a real local Spark (dbt-spark, session method) against the DuckDB build.

One `smartcart run --target spark` of the bundled data (all three sources, by the default vars' relative
paths) and the session's full DuckDB build of the same files serve every comparison: the same SQL models,
adapter-dispatched where the engines differ, give the same tables; the fit, run between two dbt
invocations on Spark, gives every customer and user the same persona; the row accounting agrees. Spark's
tables are the Parquet files of its warehouse folder, read here with DuckDB, as any other engine reads them.

After that build, the fixture runs a failing one (too many rows quarantined) on the same warehouse: every
comparison reads the published tables as that failure left them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import BUNDLED_INVOICES, ROOT, Build, built_once, customers_with, upstream_of
from tests.integration.test_bad_input_corpus import many_negative

# The module builds on Spark once (built_once: other workers wait for it), a good build then a failing one:
# minutes on a loaded 2-core machine, beyond the suite's 15-minute timeout per test.
pytestmark = pytest.mark.timeout(2400)

# Tables equal row for row, with the same column names and types.
COMPARED_TABLES = [
    "customers",
    "customer_quarantine",
    "customer_features",
    "invoice_lines",
    "invoice_line_quarantine",
    "invoice_line_accounting",
    "invoice_customer_features",
    "invoice_rfm_scores",
    "clickstream_customer_features",
    "segmentation_fit_samples",
    "persona_profiles",
    "customer_value",
]
# Each segmentation's members table and key: every member must get the same persona on both engines.
MEMBERS = {
    "customer_personas": "customer_id",
    "invoice_customer_personas": "customer_id",
    "clickstream_customer_personas": "user_id",
}
ACCOUNTING = ["customer_input_accounting", "invoice_input_accounting", "clickstream_input_accounting"]
# Tables of the build schema only (not in publication_manifest); every other table is read where readers
# read it, in the published schema.
BUILD_ONLY = {"segmentation_fit_samples", "segmentation_fits", *ACCOUNTING}
# A build of the customers that stops at the quarantine-share limit (8% of the rows with a negative spend).
FAILING_SELECTION = upstream_of("customers")


class SparkBuild(Build):
    """A build on the `spark` target, with its own warehouse folder (tables and metastore)."""

    failed_returncode: int = -1  # the failing build the fixture runs after the good one
    failed_output: str = ""

    @property
    def spark_warehouse(self) -> Path:
        return self.workdir / "spark-warehouse"

    def env(self) -> dict[str, str]:
        return {**super().env(), "SMARTCART_SPARK_WAREHOUSE": str(self.spark_warehouse)}

    def parquet(self, table: str, schema: str | None = None) -> str:
        """The table as DuckDB reads Spark's files: read_parquet over the table's folder, in the published
        schema (smartcart) or, for a table that is not published, the build schema (smartcart_build)."""
        schema = schema or ("smartcart_build" if table in BUILD_ONLY else "smartcart")
        return f"read_parquet('{self.spark_warehouse / f'{schema}.db' / table}/*.parquet')"


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    return built_once(tmp_path_factory, "spark", good_then_failed_build)


def good_then_failed_build(folder: Path) -> SparkBuild:
    build = SparkBuild(folder)
    # The bundled files by the default vars' relative paths (resolved against dbt's working directory on
    # Spark as on DuckDB); the invoices named, as the test helper would otherwise pass its small file.
    run = build.smartcart("run", "--target", "spark", "--invoices-file", str(BUNDLED_INVOICES.relative_to(ROOT)))
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    failing = build.workdir / "many_negative.tsv"
    failing.write_bytes(many_negative(0.08))
    build.dbt("build", "--target", "spark", *FAILING_SELECTION, dbt_vars={"customers_file": str(failing)})
    build.failed_returncode, build.failed_output = build.returncode, build.output
    build.returncode, build.output = run.returncode, output
    return build


@pytest.fixture(scope="module")
def compared(spark_build: SparkBuild, bundled_build: Build):
    """A DuckDB connection to the DuckDB build database (every model) and the Spark build's Parquet."""
    database = bundled_build.database.with_name(bundled_build.database.name + ".build")
    with duckdb.connect(str(database), read_only=True) as connection:
        yield connection, spark_build


@pytest.mark.parametrize("table", COMPARED_TABLES)
def test_spark_gives_the_same_table_as_duckdb(compared, table: str) -> None:
    connection, spark_build = compared
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


@pytest.mark.parametrize("table", sorted(MEMBERS))
def test_every_member_gets_the_same_persona_on_both_engines(compared, table: str) -> None:
    connection, spark_build = compared
    key = MEMBERS[table]
    members, matched, same, personas = connection.execute(
        f"""
        select
            count(*),
            count(spark.{key}),
            count(*) filter (where spark.persona_id = duck.persona_id and spark.persona_name = duck.persona_name),
            count(distinct duck.persona_id)
        from {table} as duck
        left join {spark_build.parquet(table)} as spark on cast(spark.{key} as string) = cast(duck.{key} as string)
        """
    ).fetchall()[0]
    spark_members = connection.execute(f"select count(*) from {spark_build.parquet(table)}").fetchall()[0][0]
    assert members == spark_members == matched > 0
    assert personas >= 2
    assert same == members, f"{table}: {members - same} of {members} members get another persona on Spark"


@pytest.mark.parametrize("table", ACCOUNTING)
def test_the_row_accounting_is_the_same_on_both_engines(compared, table: str) -> None:
    connection, spark_build = compared
    columns = "rows_read, rows_quarantined, quarantine_reason_counts, rows_accepted, rows_excluded_from_fit"
    spark = connection.execute(f"select {columns} from {spark_build.parquet(table)}").fetchall()
    duck = connection.execute(f"select {columns} from {table}").fetchall()
    assert spark == duck
    assert spark[0][0] > 0


def test_the_fit_step_on_spark_fits_the_same_models(compared) -> None:
    # The same sample gives the same fitted models, row for row; only when and how long the fit ran differ.
    connection, spark_build = compared
    fits = "(select * from {} where item not in ('fitted_at', 'fit_seconds'))"
    spark, duck = fits.format(spark_build.parquet("segmentation_fits")), fits.format("segmentation_fits")
    rows, only_spark, only_duckdb = connection.execute(
        f"""
        select
            (select count(*) from {duck}),
            (select count(*) from (select * from {spark} except all select * from {duck})),
            (select count(*) from (select * from {duck} except all select * from {spark}))
        """
    ).fetchall()[0]
    assert rows > 100
    assert (only_spark, only_duckdb) == (0, 0)


def test_spark_ran_the_data_tests_and_printed_the_personas(spark_build: SparkBuild) -> None:
    # dbt's own tests ran on Spark, before and after the fit step (accounting, keys, the personas' tables).
    assert "PASS assert_every_invoice_line_is_accounted_for" in spark_build.output
    assert "PASS assert_every_landed_event_is_accounted_for" in spark_build.output
    assert "PASS unique_customer_features_customer_id" in spark_build.output
    assert "Spark step 2 of 4: the fits" in spark_build.output
    assert "Spark step 4 of 4: publish" in spark_build.output
    # The CLI read the personas back through DuckDB views over the Spark tables.
    assert "Customer profiles (customers, persona_profiles):" in spark_build.output
    with duckdb.connect(str(spark_build.database), read_only=True) as views:
        assert views.execute("select count(*) from customer_personas").fetchall()[0][0] == 2240


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


def test_a_landed_file_that_changed_stops_the_spark_landing(tmp_path: Path) -> None:
    """As on DuckDB (tests/integration/test_clickstream.py): lines added to a landed file would never be
    read, so the next build stops naming the file and its sizes then and now."""
    lines = (ROOT / "data" / "raw" / "clickstream" / "rees46_2019-Oct_head.csv").read_text().splitlines()
    # A space in the path: Spark names the file as a URI (%20), its listing as a path.
    folder = tmp_path / "landed events"
    folder.mkdir()
    day = folder / "day 1.csv"
    day.write_text("\n".join(lines[:1_001]) + "\n")
    build = SparkBuild(tmp_path / "spark")
    landing = ["--target", "spark", "--select", "raw_clickstream_events"]
    first = build.dbt("build", *landing, dbt_vars={"events_path": str(folder / "*.csv")})
    assert first.returncode == 0, first.output[-3000:]
    landed_size = day.stat().st_size
    with day.open("a") as events:
        events.write("\n".join(lines[1_001:1_101]) + "\n")
    second = build.dbt("build", *landing, dbt_vars={"events_path": str(folder / "*.csv")})
    assert second.returncode != 0
    changed = f"'{day}' had {landed_size:,} bytes when it was landed and has {day.stat().st_size:,} now"
    assert changed in second.output and "--full-refresh" in second.output


def quarantine_share_message(output: str) -> str:
    return next(line for line in output.splitlines() if "were quarantined, more than the limit" in line).strip()


def test_a_failed_build_leaves_the_published_tables_as_they_were(spark_build: SparkBuild, tmp_path: Path) -> None:
    # The failing build stopped at the quarantine-share limit, with the message the DuckDB build gives.
    assert spark_build.failed_returncode != 0
    duckdb_build = Build(tmp_path / "duckdb")
    failing = spark_build.workdir / "many_negative.tsv"
    on_duckdb = duckdb_build.dbt("build", *FAILING_SELECTION, dbt_vars={"customers_file": str(failing)})
    assert on_duckdb.returncode != 0
    message = quarantine_share_message(spark_build.failed_output)
    assert message == quarantine_share_message(on_duckdb.output)
    assert "23 of 276 rows (8.3%) were quarantined" in message and "Reasons: negative_spend: 23." in message
    # dbt rebuilt the build schema's quarantine from the failing file; the published one is the last good
    # build's, as are the persona tables readers query (the other tests compare them with DuckDB's).
    with duckdb.connect() as connection:
        count = "select count(*) from {}"
        rebuilt = connection.execute(count.format(spark_build.parquet("customer_quarantine", "smartcart_build")))
        assert rebuilt.fetchall()[0][0] == 23
        published = connection.execute(count.format(spark_build.parquet("customer_personas"))).fetchall()[0][0]
        assert published == 2240
        outcomes = connection.execute(f"select outcome from {spark_build.parquet('run_summary')}").fetchall()
        assert {outcome for (outcome,) in outcomes} == {"published"}
