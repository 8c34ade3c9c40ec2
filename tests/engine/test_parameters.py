"""The parameter rows describe the fitted model completely: scoring from them gives its distances."""

from __future__ import annotations

import numpy as np

from ml.engine.parameters import parameter_rows, score_with_parameters
from tests.engine.conftest import blob_model


def test_parameters_reproduce_the_pipeline_with_log1p_and_one_hot(blobs):
    frame, _ = blobs
    frame = frame.assign(
        amount=np.exp(frame["f1"] / 3),  # skewed and positive: log1p applies
        kind=np.where(frame["f2"] > 0, "up", "down"),
    )
    model = blob_model(categorical_features=("kind",), n_clusters=4).fit(frame)
    rows = parameter_rows(model)
    logged = rows[(rows["item"] == "input_log1p") & (rows["value"] == 1.0)]["feature_name"].tolist()
    assert logged == ["amount"]
    assert set(rows.loc[rows["category_value"].notna(), "category_value"]) == {"up", "down"}
    distances = score_with_parameters(frame, rows)
    np.testing.assert_allclose(distances, model.transform(frame), rtol=1e-9, atol=1e-12)
    assert rows.loc[rows["item"] == "distance_threshold", "value"].iloc[0] == model.distance_threshold_
