import numpy as np
import pandas as pd
import pytest

from ml.accumulators import CentroidAccumulator
from ml.fitting import SegmentationModel
from ml.personas import match_personas
from tests.ml.conftest import BLOB_FEATURES, blob_config

CATALOGUE = pd.DataFrame(
    {
        "persona_name": ["High F1", "Low F1", "High F2", "Average"],
        "description": ["d1", "d2", "d3", "d4"],
        "marketing_strategy": ["s1", "s2", "s3", "s4"],
    }
)
TRAITS = pd.DataFrame(
    {
        "persona_name": ["High F1", "Low F1", "High F2", "Average", "Average"],
        "feature_name": ["f1", "f1", "f2", "f1", "f2"],
        "direction": ["high", "low", "high", "moderate", "moderate"],
        "weight": [1.0, 1.0, 1.0, 1.0, 1.0],
    }
)


def personas_per_entity(model: SegmentationModel, frame: pd.DataFrame) -> pd.Series:
    labels = model.assign(frame)
    accumulator = CentroidAccumulator(BLOB_FEATURES, model.n_clusters_)
    accumulator.add(frame, labels["cluster_id"].to_numpy(), ~frame["is_excluded_from_fit"].to_numpy())
    centroids = accumulator.result()
    names = match_personas(centroids, CATALOGUE, TRAITS, min_match_score=0.25)
    mapping = dict(zip(names["cluster_id"], names["persona_name"], strict=True))
    return labels.set_index("entity_id")["cluster_id"].map(mapping)


def permuted(model: SegmentationModel, order: list[int]) -> SegmentationModel:
    other = SegmentationModel(model.config)
    other.__dict__.update(model.__dict__)
    other.cluster_centers_ = model.cluster_centers_[order]
    return other


def test_persona_names_do_not_depend_on_cluster_numbering(blobs):
    frame, _ = blobs
    model = SegmentationModel(blob_config(n_clusters=4)).fit(frame)
    baseline = personas_per_entity(model, frame)
    for order in ([3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]):
        other = permuted(model, order)
        assert not np.array_equal(other.assign(frame)["cluster_id"], model.assign(frame)["cluster_id"])
        pd.testing.assert_series_equal(personas_per_entity(other, frame), baseline)


def test_refit_with_another_seed_keeps_every_customers_persona(blobs):
    frame, _ = blobs
    first = personas_per_entity(
        SegmentationModel(blob_config(n_clusters=4, random_state=1)).fit(frame), frame
    )
    second = personas_per_entity(
        SegmentationModel(blob_config(n_clusters=4, random_state=99)).fit(frame), frame
    )
    pd.testing.assert_series_equal(first, second)


def test_one_persona_per_cluster_and_fallback_names():
    centroids = pd.DataFrame(
        {
            "cluster_id": [0, 0, 1, 1, 2, 2],
            "feature_name": ["f1", "f2"] * 3,
            "standardised_value": [1.5, 0.0, 1.4, 0.1, -0.1, -1.2],
        }
    )
    result = match_personas(centroids, CATALOGUE, TRAITS, min_match_score=0.25, labels={"f2": "feature two"})
    assert result["persona_name"].is_unique
    by_cluster = dict(zip(result["cluster_id"], result["persona_name"], strict=True))
    # Two clusters are high on f1 and only one can be "High F1": the stronger one gets it; the other's
    # best remaining persona scores below the threshold, so it is named from its traits.
    assert by_cluster[0] == "High F1"
    assert by_cluster[1] == "High f1 & High feature two"
    # Cluster 2 is low on f2: no catalogue persona fits, so it is named from its traits.
    assert by_cluster[2] == "Low feature two & Low f1"
    assert result.set_index("cluster_id").loc[2, "is_fallback_name"]
    assert result["marketing_strategy"].notna().all()


def test_more_clusters_than_personas_get_unique_fallback_names():
    rng = np.random.default_rng(0)
    centroids = pd.DataFrame(
        {
            "cluster_id": np.repeat(np.arange(7), 2),
            "feature_name": ["f1", "f2"] * 7,
            "standardised_value": rng.normal(0, 1.5, 14),
        }
    )
    result = match_personas(centroids, CATALOGUE, TRAITS, min_match_score=0.25)
    assert len(result) == 7
    assert result["persona_name"].is_unique
    assert result["is_fallback_name"].sum() >= 3


@pytest.mark.parametrize("seed", [0, 1])
def test_matching_is_invariant_to_row_order_of_centroids(seed):
    rng = np.random.default_rng(seed)
    centroids = pd.DataFrame(
        {
            "cluster_id": np.repeat(np.arange(4), 2),
            "feature_name": ["f1", "f2"] * 4,
            "standardised_value": rng.normal(0, 1, 8),
        }
    )
    relabel = {0: 2, 1: 0, 2: 3, 3: 1}
    shuffled = centroids.assign(cluster_id=centroids["cluster_id"].map(relabel)).sample(
        frac=1, random_state=seed
    )
    a = match_personas(centroids, CATALOGUE, TRAITS, 0.25).set_index("cluster_id")["persona_name"]
    b = match_personas(shuffled, CATALOGUE, TRAITS, 0.25).set_index("cluster_id")["persona_name"]
    assert all(a[c] == b[relabel[c]] for c in range(4))
