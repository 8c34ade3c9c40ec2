"""Persona ids survive refits while a persona describes the same group; ids are never reused."""

from __future__ import annotations

import pandas as pd

from ml.engine.identity import assign_ids


def profile(rows: dict) -> pd.DataFrame:
    return pd.DataFrame(rows, index=["f1", "f2"]).T


def test_first_fit_numbers_the_personas():
    identities, vanished = assign_ids(profile({0: [1, 0], 1: [-1, 0]}), None, "shop", 0.5)
    assert [identities[c].persona_id for c in (0, 1)] == ["shop-p01", "shop-p02"]
    assert vanished == []


def test_refit_keeps_ids_of_matching_groups_whatever_their_cluster_numbers():
    previous = profile({"shop-p01": [1.0, 0.0], "shop-p02": [-1.0, 0.0]})
    new = profile({0: [-0.9, 0.1], 1: [1.1, -0.1]})  # the same two groups, numbered the other way
    identities, vanished = assign_ids(new, previous, "shop", 0.5)
    assert identities[0].persona_id == "shop-p02" and identities[1].persona_id == "shop-p01"
    assert {i.status for i in identities.values()} == {"kept"} and vanished == []


def test_a_new_group_appears_and_an_old_one_vanishes_without_reusing_ids():
    previous = profile({"shop-p01": [1.0, 0.0], "shop-p03": [-1.0, 0.0]})
    new = profile({0: [1.0, 0.05], 1: [0.0, 2.0]})
    identities, vanished = assign_ids(new, previous, "shop", 0.5, highest_used=4)
    assert identities[0].persona_id == "shop-p01" and identities[0].status == "kept"
    assert identities[1].persona_id == "shop-p05" and identities[1].status == "appeared"
    assert vanished == ["shop-p03"]
