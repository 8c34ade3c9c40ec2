"""Persona names come from cluster profiles, never from cluster numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.engine.personas import match_personas
from ml.engine.profiles import cluster_profile
from tests.engine.conftest import BLOB_FEATURES, blob_model

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


def names_per_row(frame: pd.DataFrame, labels: np.ndarray) -> pd.Series:
    profile = cluster_profile(frame, labels, BLOB_FEATURES)
    names = match_personas(profile, CATALOGUE, TRAITS, min_match_score=0.25)
    return pd.Series(labels).map(dict(zip(names["cluster_id"], names["persona_name"], strict=True)))


def test_persona_names_do_not_depend_on_cluster_numbering(blobs):
    frame, _ = blobs
    labels = blob_model(n_clusters=4).fit(frame).labels_
    baseline = names_per_row(frame, labels)
    for order in ([3, 2, 1, 0], [1, 3, 0, 2]):
        renumbered = np.asarray(order)[labels]
        pd.testing.assert_series_equal(names_per_row(frame, renumbered), baseline)


def test_refit_with_another_seed_keeps_every_rows_persona(blobs):
    frame, _ = blobs
    first = names_per_row(frame, blob_model(n_clusters=4, random_state=1).fit(frame).labels_)
    second = names_per_row(frame, blob_model(n_clusters=4, random_state=99).fit(frame).labels_)
    pd.testing.assert_series_equal(first, second)


def test_profile_is_the_cluster_mean_and_its_z_score(blobs):
    frame, _ = blobs
    labels = blob_model(n_clusters=4).fit(frame).labels_
    profile = cluster_profile(frame, labels, BLOB_FEATURES).set_index(["cluster_id", "feature_name"])
    own = frame.loc[labels == 2, "f3"]
    assert profile.loc[(2, "f3"), "mean_value"] == pytest.approx(own.mean())
    expected_z = (own.mean() - frame["f3"].mean()) / frame["f3"].std(ddof=0)
    assert profile.loc[(2, "f3"), "standardised_value"] == pytest.approx(expected_z)


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
    shuffled = centroids.assign(cluster_id=centroids["cluster_id"].map(relabel)).sample(frac=1, random_state=seed)
    a = match_personas(centroids, CATALOGUE, TRAITS, 0.25).set_index("cluster_id")["persona_name"]
    b = match_personas(shuffled, CATALOGUE, TRAITS, 0.25).set_index("cluster_id")["persona_name"]
    assert all(a[c] == b[relabel[c]] for c in range(4))


LOYALTY_CATALOGUE = pd.DataFrame(
    {
        "persona_name": ["Loyal Big Spenders", "Big Spenders"],
        "description": ["come back often and spend", "spend a lot"],
        "marketing_strategy": ["s1", "s2"],
    }
)
# "Loyal" is a claim about visits: it requires them 0.5 sd above average; spend counts in both scores.
LOYALTY_TRAITS = pd.DataFrame(
    {
        "persona_name": ["Loyal Big Spenders", "Loyal Big Spenders", "Big Spenders"],
        "feature_name": ["spend", "visits", "spend"],
        "direction": ["high", "high", "high"],
        "weight": [1.0, 0.5, 1.0],
        "required_z": [0.5, 0.5, 0.5],
    }
)


def centroid_rows(z_by_cluster: dict[int, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"cluster_id": cluster, "feature_name": feature, "standardised_value": value}
            for cluster, features in z_by_cluster.items()
            for feature, value in features.items()
        ]
    )


def test_a_persona_name_needs_every_required_trait_at_its_size():
    # Cluster 0 spends a lot, but its visits are only 0.3 sd above average: not loyal.
    centroids = centroid_rows({0: {"spend": 2.0, "visits": 0.3}, 1: {"spend": -0.4, "visits": -0.1}})
    named = match_personas(centroids, LOYALTY_CATALOGUE, LOYALTY_TRAITS, 0.25).set_index("cluster_id")
    assert named.loc[0, "persona_name"] == "Big Spenders"
    assert named.loc[1, "is_fallback_name"], "spend 0.4 sd below average earns neither name"
    # With visits 0.8 sd above average the loyal name is earned, and the note says so.
    centroids = centroid_rows({0: {"spend": 2.0, "visits": 0.8}, 1: {"spend": 0.6, "visits": -0.1}})
    named = match_personas(centroids, LOYALTY_CATALOGUE, LOYALTY_TRAITS, 0.25).set_index("cluster_id")
    assert named.loc[0, "persona_name"] == "Loyal Big Spenders"
    assert "shows every trait it requires" in named.loc[0, "naming_note"]


def test_a_feature_the_data_cannot_support_names_nobody():
    # A few hours of clickstream: visits cannot show loyalty, however high they are.
    centroids = centroid_rows({0: {"spend": 2.0, "visits": 3.0}, 1: {"spend": -0.4, "visits": -0.1}})
    named = match_personas(
        centroids, LOYALTY_CATALOGUE, LOYALTY_TRAITS, 0.25, unsupported=frozenset({"visits"})
    ).set_index("cluster_id")
    assert "Loyal Big Spenders" not in set(named["persona_name"])
    assert named.loc[0, "persona_name"] == "Big Spenders"
    assert not any("visits" in name.lower() for name in named["persona_name"])
    assert named.loc[1, "is_fallback_name"]


def test_a_cluster_near_the_average_on_everything_is_called_so():
    centroids = centroid_rows({0: {"spend": 0.1, "visits": -0.2}, 1: {"spend": -1.5, "visits": 0.9}})
    named = match_personas(centroids, LOYALTY_CATALOGUE, LOYALTY_TRAITS, 0.25).set_index("cluster_id")
    assert named.loc[0, "persona_name"] == "Near-Average Profile"
    assert named.loc[0, "is_fallback_name"]
    assert "the closest, Big Spenders, would need spend z >= 0.5 (this segment +0.10)" in named.loc[0, "naming_note"]
