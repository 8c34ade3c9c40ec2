"""What BI tools and SQL users find in the published file: the tables' descriptions and constraints (not a
bare CREATE TABLE AS copy), BIGINT counts, one type per concept, and the Parquet export (smartcart export)."""

from __future__ import annotations

import csv
import json

import duckdb
import pandas as pd

from tests.conftest import Build


def published_columns(build: Build) -> pd.DataFrame:
    return build.query(
        "select table_name, column_name, data_type, comment from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main'"
    )


def test_every_published_table_and_column_carries_its_description(bundled_build):
    tables = bundled_build.query(
        "select table_name, comment from duckdb_tables() where database_name = current_database()"
    )
    assert len(tables) > 30 and tables["comment"].notna().all(), tables[tables["comment"].isna()]
    columns = published_columns(bundled_build)
    undescribed = columns[columns["comment"].isna()]
    assert undescribed.empty, undescribed[["table_name", "column_name"]].to_string()


def test_the_contracts_constraints_reach_the_published_file(bundled_build):
    definition = bundled_build.query(
        "select sql from duckdb_tables() where database_name = current_database() and table_name = 'customer_value'"
    )["sql"][0]
    assert "customer_id BIGINT NOT NULL" in definition and "value_tier VARCHAR NOT NULL" in definition
    assert (
        bundled_build.query(
            "select count(*) as n from duckdb_constraints() where database_name = current_database() "
            "and constraint_type = 'NOT NULL'"
        )["n"][0]
        >= 10
    )


def test_counts_are_bigint_and_each_concept_has_one_type(bundled_build):
    columns = published_columns(bundled_build)
    summary = columns[columns["table_name"] == "run_summary"].set_index("column_name")["data_type"]
    assert (summary.filter(like="rows_") == "BIGINT").all() and summary["entities_scored"] == "BIGINT"
    assert bundled_build.query("select rows_read from run_summary")["rows_read"].dtype == "int64"
    # The tables of the inputs layer keep each file's own types; everything built from them agrees.
    manifest = json.loads((bundled_build.workdir / "target" / "manifest.json").read_text())
    inputs_layer = {
        node["name"] for node in manifest["nodes"].values() if "/marts/inputs/" in node.get("original_file_path", "")
    }
    built = columns[~columns["table_name"].isin(inputs_layer)]
    types = built.groupby("column_name")["data_type"].unique()
    mixed = types[types.map(len) > 1]
    assert mixed.empty, mixed.to_string()
    assert set(built.loc[built["column_name"] == "recency_days", "data_type"]) == {"DOUBLE"}


def test_smartcart_export_writes_parquet_that_imports_with_its_descriptions(bundled_build, tmp_path):
    out = tmp_path / "export"
    result = bundled_build.smartcart("export", "--db", str(bundled_build.database), "--out", str(out))
    assert result.returncode == 0, result.stderr
    counts = bundled_build.query(
        "select table_name, estimated_size from duckdb_tables() where database_name = current_database()"
    )
    assert {path.stem for path in out.glob("*.parquet")} == set(counts["table_name"])
    with duckdb.connect() as connection:
        personas = connection.execute(f"select count(*) from '{out / 'customer_personas.parquet'}'").fetchone()[0]
        assert personas == bundled_build.query("select count(*) as n from customer_personas")["n"][0]
    with duckdb.connect() as connection:
        connection.execute(f"import database '{out}'")
        imported = connection.execute(
            "select count(*), count(comment) from duckdb_columns() where database_name = current_database()"
        ).fetchone()
    assert imported[0] == imported[1] == len(published_columns(bundled_build))
    with (out / "columns.csv").open() as listing:
        rows = list(csv.DictReader(listing))
    assert len(rows) == imported[0] and all(row["description"] for row in rows)
    # A second export into the same folder is refused instead of mixing two exports.
    again = bundled_build.smartcart("export", "--db", str(bundled_build.database), "--out", str(out))
    assert again.returncode == 2 and "not an empty folder" in again.stderr


def test_public_models_are_exactly_the_published_tables_and_every_model_has_an_owner(bundled_build):
    manifest = json.loads((bundled_build.workdir / "target" / "manifest.json").read_text())
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    public = {node["name"] for node in models if node["access"] == "public"}
    assert public == bundled_build.tables()
    groups = {group["name"]: group for group in manifest["groups"].values()}
    assert all(node["group"] in groups for node in models)
    assert all(group["owner"].get("email") for group in groups.values())


def test_every_source_is_read_through_source_and_only_by_staging(bundled_build):
    manifest = json.loads((bundled_build.workdir / "target" / "manifest.json").read_text())
    readers: dict[str, set[str]] = {name: set() for name in manifest["sources"]}
    for node in manifest["nodes"].values():
        for source in node.get("depends_on", {}).get("nodes", []):
            if source in readers and node["resource_type"] == "model":
                readers[source].add(node["original_file_path"])
    assert readers and all(readers.values()), f"a declared source no model reads: {readers}"
    assert all("/staging/" in path for paths in readers.values() for path in paths), readers
    assert any(path.endswith("raw_clickstream_events.py") for path in readers["source.smartcart.clickstream.events"])


def test_the_semantic_layer_validates_and_its_measures_run_on_the_published_tables(bundled_build):
    from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest
    from dbt_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator

    document = json.loads((bundled_build.workdir / "target" / "semantic_manifest.json").read_text())
    semantic = PydanticSemanticManifest.parse_obj(document)
    result = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(semantic)
    assert not result.has_blocking_issues, [str(issue) for issue in result.all_issues]
    assert {"persona_members", "persona_share", "predicted_clv", "high_churn_risk_share"} <= {
        metric.name for metric in semantic.metrics
    }
    functions = {"count": "count", "sum": "sum", "average": "avg"}
    for model in semantic.semantic_models:
        table = model.node_relation.alias
        dimensions = [f"{dimension.expr or dimension.name} as {dimension.name}" for dimension in model.dimensions]
        measures = [
            f"{functions[measure.agg.value]}({measure.expr or measure.name}) as {measure.name}"
            for measure in model.measures
        ]
        names = ", ".join(dimension.name for dimension in model.dimensions)
        frame = bundled_build.query(
            f"select {names}, {', '.join(m.name for m in model.measures)} from ("
            f"select {', '.join(dimensions)}, {', '.join(measures)} from {table} group by all)"
        )
        assert len(frame) > 0 or table == "customer_value", table
    # Persona members by persona, in the last run, are the profiles' member counts.
    members = bundled_build.query(
        "select persona_id, count(entity_key) as n from persona_membership_history "
        "where segmentation_name = 'customers' and run_id = (select max_by(run_id, run_started_at) "
        "from persona_membership_history where segmentation_name = 'customers') group by all order by all"
    )
    profiles = bundled_build.query(
        "select persona_id, member_count as n from persona_profiles where segmentation_name = 'customers' order by all"
    )
    pd.testing.assert_frame_equal(members, profiles, check_dtype=False)
