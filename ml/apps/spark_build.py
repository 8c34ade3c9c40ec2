"""The build on Apache Spark (`smartcart run --target spark`): every SQL model on Spark, the fits in Python.

Open-source Spark cannot run dbt Python models (dbt-spark issue 415; only Databricks can). With scoring in
SQL, only the two fits on fixed-size inputs are Python, so the build runs in four steps:

1. ``dbt build --target spark`` of everything upstream of the fits and beside them: landing, staging,
   features, the fit samples, the value summaries, and their tests.
2. The fits (this module, ``python -m ml.apps.spark_build fit``): the deterministic fit sample and the
   value summaries are read through Spark, fitted by the same functions the dbt Python models call on
   DuckDB (ml/engine), and written back as the Spark tables ``segmentation_fits`` and ``clv_fits``, so the
   models are data there too. The fits' settings are the ones dbt rendered for those models in step 1
   (target/manifest.json): the registry and vars given to dbt reach the fit unchanged.
3. ``dbt build --target spark`` of everything downstream of the fits: SQL scoring, personas, value,
   history, and their tests.
4. Publishing (``python -m ml.apps.spark_build publish``, ml/apps/spark_publish.py), only when 1-3 passed:
   dbt builds into the build schema ``<schema>_build``; this step checks the persona tables and swaps the
   tables of ``publication_manifest`` into the published schema readers query, as ``published_warehouse``
   publishes the DuckDB build.

The DuckDB-only Python models are not run on Spark: ``published_warehouse`` (step 4 does its work) and
``insights_report`` (docs/spark.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pandas as pd
import yaml

from ml import project
from ml.apps.dbt_runner import run_dbt
from ml.apps.spark_publish import PUBLISHING_SUFFIX, publish, published_schema
from ml.engine.fitting import fit_segmentations, typed
from ml.engine.registry import parse_registry
from ml.engine.value_fit import fit_value_models

FIT_MODELS = ("segmentation_fits", "clv_fits")
# Python models of the DuckDB build that have no step on Spark (see the module docstring).
DUCKDB_ONLY_MODELS = ("published_warehouse", "insights_report")


def target_path() -> str:
    """dbt's artifacts of the Spark build (its manifest tells step 2 the fit settings): a folder of their
    own, under DBT_TARGET_PATH or target/ of the project folder, apart from the DuckDB build's."""
    return str(Path(os.environ.get("DBT_TARGET_PATH") or "target") / "spark")


class SparkBuildError(RuntimeError):
    """A step of the Spark build failed; the message says which and what to do."""


def spark_profile(project_dir: Path | None = None) -> dict:
    """The profile's spark target, rendered as dbt renders it.

    One source of truth: the fit and publishing steps' Spark session uses the warehouse folder and
    metastore that dbt's session uses, so it finds the tables dbt built and dbt finds the ones it writes."""
    root = project_dir or project.root()
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.globals["env_var"] = lambda name, default=None: os.environ.get(name, default)
    profile = yaml.safe_load(environment.from_string((root / "profiles.yml").read_text()).render())
    return profile["smartcart"]["outputs"]["spark"]


def spark_settings(project_dir: Path | None = None) -> dict[str, str]:
    """The Spark settings of the profile's spark target (server_side_parameters)."""
    parameters = spark_profile(project_dir)["server_side_parameters"]
    return {str(key): str(value) for key, value in parameters.items()}


def spark_session(project_dir: Path | None = None):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport().appName("smartcart-fit")
    for key, value in spark_settings(project_dir).items():
        builder = builder.config(key, value)
    builder = builder.config("spark.ui.showConsoleProgress", "false")  # no progress bars in the build's log
    return builder.config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate()


def rendered_configs(project_dir: Path, models: tuple[str, ...] = FIT_MODELS) -> tuple[str, dict[str, dict]]:
    """The schema and the config dbt rendered for each of ``models`` in the build (its manifest)."""
    manifest_path = project_dir / target_path() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    nodes = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    missing = [name for name in models if name not in nodes]
    if missing:
        raise SparkBuildError(f"{manifest_path} has no model {', '.join(missing)}: run step 1 of the Spark build first")
    return nodes[models[0]]["schema"], {name: nodes[name]["config"] for name in models}


