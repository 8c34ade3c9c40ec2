"""Last model before the outputs: validate the persona tables (GX) and publish the warehouse atomically.

dbt only runs this model when every model and test upstream passed, so a failed build never reaches the
published file. Logic in ml/publishing.py and ml/quality/published.py.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pathlib import Path

    from ml.publishing import publish_tables
    from ml.quality.published import assert_persona_tables_valid, validate_persona_tables

    published = {
        "customers": dbt.ref("customers"),
        "customer_quarantine": dbt.ref("customer_quarantine"),
        "customer_features": dbt.ref("customer_features"),
        "customer_segments": dbt.ref("customer_segments"),
        "customer_segment_centroids": dbt.ref("customer_segment_centroids"),
        "customer_cluster_personas": dbt.ref("customer_cluster_personas"),
        "k_selection": dbt.ref("k_selection"),
        "segmentation_runs": dbt.ref("segmentation_runs"),
        "persona_profiles": dbt.ref("persona_profiles"),
        "customer_personas": dbt.ref("customer_personas"),
        "run_summary": dbt.ref("run_summary"),
    }
    reports_dir = dbt.config.get("reports_dir")
    published_path = dbt.config.get("published_path")
    profiles = published["persona_profiles"].df()
    persona_counts = published["customer_personas"].aggregate(
        "persona_name, count(*) as customers", "persona_name"
    )
    persona_counts = persona_counts.df()
    latest_run = published["run_summary"].filter("outcome = 'built'").order("run_started_at desc").limit(1)
    run_id = latest_run.select("run_id").fetchall()[0][0]

    def validate():
        outcomes = validate_persona_tables(profiles, persona_counts, Path(reports_dir) / "data_docs")
        assert_persona_tables_valid(outcomes)

    return publish_tables(
        session, dbt.this.database, dbt.this.schema, list(published), Path(published_path), run_id, validate
    )
