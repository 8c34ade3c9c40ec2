"""The value-model fit inside dbt (DuckDB): thin, the logic is ml/engine/value_fit.py (shared with Spark)."""

from __future__ import annotations

from ml.engine.value_fit import fit_value_models

__all__ = ["fit_value_models"]
