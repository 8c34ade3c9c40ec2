"""Landing of clickstream events (incremental, append): only files (or SQLite rows) not landed before.

Typed fields, with the text of any value that did not type kept beside it, plus source_file, source_row
(SQLite rowid) and load_id (one per landing), so the staging model can check and deduplicate the events.
Files are read through the source clickstream.events; SQLite with Python's sqlite3. Logic in
ml/dbt_models/landing.py.
"""


def model(dbt, session):
    # append_new_columns: a landing from before a column was added (source_file_bytes) gets it, null on its rows.
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="append_new_columns")
    import uuid

    from ml.dbt_models.landing import check_events_input, new_events

    landed, landed_bytes = [], {}
    if dbt.is_incremental:
        columns = session.sql(f"select * from {dbt.this} limit 0").columns
        # Typed columns (event_at) and the rejected-line columns (landing_error) came in later versions.
        if "event_at" not in columns or "landing_error" not in columns:
            raise RuntimeError(
                f"{dbt.this} was landed by an older version (without typed or rejected-line columns). Land the events again "
                "once: `smartcart run --full-refresh` or `dbt build --full-refresh --select "
                "raw_clickstream_events+`."
            )
        # The size each file had when it was landed (not recorded by older versions: not compared).
        size = "max(source_file_bytes)" if "source_file_bytes" in columns else "cast(null as bigint)"
        rows = session.sql(
            f"select source_file, max(source_row), {size} from {dbt.this} group by source_file"
        ).fetchall()
        landed = [(file, row) for file, row, _ in rows]
        landed_bytes = {file: size for file, _, size in rows}
    events_path = dbt.config.get("events_path")
    # Checked before the source is bound: a path that matches nothing gets this message, not the reader's.
    check_events_input(session, events_path)
    return new_events(
        dbt.source("clickstream", "events"),
        session,
        events_path,
        dbt.config.get("sqlite_table"),
        landed,
        # A fresh id per landing (config values are rendered at parse time, so not invocation_id).
        str(uuid.uuid4()),
        landed_bytes,
    )