def table_frame(spark, table: str) -> pd.DataFrame:
    """A Spark table as pandas, decimals as doubles (as DuckDB hands them to the dbt Python models)."""
    from pyspark.sql import functions
    from pyspark.sql.types import DecimalType

    data = spark.table(table)
    columns = [
        functions.col(f"`{field.name}`").cast("double")
        if isinstance(field.dataType, DecimalType)
        else functions.col(f"`{field.name}`")
        for field in data.schema
    ]
    return data.select(*columns).toPandas()


def spark_type(dtype) -> str:
    """The Spark SQL type a fit frame's column is written as (the types the DuckDB build gives it)."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "string"


def write_table(spark, frame: pd.DataFrame, table: str) -> None:
    """Replace ``table`` with ``frame`` (a Parquet table of the warehouse), columns typed explicitly: a column
    that is all null must still get its type, not Spark's void."""
    schema = ", ".join(f"`{name}` {spark_type(dtype)}" for name, dtype in frame.dtypes.items())
    data = spark.createDataFrame(frame, schema=schema)  # through Arrow (spark_session turns it on)
    data.write.mode("overwrite").format("parquet").saveAsTable(table)


def previous_recommendations(spark, schema: str) -> dict[str, str]:
    """The refit recommendations of the last build (table refit_recommendation), if there is one."""
    if not spark.catalog.tableExists(f"{schema}.refit_recommendation"):
        return {}
    rows = spark.sql(
        f"select segmentation_name, reason from {schema}.refit_recommendation where is_refit_recommended"
    ).collect()
    return {row[0]: row[1] for row in rows}


def run_fits(project_dir: Path) -> None:
    """Step 2: both fits, read through Spark and written back to it (see the module docstring)."""
    schema, configs = rendered_configs(project_dir)
    spark = spark_session(project_dir)
    try:
        fits_table = f"{schema}.segmentation_fits"
        # Append-only, as the dbt model (incremental, delete+insert on segmentation and model version).
        previous = typed(table_frame(spark, fits_table)) if spark.catalog.tableExists(fits_table) else None
        config = configs["segmentation_fits"]
        new = fit_segmentations(
            parse_registry(json.loads(config["registry"])),
            table_frame(spark, f"{schema}.segmentation_fit_samples"),
            previous,
            table_frame(spark, f"{schema}.persona_catalogue"),
            table_frame(spark, f"{schema}.persona_traits"),
            table_frame(spark, f"{schema}.feature_labels"),
            config["artifacts_dir"],
            json.loads(config["settings"]),
            previous_recommendations(spark, schema),
            table_frame(spark, f"{schema}.segmentation_sufficiency"),
        )
        if previous is not None and not new.empty:
            replaced = previous.set_index(["segmentation_name", "model_version"]).index.isin(
                new.set_index(["segmentation_name", "model_version"]).index
            )
            new = pd.concat([previous[~replaced], new], ignore_index=True)
        elif previous is not None:
            new = previous
        write_table(spark, typed(new), fits_table)
        values = fit_value_models(
            table_frame(spark, f"{schema}.clv_summaries"),
            table_frame(spark, f"{schema}.clv_sufficiency"),
            model=configs["clv_fits"]["clv_model"],
        )
        write_table(spark, values, f"{schema}.clv_fits")
    finally:
        spark.stop()


