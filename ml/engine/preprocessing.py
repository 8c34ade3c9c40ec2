"""From model inputs to the model's numeric matrix: schema checks, skew handling, one-hot, scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# A categorical input that is missing is its own category, in Python and in the SQL scoring alike.
MISSING_CATEGORY = "(missing)"


class FeatureSchemaError(ValueError):
    """The rows do not match what the segmentation (or a saved model) expects."""


def check_feature_frame(
    frame: pd.DataFrame,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...] = (),
    key: str | None = None,
    table: str = "features",
    name: str = "",
) -> None:
    """Fail with a message naming the table, the column and example values when the schema is wrong."""
    expected = ([key] if key else []) + [*numeric, *categorical]
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise FeatureSchemaError(
            f"{table}: missing column(s) {', '.join(missing)} required by segmentation {name!r}; "
            f"columns present: {', '.join(map(str, frame.columns))}"
        )
    for column in numeric:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            as_numbers = pd.to_numeric(values, errors="coerce")
            bad = values[as_numbers.isna() & values.notna()]
            if len(bad):
                raise FeatureSchemaError(
                    f"{table}: column {column} must be numeric; {len(bad)} value(s) are not, "
                    f"e.g. {', '.join(repr(v) for v in bad.unique()[:3])}"
                )
        if values.isna().any():
            where = f" for {key} {frame.loc[values.isna(), key].head(3).tolist()}" if key else ""
            raise FeatureSchemaError(
                f"{table}: column {column} has {int(values.isna().sum())} missing value(s){where}; "
                "model inputs must be complete (impute them in SQL)"
            )
    if key and frame[key].duplicated().any():
        dupes = frame.loc[frame[key].duplicated(), key].head(3).tolist()
        raise FeatureSchemaError(f"{table}: {key} is not unique, e.g. {dupes}")


def model_inputs(frame: pd.DataFrame, numeric: tuple[str, ...], categorical: tuple[str, ...]) -> pd.DataFrame:
    """The input columns in model order: numbers as floats (booleans as 0/1), categories as text."""
    inputs = pd.DataFrame(index=frame.index)
    for column in numeric:
        inputs[column] = pd.to_numeric(frame[column]).astype(float)
    for column in categorical:
        inputs[column] = frame[column].astype(object).where(frame[column].notna(), MISSING_CATEGORY).astype(str)
    return inputs


class SkewLog1p(BaseEstimator, TransformerMixin):
    """log1p on the columns whose skewness in the training data exceeds ``threshold``.

    Only non-negative columns qualify (log1p needs them). Heavily right-skewed amounts and counts would
    otherwise dominate the distances after scaling; shares and flags are left as they are.
    """

    def __init__(self, threshold: float = 1.0):
        self.threshold = threshold

    def fit(self, X, y=None):  # noqa: N803 - scikit-learn's argument name
        values = np.asarray(X, dtype=float)
        column_skew = skew(values, axis=0, bias=False, nan_policy="omit")
        column_skew = np.nan_to_num(np.asarray(column_skew, dtype=float))
        non_negative = values.min(axis=0) >= 0
        # Flags (0/1) are skewed when rare but are not amounts: log1p would only rescale them.
        not_binary = np.array([len(np.unique(values[:, i])) > 2 for i in range(values.shape[1])])
        self.skewness_ = column_skew
        self.log_mask_ = (column_skew > self.threshold) & non_negative & not_binary
        self.n_features_in_ = values.shape[1]
        return self

    def transform(self, X):  # noqa: N803
        values = np.array(X, dtype=float, copy=True)
        if self.log_mask_.any():
            values[:, self.log_mask_] = np.log1p(np.clip(values[:, self.log_mask_], 0, None))
        return values

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else [], dtype=object)


def build_preprocessor(numeric: list, categorical: list, skew_threshold: float) -> ColumnTransformer:
    """Numeric: skew-aware log1p then standard scaling. Categorical: one-hot then scaling.

    The output order (numeric block, then the one-hot columns) is what the parameter table records and
    the SQL scoring macro rebuilds (ml/engine/parameters.py).
    """
    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                Pipeline([("skew", SkewLog1p(threshold=skew_threshold)), ("scale", StandardScaler())]),
                numeric,
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                        ("scale", StandardScaler()),
                    ]
                ),
                categorical,
            )
        )
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
