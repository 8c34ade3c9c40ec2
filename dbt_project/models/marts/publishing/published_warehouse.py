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
        "invoice_lines": dbt.ref("invoice_lines"),
        "invoice_line_quarantine": dbt.ref("invoice_line_quarantine"),
        "invoice_line_accounting": dbt.ref("invoice_line_accounting"),
        "invoice_customer_features": dbt.ref("invoice_customer_features"),
        "invoice_rfm_scores": dbt.ref("invoice_rfm_scores"),
        "invoice_customer_segments": dbt.ref("invoice_customer_segments"),
        "invoice_segment_centroids": dbt.ref("invoice_segment_centroids"),
        "invoice_cluster_personas": dbt.ref("invoice_cluster_personas"),
        "invoice_persona_profiles": dbt.ref("invoice_persona_profiles"),
        "invoice_customer_personas": dbt.ref("invoice_customer_personas"),
        "invoice_persona_rfm_crosstab": dbt.ref("invoice_persona_rfm_crosstab"),
        "clickstream_event_accounting": dbt.ref("clickstream_event_accounting"),
        "clickstream_event_quarantine": dbt.ref("clickstream_event_quarantine"),
        "clickstream_customer_features": dbt.ref("clickstream_customer_features"),
        "clickstream_customer_segments": dbt.ref("clickstream_customer_segments"),
        "clickstream_segment_centroids": dbt.ref("clickstream_segment_centroids"),
        "clickstream_cluster_personas": dbt.ref("clickstream_cluster_personas"),
        "clickstream_persona_profiles": dbt.ref("clickstream_persona_profiles"),
        "clickstream_customer_personas": dbt.ref("clickstream_customer_personas"),
        "run_summary": dbt.ref("run_summary"),
    }
    # Persona tables checked before publishing, per segmentation: (profiles, one row per customer).
    persona_tables = {
        "": ("persona_profiles", "customer_personas"),
        "invoice_": ("invoice_persona_profiles", "invoice_customer_personas"),
        "clickstream_": ("clickstream_persona_profiles", "clickstream_customer_personas"),
    }
    reports_dir = dbt.config.get("reports_dir")
    published_path = dbt.config.get("published_path")
    checks = [
        (
            prefix,
            published[profiles].df(),
            published[members].aggregate("persona_name, count(*) as customers", "persona_name").df(),
        )
        for prefix, (profiles, members) in persona_tables.items()
    ]
    latest_run = published["run_summary"].filter("outcome = 'built'").order("run_started_at desc").limit(1)
    run_id = latest_run.select("run_id").fetchall()[0][0]

    def validate():
        outcomes = []
        for prefix, profiles, counts in checks:
            outcomes += validate_persona_tables(profiles, counts, Path(reports_dir) / "data_docs", prefix)
        assert_persona_tables_valid(outcomes)

    return publish_tables(
        session, dbt.this.database, dbt.this.schema, list(published), Path(published_path), run_id, validate
    )