def build(
    arguments: list[str], dbt_vars: dict | None, env: dict[str, str] | None = None, project_dir: Path | None = None
) -> int:
    """The four steps; ``arguments`` are extra dbt build flags (e.g. --full-refresh). The exit code."""
    root = project_dir or project.root()
    common = ["--target", "spark", "--target-path", target_path(), *arguments]
    fits = [f"{name}+" for name in FIT_MODELS]
    print("Spark step 1 of 4: dbt build up to the fits (landing, staging, features, fit samples)", flush=True)
    code = run_dbt(["build", *common, "--exclude", *fits], dbt_vars, env, project_dir=root).returncode
    keep_run_results(root, 1)
    if code != 0:
        return code
    print("Spark step 2 of 4: the fits (Python, reading and writing through Spark)", flush=True)
    if (code := run_step("fit", root, env)) != 0:
        return code
    print("Spark step 3 of 4: dbt build after the fits (scoring, personas, value, history)", flush=True)
    # The fit models themselves were made in step 2; their tests run here (the intersection excludes the
    # model nodes only).
    excluded = [f"resource_type:model,{name}" for name in FIT_MODELS] + list(DUCKDB_ONLY_MODELS)
    third = ["build", *common, "--select", *fits, "--exclude", *excluded]
    code = run_dbt(third, dbt_vars, env, project_dir=root).returncode
    keep_run_results(root, 3)
    if code != 0:
        return code
    print("Spark step 4 of 4: publish (check the persona tables, copy the published tables, swap them in)", flush=True)
    return run_step("publish", root, env)


def run_step(step: str, root: Path, env: dict[str, str] | None) -> int:
    """A step of this module in its own process: its Spark session must not share a JVM with dbt's, whose
    embedded metastore one process opens at a time."""
    command = [sys.executable, "-m", "ml.apps.spark_build", step, str(root)]
    return subprocess.run(command, cwd=root, env={**os.environ, **(env or {})}).returncode


def run_publish(project_dir: Path) -> None:
    """Step 4: publish the build's tables to the published schema (ml/apps/spark_publish.py)."""
    schema, configs = rendered_configs(project_dir, ("published_warehouse",))
    config = configs["published_warehouse"]
    spark = spark_session(project_dir)
    try:
        counts = publish(spark, schema, config["registry"], config["reports_dir"])
    finally:
        spark.stop()
    print(f"Published {len(counts)} tables to {published_schema(schema)}", flush=True)


def keep_run_results(root: Path, step: int) -> None:
    """dbt's run_results.json of a step, kept as run_results_step<N>.json: step 3 would overwrite step 1's."""
    results = root / target_path() / "run_results.json"
    if results.exists():
        shutil.copyfile(results, results.with_name(f"run_results_step{step}.json"))


def warehouse_folder(project_dir: Path | None = None) -> Path:
    """The Spark warehouse folder (spark.sql.warehouse.dir of the profile), absolute."""
    root = project_dir or project.root()
    return (root / spark_settings(root)["spark.sql.warehouse.dir"]).resolve()


def published_tables_folder(project_dir: Path | None = None) -> Path:
    """The folder of the published schema's tables in the warehouse (one folder of Parquet files each)."""
    return warehouse_folder(project_dir) / f"{published_schema(spark_profile(project_dir)['schema'])}.db"


def write_duckdb_views(database: Path, project_dir: Path | None = None) -> list[str]:
    """A DuckDB file of views over the published Parquet tables of the Spark build, named as in Spark.

    What the CLI, the dashboard or a BI tool open to read a Spark build with DuckDB (the views read the
    Parquet files where Spark wrote them; nothing is copied). Returns the table names."""
    import duckdb

    tables_folder = published_tables_folder(project_dir)
    tables = sorted(
        folder.name
        for folder in tables_folder.iterdir()
        if any(folder.glob("*.parquet")) and not folder.name.endswith(PUBLISHING_SUFFIX)
    )
    database.parent.mkdir(parents=True, exist_ok=True)
    staging = database.with_name(database.name + ".tmp")
    staging.unlink(missing_ok=True)
    with duckdb.connect(str(staging)) as connection:
        for table in tables:
            files = str(tables_folder / table / "*.parquet").replace("'", "''")
            name = table.replace('"', '""')
            connection.execute(f"create view \"{name}\" as select * from read_parquet('{files}')")
    staging.replace(database)  # readers see the old file or the new one, never half of it
    return tables


STEPS = {"fit": run_fits, "publish": run_publish}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in STEPS:
        print(f"usage: python -m ml.apps.spark_build {{{','.join(STEPS)}}} PROJECT_DIR", file=sys.stderr)
        return 2
    STEPS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
