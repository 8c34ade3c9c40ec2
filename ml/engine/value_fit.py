"""The value-model fit: clv_summaries in, the long clv_parameters table out (numerics in ml/engine/clv.py).

Run by the dbt Python model clv_fits on DuckDB and by `smartcart run --target spark` on Spark (ml/apps/
spark_build.py). Sources that clv_sufficiency marks as insufficient are skipped: they get a message there,
and no parameters here, so no CLV figures downstream.
"""

from __future__ import annotations

import pandas as pd

from ml.engine.clv import REPEAT_PURCHASE_MODELS, FitError, fit_purchases_or_no_dropout, fit_spend

COLUMNS = [
    "segmentation_name",
    "fitted_on",
    "model",
    "parameter",
    "value",
    "time_unit",
    "time_unit_days",
    "calibration_end_date",
    "observation_end_date",
    "customers",
    "log_likelihood",
]


def fit_value_models(summaries: pd.DataFrame, sufficiency: pd.DataFrame, model: str) -> pd.DataFrame:
    if model not in REPEAT_PURCHASE_MODELS:
        raise ValueError(f"var clv_model is {model!r}; expected one of {', '.join(REPEAT_PURCHASE_MODELS)}")
    rows = []
    for check in sufficiency.sort_values("segmentation_name").itertuples():
        if not check.is_sufficient:
            continue
        for fitted_on, period in summaries[summaries["segmentation_name"] == check.segmentation_name].groupby(
            "fitted_on", sort=True
        ):
            # Row order must not matter: the fits work on sorted patterns, and so does this frame.
            period = period.sort_values("customer_id")
            try:
                purchases = fit_purchases_or_no_dropout(period["frequency"], period["recency"], period["age"], model)
                spend = fit_spend(period["frequency"], period["mean_repeat_spend"])
            except FitError as error:
                raise FitError(
                    f"customer value ({check.segmentation_name}, fitted on {fitted_on}): {error}. "
                    "Raise clv_min_customers or clv_min_repeat_share to skip this source, or add data."
                ) from error
            for fit in (purchases, spend):
                for parameter, value in fit.parameters.items():
                    rows.append(
                        {
                            "segmentation_name": check.segmentation_name,
                            "fitted_on": fitted_on,
                            "model": fit.model,
                            "parameter": parameter,
                            "value": value,
                            "time_unit": "week",
                            "time_unit_days": 7,
                            "calibration_end_date": check.calibration_end_date,
                            "observation_end_date": check.observation_end_date,
                            "customers": fit.customers,
                            "log_likelihood": fit.log_likelihood,
                        }
                    )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("calibration_end_date", "observation_end_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date.astype("datetime64[s]")
    return frame.astype(
        {"value": "float64", "time_unit_days": "int64", "customers": "int64", "log_likelihood": "float64"}
    )
