"""The fitted value models, as data; typed as clv_parameters (thin: logic in ml/engine/value_fit.py).

One row per source, fit (calibration / all data), model and parameter. Every customer is then scored in
SQL from these rows (customer_value, clv_validation). On Spark, `smartcart run --target spark` runs the same
function (ml/apps/spark_build.py).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from ml.dbt_models.value import fit_value_models

    return fit_value_models(
        dbt.ref("clv_summaries").df(),
        dbt.ref("clv_sufficiency").df(),
        model=dbt.config.get("clv_model"),
    )
