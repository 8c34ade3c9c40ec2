import numpy as np
import pandas as pd

from ml import project
from ml.engine.preprocessing import SkewLog1p, build_preprocessor


def test_log1p_only_on_skewed_non_negative_non_binary_columns():
    rng = np.random.default_rng(0)
    data = np.column_stack(
        [
            rng.lognormal(3, 1.2, 2000),  # skewed amount: logged
            rng.normal(0, 1, 2000),  # symmetric: kept
            -rng.lognormal(3, 1.2, 2000),  # negative: kept
            rng.binomial(1, 0.03, 2000),  # rare flag, skewed but binary: kept
        ]
    )
    step = SkewLog1p(threshold=1.0).fit(data)
    assert step.log_mask_.tolist() == [True, False, False, False]
    out = step.transform(data)
    assert np.allclose(out[:, 0], np.log1p(data[:, 0]))
    assert np.array_equal(out[:, 1:], data[:, 1:])


def test_customer_preprocessor_one_hot_encodes_education():
    config = project.registry().get("customers").config
    frame = pd.DataFrame({name: np.arange(6, dtype=float) for name in config.numeric_features})
    frame["education_level"] = ["basic", "graduate", "master", "doctorate", "graduate", "master"]
    transformed = build_preprocessor(list(config.numeric_features), list(config.categorical_features), 1.0)
    transformed.fit(frame)
    names = list(transformed.get_feature_names_out())
    assert [n for n in names if n.startswith("education_level_")] == [
        "education_level_basic",
        "education_level_doctorate",
        "education_level_graduate",
        "education_level_master",
    ]
