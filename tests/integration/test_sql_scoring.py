"""Every row is scored in SQL from the parameter table, and it agrees with the saved scikit-learn model."""

from __future__ import annotations

import re
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml import project
from ml.apps.dbt_runner import dbt_command
from ml.engine.artifacts import ArtifactPaths, load_model
from ml.engine.preprocessing import model_inputs
from ml.synthetic.customers import generate_customers, write_customers
from tests.conftest import BUNDLED_INVOICES, Build, copy_project

pytestmark = pytest.mark.integration


def sql_against_sklearn(build: Build, name: str) -> pd.DataFrame:
    """The build's SQL scoring beside the saved pipeline's (hash-checked joblib) for every row."""
    segmentation = project.registry().get(name)
    key = segmentation.entity_key
    model_row = build.query(
        f"select model_version, artifact_sha256 from segmentation_models where segmentation_name = '{name}' "
        "and is_active_model"
    ).iloc[0]
    model, _ = load_model(
        ArtifactPaths.for_model(build.artifacts, name, model_row["model_version"]),
        model_row["artifact_sha256"],
    )
    features = build.query(f"select * from {segmentation.feature_model}")
    inputs = model_inputs(features, segmentation.config.numeric_features, segmentation.config.categorical_features)
    distances = model.transform(inputs)
    ordered = np.sort(distances, axis=1)
    pipeline = pd.DataFrame(
        {
            key: features[key],
            "cluster": distances.argmin(axis=1),
            "distance": ordered[:, 0],
            "margin": ordered[:, 1] - ordered[:, 0],
            "pc1": model.project(inputs)[:, 0],
            "every_distance": list(distances),
        }
    )
    sql = build.query(
        f"select {key}, cluster_id, distance_to_centroid, margin_to_next_centroid, pc1, distances_to_centroids "
        f"from {segmentation.members_model}"
    )
    return pipeline.merge(sql, on=key, how="outer", indicator=True)


def assert_same(joined: pd.DataFrame) -> None:
    assert (joined["_merge"] == "both").all()
    assert (joined["cluster"] == joined["cluster_id"]).all()
    np.testing.assert_allclose(joined["distance_to_centroid"], joined["distance"], rtol=1e-6)
    np.testing.assert_allclose(joined["margin_to_next_centroid"], joined["margin"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(joined["pc1_y"], joined["pc1_x"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        np.vstack(joined["distances_to_centroids"].to_numpy()),
        np.vstack(joined["every_distance"].to_numpy()),
        rtol=1e-6,
    )


@pytest.mark.parametrize("name", ["customers", "invoices", "clickstream"])
def test_sql_scoring_of_the_bundled_data_matches_the_saved_pipeline(bundled_build, name):
    joined = sql_against_sklearn(bundled_build, name)
    assert len(joined) == len(bundled_build.query(f"select * from {project.registry().get(name).feature_model}"))
    assert_same(joined)


def test_sql_scoring_of_100000_synthetic_customers_matches_the_saved_pipeline(tmp_path):
    path = write_customers(generate_customers(100_000, seed=3), tmp_path / "customers.tsv")
    build = Build(tmp_path / "build").dbt("build", dbt_vars={"customers_file": str(path)})
    assert build.returncode == 0, build.output[-3000:]
    joined = sql_against_sklearn(build, "customers")
    assert len(joined) == build.query("select count(*) as n from customer_features")["n"].item() > 95_000
    assert_same(joined)


def test_sql_users_score_their_own_rows_with_the_macro(bundled_build):
    """The analysis in dbt_project/analyses compiles to one query that gives the published personas."""
    command = dbt_command(["compile", "--select", "score_prospects"], {"invoices_file": str(BUNDLED_INVOICES)})
    result = subprocess.run(command, cwd=project.root(), env=bundled_build.env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    (compiled,) = (bundled_build.workdir / "target").rglob("score_prospects.sql")
    sql = compiled.read_text()
    assert "segment_model_parameters" not in sql  # the parameters became constants of the query
    with duckdb.connect(str(bundled_build.database), read_only=True) as connection:
        scored = connection.execute(re.sub(r'"[^"]+"\."main"\.', "", sql)).df()
    published = bundled_build.query("select customer_id, persona_name from customer_personas")
    joined = scored.merge(published, on="customer_id", suffixes=("", "_published"))
    assert len(joined) == len(scored) > 10
    assert (joined["persona_name"] == joined["persona_name_published"]).all()


def test_a_segmentation_set_to_the_gaussian_mixture_is_scored_in_sql_as_the_mixture_predicts(tmp_path):
    """Registry `algorithm: gaussian_mixture` on invoices: fitted as a mixture, scored by the same macro."""
    copy = copy_project(tmp_path / "project")
    settings = copy / "dbt_project.yml"
    text = settings.read_text()
    marker = "        numeric_features: [recency_days, frequency, monetary]\n"
    assert marker in text
    settings.write_text(text.replace(marker, marker + "        algorithm: gaussian_mixture\n", 1))
    build = Build(tmp_path / "build", project=copy).dbt("build")
    assert build.returncode == 0, build.output[-3000:]
    joined = sql_against_sklearn(build, "invoices")
    assert len(joined) == build.query("select count(*) as n from invoice_customer_features")["n"].item()
    assert_same(joined)
    parameters = build.query(
        "select parameter, count(*) as n from segment_model_parameters where segmentation_name = 'invoices' "
        "and is_active_model group by parameter"
    ).set_index("parameter")["n"]
    assert parameters["centroid_precision"] == 4 * 3 * 3 and parameters["centroid_offset"] == 4
    algorithms = build.query(
        "select algorithm from algorithm_comparison where segmentation_name = 'invoices' order by algorithm_order"
    )["algorithm"]
    assert list(algorithms) == ["gaussian_mixture", "kmeans", "ward", "hdbscan"]
    # The other segmentations keep K-Means: no mixture parameters.
    assert not len(
        build.query(
            "select * from segment_model_parameters where segmentation_name <> 'invoices' "
            "and parameter = 'centroid_offset'"
        )
    )
