"""The fit of every segmentation, as data: one long table of model rows (thin: logic in ml/engine/fitting).

Decides per segmentation, by its refit policy, whether this build fits a new model; fits on the
deterministic sample of segmentation_fit_samples, names the personas from the seeds, carries persona ids
over from the previous model, saves the hash-stamped artifact, and appends the model's rows (parameters,
k evidence, personas, fit profile, input distributions). Append-only: a full refresh keeps the models,
which the history of memberships refers to. On Spark, `smartcart run --target spark` runs the same
function (dbt-spark cannot run Python models).
"""


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["segmentation_name", "model_version"],
        full_refresh=False,
    )
    from ml.dbt_models.fits import fit_model

    # dbt passes a config value to a Python model only where the model file reads it by a literal key.
    return fit_model(
        dbt,
        session,
        registry=dbt.config.get("registry"),
        settings=dbt.config.get("settings"),
        artifacts_dir=dbt.config.get("artifacts_dir"),
        samples=dbt.ref("segmentation_fit_samples"),
        catalogue=dbt.ref("persona_catalogue"),
        traits=dbt.ref("persona_traits"),
        feature_labels=dbt.ref("feature_labels"),
        sufficiency=dbt.ref("segmentation_sufficiency"),
    )
