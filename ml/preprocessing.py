"""From a feature frame to the model's numeric matrix: schema checks, skew handling, one-hot, scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml.config import SegmentationConfig


class FeatureSchemaError(ValueError):
    """The feature frame does not match what the segmentation (or a saved model) expects."""


def check_feature_frame(frame: pd.DataFrame, config: SegmentationConfig, table: str = "features") -> None:
    """Fail with a message naming the table, the columns and example values when the schema is wrong."""
    expected = [config.id_column, *config.features]
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise FeatureSchemaError(
            f"{table}: missing column(s) {', '.join(missing)} required by segmentation {config.name!r}; "
            f"columns present: {', '.join(map(str, frame.columns))}"
        )
    for column in config.numeric_features:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            numeric = pd.to_numeric(values, errors="coerce")
            bad = values[numeric.isna() & values.notna()]
            if len(bad):
                raise FeatureSchemaError(
                    f"{table}: column {column} must be numeric; {len(bad)} value(s) are not, "
                    f"e.g. {', '.join(repr(v) for v in bad.unique()[:3])}"
                )
        if values.isna().any():
            ids = frame.loc[values.isna(), config.id_column].head(3).tolist()
            raise FeatureSchemaError(
                f"{table}: column {column} has {int(values.isna().sum())} missing value(s), "
                f"e.g. for {config.id_column} {ids}; features must be complete (impute them in SQL)"
            )
    if frame[config.id_column].duplicated().any():
        dupes = frame.loc[frame[config.id_column].duplicated(), config.id_column].head(3).tolist()
        raise FeatureSchemaError(f"{table}: {config.id_column} is not unique, e.g. {dupes}")


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
            clipped = np.clip(values[:, self.log_mask_], 0, None)
            values[:, self.log_mask_] = np.log1p(clipped)
        return values

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else [], dtype=object)


def build_preprocessor(config: SegmentationConfig) -> ColumnTransformer:
    """Numeric: skew-aware log1p then standard scaling. Categorical: one-hot then scaling."""
    transformers = []
    if config.numeric_features:
        numeric = Pipeline(
            [("skew", SkewLog1p(threshold=config.skew_threshold)), ("scale", StandardScaler())]
        )
        transformers.append(("numeric", numeric, list(config.numeric_features)))
    if config.categorical_features:
        categorical = Pipeline(
            [
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                ("scale", StandardScaler()),
            ]
        )
        transformers.append(("categorical", categorical, list(config.categorical_features)))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def model_inputs(frame: pd.DataFrame, config: SegmentationConfig) -> pd.DataFrame:
    """The model's input columns with booleans as 0/1 floats and categoricals as strings."""
    inputs = frame.loc[:, list(config.features)].copy()
    for column in config.numeric_features:
        inputs[column] = pd.to_numeric(inputs[column]).astype(float)
    for column in config.categorical_features:
        inputs[column] = inputs[column].astype(str)
    return inputs
