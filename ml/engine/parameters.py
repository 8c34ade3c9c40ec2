"""A fitted model as rows of data: what the SQL scoring macro needs to score every row where it lives.

For each transformed input i (numeric inputs first, then one category of each categorical input, the
order of the ColumnTransformer): whether log1p applies, the scaler's centre and scale and the PCA mean;
the PCA loadings per component and input; the centroids per cluster and component; the distance
threshold for outliers. The macro ``score_segments`` rebuilds exactly this computation in SQL:

    x_i   = log1p(max(value, 0)) if log1p else value          (numeric input)
          = 1 if value = category else 0                      (one-hot input; missing -> '(missing)')
    z_i   = (x_i - centre_i) / scale_i
    pc_c  = sum_i (z_i - pca_mean_i) * loading_{c,i}
    d_k   = sqrt(sum_c (pc_c - centroid_{k,c})^2)                                   (K-Means)
    y_k,e = sum_c (pc_c - centroid_{k,c}) * centroid_precision_{k,c,e}
    d_k   = sqrt(sum_e y_k,e^2 + centroid_offset_k)              (Gaussian mixture, registry algorithm)

For a mixture, centroid_precision is the Cholesky factor U of each component's precision (rows
component_index, columns input_index, both from 1) and centroid_offset is -2 log det U - 2 log weight
minus the smallest over the components, so the nearest centroid is the most probable component.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

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
    precisions = getattr(model, "cluster_precisions_", None)
    if precisions is not None:
        for k, (factor, offset) in enumerate(zip(precisions, model.cluster_offsets_, strict=True)):
            for (c, e), value in np.ndenumerate(factor):
                rows.append(
                    {
                        "item": "centroid_precision",
                        "cluster_id": k,
                        "component_index": c + 1,
                        "input_index": e + 1,
                        "value": float(value),
                    }
                )
            rows.append({"item": "centroid_offset", "cluster_id": k, "value": float(offset)})
    rows.append({"item": "distance_threshold", "value": float(model.distance_threshold_)})
    frame = pd.DataFrame(rows, columns=PARAMETER_COLUMNS)
    for column in ("input_index", "component_index", "cluster_id"):
        frame[column] = frame[column].astype("Int64")
    return frame


@dataclass(frozen=True)
class CompiledParameters:
    """The parameter rows as arrays, compiled once: the SQL formula in NumPy, fast enough for one row.

    The API and ``smartcart score`` place rows with this, so that outside the warehouse a row gets the
    distances the SQL scoring macro computes inside it. ``explain`` says which inputs pull a row towards
    its nearest centroid rather than the next one.
    """

    feature_names: tuple[str, ...]  # per transformed input
    category_values: tuple[str | None, ...]  # None for a numeric input
    log1p: np.ndarray  # bool per input
    centre: np.ndarray
    scale: np.ndarray
    pca_mean: np.ndarray
    loadings: np.ndarray  # components x inputs
    centroids: np.ndarray  # clusters x components
    distance_threshold: float
    precisions: np.ndarray | None = None  # clusters x components x components (Gaussian mixture only)
    offsets: np.ndarray | None = None  # per cluster (Gaussian mixture only)

    @classmethod
    def from_rows(cls, parameters: pd.DataFrame) -> CompiledParameters:
        def per_input(item: str) -> pd.Series:
            return parameters[parameters["item"] == item].set_index("input_index")["value"].sort_index()

        inputs = parameters[parameters["item"] == "input_centre"].sort_values("input_index")
        loadings = parameters[parameters["item"] == "pca_loading"].pivot(
            index="component_index", columns="input_index", values="value"
        )
        centroids = parameters[parameters["item"] == "centroid"].pivot(
            index="cluster_id", columns="component_index", values="value"
        )
        threshold = parameters.loc[parameters["item"] == "distance_threshold", "value"]
        precisions = parameters[parameters["item"] == "centroid_precision"]
        offsets = parameters[parameters["item"] == "centroid_offset"].set_index("cluster_id")["value"].sort_index()
        return cls(
            feature_names=tuple(str(name) for name in inputs["feature_name"]),
            category_values=tuple(None if pd.isna(value) else str(value) for value in inputs["category_value"]),
            log1p=per_input("input_log1p").to_numpy(dtype=float) == 1.0,
            centre=per_input("input_centre").to_numpy(dtype=float),
            scale=per_input("input_scale").to_numpy(dtype=float),
            pca_mean=per_input("pca_mean").to_numpy(dtype=float),
            loadings=loadings.sort_index(axis=0).sort_index(axis=1).to_numpy(dtype=float),
            centroids=centroids.sort_index(axis=0).sort_index(axis=1).to_numpy(dtype=float),
            distance_threshold=float(threshold.iloc[0]) if len(threshold) else float("inf"),
            precisions=_precision_factors(precisions, len(centroids)) if len(precisions) else None,
            offsets=offsets.to_numpy(dtype=float) if len(offsets) else None,
        )

    @cached_property
    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        """The model inputs in order of first appearance, and a 0/1 matrix (transformed inputs x inputs)
        that adds up the one-hot columns of a categorical input."""
        names = list(dict.fromkeys(self.feature_names))
        grouping = np.zeros((len(self.feature_names), len(names)))
        for i, name in enumerate(self.feature_names):
            grouping[i, names.index(name)] = 1.0
        return names, grouping

    def standardised(self, frame: pd.DataFrame | Mapping[str, Sequence]) -> np.ndarray:
        """z_i - pca_mean_i per row and transformed input (rows x inputs).

        ``frame`` is a DataFrame or a mapping of column name to values (the API's columns, which skip the
        cost of building a DataFrame for one row)."""
        columns = []
        numeric_cache: dict[str, np.ndarray] = {}
        text_cache: dict[str, np.ndarray] = {}
        for name, category, log in zip(self.feature_names, self.category_values, self.log1p, strict=True):
            if category is None:
                if name not in numeric_cache:
                    numeric_cache[name] = _numbers(frame[name])
                x = numeric_cache[name]
                if log:
                    x = np.log1p(np.clip(x, 0, None))
            else:
                if name not in text_cache:
                    text_cache[name] = _categories(frame[name])
                x = (text_cache[name] == category).astype(float)
            columns.append(x)
        return (np.column_stack(columns) - self.centre) / self.scale - self.pca_mean

    def distances(self, frame: pd.DataFrame | Mapping[str, Sequence]) -> np.ndarray:
        """Distance of every row to every centroid (rows x clusters)."""
        return self.distances_from(self.standardised(frame))

    def distances_from(self, z: np.ndarray) -> np.ndarray:
        points = z @ self.loadings.T
        differences = points[:, None, :] - self.centroids[None, :, :]
        if self.precisions is None:
            return np.sqrt((differences**2).sum(axis=2))
        assert self.offsets is not None  # set together with the precisions
        scaled = np.einsum("nkc,kce->nke", differences, self.precisions)
        return np.sqrt((scaled**2).sum(axis=2) + self.offsets[None, :])

    def pull_towards(self, z: np.ndarray, nearest: np.ndarray, runner_up: np.ndarray) -> np.ndarray:
        """Per row and model input (``feature_matrix`` order): how much it moves the row towards
        ``nearest`` rather than ``runner_up``, given the standardised inputs ``z``.

        d_runner_up^2 - d_nearest^2 is linear in the projected point p = L z: 2 p.(m_n - m_r) + |m_r|^2 -
        |m_n|^2. The part of 2 p.(m_n - m_r) due to input i is 2 z_i (L^T (m_n - m_r))_i; the one-hot
        inputs of a categorical feature are added up. Positive: the input places the row in its persona.
        For a Gaussian mixture the component means stand in for the centroids: its scaled distances are not
        linear in p, and which side of the mean an input lies on is what the reason has to say.
        """
        direction = (self.centroids[nearest] - self.centroids[runner_up]) @ self.loadings  # rows x inputs
        return (2.0 * z * direction) @ self.feature_matrix[1]


def _precision_factors(rows: pd.DataFrame, clusters: int) -> np.ndarray:
    """The centroid_precision rows as an array clusters x components x components."""
    size = int(rows["component_index"].max())
    factors = np.zeros((clusters, size, size))
    for row in rows.itertuples(index=False):
        factors[int(row.cluster_id), int(row.component_index) - 1, int(row.input_index) - 1] = row.value
    return factors


def _numbers(values) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = pd.to_numeric(values)
    return np.asarray(values, dtype=float)


def _categories(values) -> np.ndarray:
    """Text values with a missing one as the encoder's '(missing)' category."""
    if isinstance(values, pd.Series):
        values = values.astype(object)
        return values.where(values.notna(), "(missing)").astype(str).to_numpy()
    return np.array(["(missing)" if v is None or v != v else str(v) for v in values], dtype=object)


def score_with_parameters(frame: pd.DataFrame, parameters: pd.DataFrame) -> np.ndarray:
    """Distances to every centroid computed from the parameter rows alone (the SQL formula in NumPy)."""
    return CompiledParameters.from_rows(parameters).distances(frame)
