"""A fitted model as rows of data: what the SQL scoring macro needs to score every row where it lives.

For each transformed input i (numeric inputs first, then one category of each categorical input, the
order of the ColumnTransformer): whether log1p applies, the scaler's centre and scale and the PCA mean;
the PCA loadings per component and input; the centroids per cluster and component; the distance
threshold for outliers. The macro ``score_segments`` rebuilds exactly this computation in SQL:

    x_i   = log1p(max(value, 0)) if log1p else value          (numeric input)
          = 1 if value = category else 0                      (one-hot input; missing -> '(missing)')
    z_i   = (x_i - centre_i) / scale_i
    pc_c  = sum_i (z_i - pca_mean_i) * loading_{c,i}
    d_k   = sqrt(sum_c (pc_c - centroid_{k,c})^2)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PARAMETER_COLUMNS = [
    "item",
    "feature_name",
    "category_value",
    "input_index",
    "component_index",
    "cluster_id",
    "value",
]


def _inputs(model) -> list[dict]:
    """One record per transformed input: feature, category, log1p flag, centre, scale."""
    preprocess = model.pipeline_.named_steps["preprocess"]
    records: list[dict] = []
    fitted = preprocess.named_transformers_
    if "numeric" in fitted:
        numeric_pipeline = fitted["numeric"]
        columns = next(cols for name, _, cols in preprocess.transformers_ if name == "numeric")
        mask = numeric_pipeline.named_steps["skew"].log_mask_
        scaler = numeric_pipeline.named_steps["scale"]
        for j, column in enumerate(columns):
            records.append(
                {
                    "feature_name": str(column),
                    "category_value": None,
                    "log1p": float(bool(mask[j])),
                    "centre": float(scaler.mean_[j]),
                    "scale": float(scaler.scale_[j]),
                }
            )
    if "categorical" in fitted:
        categorical_pipeline = fitted["categorical"]
        columns = next(cols for name, _, cols in preprocess.transformers_ if name == "categorical")
        encoder = categorical_pipeline.named_steps["onehot"]
        scaler = categorical_pipeline.named_steps["scale"]
        position = 0
        for column, categories in zip(columns, encoder.categories_, strict=True):
            for category in categories:
                records.append(
                    {
                        "feature_name": str(column),
                        "category_value": str(category),
                        "log1p": 0.0,
                        "centre": float(scaler.mean_[position]),
                        "scale": float(scaler.scale_[position]),
                    }
                )
                position += 1
    return records


def parameter_rows(model) -> pd.DataFrame:
    """The fitted model of ``model`` (a fitted SegmentationModel) as long rows (PARAMETER_COLUMNS)."""
    pca = model.pipeline_.named_steps["pca"]
    rows = []
    for i, record in enumerate(_inputs(model)):
        common = {
            "feature_name": record["feature_name"],
            "category_value": record["category_value"],
            "input_index": i,
        }
        rows.append({**common, "item": "input_log1p", "value": record["log1p"]})
        rows.append({**common, "item": "input_centre", "value": record["centre"]})
        rows.append({**common, "item": "input_scale", "value": record["scale"]})
        rows.append({**common, "item": "pca_mean", "value": float(pca.mean_[i])})
        for c in range(pca.components_.shape[0]):
            rows.append(
                {
                    **common,
                    "item": "pca_loading",
                    "component_index": c + 1,
                    "value": float(pca.components_[c, i]),
                }
            )
    for c, ratio in enumerate(pca.explained_variance_ratio_):
        rows.append({"item": "explained_variance_ratio", "component_index": c + 1, "value": float(ratio)})
    for k, center in enumerate(model.cluster_centers_):
        for c, value in enumerate(center):
            rows.append({"item": "centroid", "cluster_id": k, "component_index": c + 1, "value": float(value)})
    rows.append({"item": "distance_threshold", "value": float(model.distance_threshold_)})
    frame = pd.DataFrame(rows, columns=PARAMETER_COLUMNS)
    for column in ("input_index", "component_index", "cluster_id"):
        frame[column] = frame[column].astype("Int64")
    return frame


def score_with_parameters(frame: pd.DataFrame, parameters: pd.DataFrame) -> np.ndarray:
    """Distances to every centroid computed from the parameter rows alone (the SQL formula in NumPy).

    Used to check that the rows describe the model completely; the build scores in SQL.
    """
    inputs = parameters[parameters["item"] == "input_centre"].sort_values("input_index")
    by_item = {
        item: parameters[parameters["item"] == item].set_index("input_index")["value"]
        for item in ("input_log1p", "input_centre", "input_scale", "pca_mean")
    }
    columns = []
    for row in inputs.itertuples():
        i = row.input_index
        if row.category_value is None or pd.isna(row.category_value):
            x = pd.to_numeric(frame[row.feature_name]).astype(float).to_numpy()
            if by_item["input_log1p"][i] == 1.0:
                x = np.log1p(np.clip(x, 0, None))
        else:
            values = frame[row.feature_name].astype(object).where(frame[row.feature_name].notna(), "(missing)")
            x = (values.astype(str) == row.category_value).to_numpy(dtype=float)
        columns.append((x - by_item["input_centre"][i]) / by_item["input_scale"][i] - by_item["pca_mean"][i])
    z = np.column_stack(columns)
    loadings = parameters[parameters["item"] == "pca_loading"].pivot(
        index="component_index", columns="input_index", values="value"
    )
    points = z @ loadings.to_numpy(dtype=float).T
    centroids = parameters[parameters["item"] == "centroid"].pivot(
        index="cluster_id", columns="component_index", values="value"
    )
    return np.sqrt(((points[:, None, :] - centroids.to_numpy(dtype=float)[None, :, :]) ** 2).sum(axis=2))
