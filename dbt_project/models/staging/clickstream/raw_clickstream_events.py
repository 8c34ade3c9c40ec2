"""Landing of clickstream events (incremental, append): only files (or SQLite rows) not landed before.

Every field as text, plus source_file, source_row (SQLite rowid) and load_id (the dbt invocation), so
the staging model can type, check and deduplicate just the new events. Logic in ml/events_loading.py.
"""


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    import uuid

    from ml.events_loading import new_events

    landed = []
    if dbt.is_incremental:
        landed = session.sql(
            f"select source_file, max(source_row) from {dbt.this} group by source_file"
        ).fetchall()
    return new_events(
        session,
        dbt.config.get("events_path"),
        dbt.config.get("sqlite_table"),
        landed,
        # A fresh id per landing (config values are rendered at parse time, so not invocation_id).
        str(uuid.uuid4()),
    )
