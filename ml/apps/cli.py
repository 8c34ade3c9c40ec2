"""`smartcart`: the main job and its helpers. Input flags and persona tables follow the registry.

smartcart run        validate the inputs, dbt build, print every segmentation's personas
smartcart validate   the inputs' Great Expectations suites alone
smartcart personas   the persona tables of the published warehouse
smartcart score      persona of new rows with the saved, hash-checked model (no refit)
smartcart dashboard  the marketers' dashboard
smartcart serve      the HTTP scoring API for other systems (docs/api.md)
smartcart generate   synthetic inputs (customers, invoices, events)
smartcart export     the published tables as Parquet, with their schema and descriptions
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

import ml
from ml import project
from ml.apps import warehouse
from ml.apps.dbt_runner import run_dbt
from ml.apps.presentation import slug

log = logging.getLogger("smartcart")


class UsageError(Exception):
    """A problem with what the user asked for: printed as one line, exit code 2."""


def registry():
    return project.registry()


def reports_dir() -> Path:
    return Path(os.environ.get("SMARTCART_REPORTS_DIR") or project.root() / "reports")


def input_attribute(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def input_files(args: argparse.Namespace) -> dict[str, str]:
    """file var -> absolute path for every input given on the command line (a glob stays a glob)."""
    given = {}
    for segmentation in registry():
        value = getattr(args, input_attribute(segmentation.input.cli_flag), None)
        if value:
            given[segmentation.input.file_var] = str(Path(value).absolute())
    return given


def parse_assignments(pairs: list[str] | None, what: str) -> dict[str, int]:
    result = {}
    names = registry().names
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or name not in names:
            raise UsageError(f"{what} takes SEGMENTATION=K with SEGMENTATION one of {', '.join(names)}; got {pair!r}")
        try:
            result[name] = int(value)
        except ValueError:
            raise UsageError(f"{what} {pair!r}: {value!r} is not a whole number") from None
    return result


def dbt_vars_from(args: argparse.Namespace) -> dict[str, object]:
    dbt_vars: dict[str, object] = dict(input_files(args))
    if getattr(args, "invoice_date_format", None):
        dbt_vars["invoice_date_format"] = args.invoice_date_format
    if getattr(args, "refit", None) is not None:
        unknown = sorted(set(args.refit) - set(registry().names))
        if unknown:
            raise UsageError(
                f"--refit: unknown segmentation(s) {', '.join(unknown)}; known: {', '.join(registry().names)}"
            )
        dbt_vars["refit"] = args.refit or True
    forced = parse_assignments(getattr(args, "n_clusters", None), "--n-clusters")
    if forced:
        dbt_vars["n_clusters"] = forced
    if getattr(args, "as_of_date", None):
        dbt_vars["as_of_date"] = args.as_of_date
    return dbt_vars


def print_personas(database: str | None, names: list[str] | None = None) -> None:
    for segmentation in registry():
        if names and segmentation.name not in names:
            continue
        try:
            table = warehouse.persona_table(segmentation.name, segmentation.key_features[:3], database)
        except warehouse.NotBuiltError as error:
            print(f"\n{segmentation.title}: {error}")
            continue
        print(f"\n{segmentation.title} ({segmentation.name}, persona_profiles):")
        print(table.drop(columns=["marketing_strategy"]).to_string(index=False, max_colwidth=60))
        print("Strategies:")
        for row in table.itertuples(index=False):
            print(f"- {row.persona_name}: {row.marketing_strategy}")


def print_refit_recommendations(database: str | None) -> None:
    """Drift against each model's fit sample, and whether to refit (table refit_recommendation)."""
    table = warehouse.read_frame(
        "select segmentation_name, is_refit_recommended, reason, next_step from refit_recommendation "
        "order by segmentation_name",
        database,
    )
    print("\nRefit recommendation (drift against the fit sample; docs/history.md):")
    for row in table.itertuples():
        print(f"  {row.segmentation_name}: {row.reason}. Next: {row.next_step}.")


def print_trust(database: str | None) -> None:
    """Per segmentation: the data guardrails, the verdict and any unstable persona (segmentation_trust)."""
    table = warehouse.segmentation_verdicts(database)
    if table.empty:
        return
    print("\nCan the segments be trusted? (data guardrails, stability, other algorithms; docs/modelling.md):")
    for row in table.itertuples():
        print(f"  {row.segmentation_name}: {row.verdict}")
        if row.warnings and row.warnings not in row.verdict:
            print(f"    data: {row.warnings}")
        if row.unstable_personas:
            print(f"    unstable personas (bootstrap Jaccard below 0.75): {row.unstable_personas}")


def print_customer_value_status(database: str | None) -> None:
    """Per source of purchases: customer value figures, or why there are none (table clv_sufficiency)."""
    table = warehouse.customer_value_status(database)
    if table.empty:
        return
    print("\nCustomer value (predicted CLV and churn risk; docs/value.md):")
    for row in table.itertuples():
        print(f"  {row.segmentation_name}: {row.message}.")


def print_inputs(args: argparse.Namespace) -> None:
    """The input files this run reads: the resolved paths, given or default."""
    values = project.project_vars()
    given = input_files(args)
    print("Inputs:")
    for segmentation in registry():
        var = segmentation.input.file_var
        path = given.get(var) or str(project.root() / values[var])
        origin = "given" if var in given else "default"
        print(f"- {segmentation.name}: {path} ({origin}; dbt var {var})")


def validate(args: argparse.Namespace) -> bool:
    """Every input's Great Expectations suites; prints what they found. True when nothing is blocking."""
    from ml.quality.inputs import validate_input

    docs = reports_dir() / "data_docs"
    settings = {"invoice_date_format": args.invoice_date_format} if getattr(args, "invoice_date_format", None) else None
    files = input_files(args)
    all_ok = True
    for segmentation in registry():
        report = validate_input(
            segmentation.name,
            files.get(segmentation.input.file_var),
            docs,
            getattr(args, "as_of_date", None),
            settings,
        )
        for line in report.lines():
            print(line, file=sys.stderr if not report.ok else sys.stdout)
        if report.ok:
            print(
                f"Validation passed ({segmentation.name}): {report.rows:,} rows of {report.file_path}; "
                f"{len(report.row_level)} row-level rule(s) failed (those rows will be quarantined)."
            )
        else:
            print(
                f"Validation failed ({segmentation.name}): {report.file_path} cannot be used as it is "
                "(blocking problems above).",
                file=sys.stderr,
            )
        all_ok = all_ok and report.ok
    print(f"Data Docs: {docs / 'index.html'}")
    return all_ok


def command_validate(args: argparse.Namespace) -> int:
    return 0 if validate(args) else 1


def step(number: int, text: str, started: float | None = None) -> float:
    """A progress line of the main job's three steps (dbt prints its own line per model in step 2)."""
    took = f" (previous step: {time.monotonic() - started:.1f} s)" if started is not None else ""
    print(f"\n[{number}/3] {text}{took}", flush=True)
    return time.monotonic()


def command_run(args: argparse.Namespace) -> int:
    dbt_vars = dbt_vars_from(args)
    print_inputs(args)
    started = step(1, "Validating the inputs (Great Expectations)")
    if not validate(args):
        print("Nothing was built; the published warehouse is unchanged.", file=sys.stderr)
        return 1
    if args.target == "spark":
        return run_on_spark(args, dbt_vars, started)
    database = str(warehouse.database_path(args.db))
    arguments = ["build", *(["--full-refresh"] if args.full_refresh else [])]
    started = step(2, "Building with dbt: cleaning, features, fits, scoring, personas, value, report", started)
    code = run_dbt(arguments, dbt_vars, {"SMARTCART_DUCKDB_PATH": database}).returncode
    if code != 0:
        print(f"dbt build failed (exit {code}); the messages above name the file and column.", file=sys.stderr)
        return code
    step(3, f"Published {database}: the personas", started)
    print_personas(database)
    print_trust(database)
    print_customer_value_status(database)
    print_refit_recommendations(database)
    print(f"\nReport: {reports_dir() / 'insights.md'} (and .html), plots beside it.")
    return 0


def run_on_spark(args: argparse.Namespace, dbt_vars: dict[str, object], started: float) -> int:
    """Steps 2 and 3 of `smartcart run --target spark` (docs/spark.md): dbt-spark, the fits in Python, publishing."""
    from ml.apps import spark_build

    started = step(2, "Building on Spark: dbt up to the fits, the fits (Python), dbt after the fits, publish", started)
    code = spark_build.build(["--full-refresh"] if args.full_refresh else [], dbt_vars)
    if code != 0:
        print(
            f"The Spark build failed (exit {code}); the messages above say where. The published tables are unchanged.",
            file=sys.stderr,
        )
        return code
    views = Path(args.db) if args.db else spark_build.warehouse_folder() / "smartcart.duckdb"
    tables = spark_build.write_duckdb_views(views)
    published = spark_build.published_tables_folder()
    step(3, f"Published on Spark ({published}, {len(tables)} Parquet tables): the personas", started)
    print(f"DuckDB views over them: {views}")
    database = str(views)
    print_personas(database)
    print_trust(database)
    print_customer_value_status(database)
    print_refit_recommendations(database)
    return 0


def command_personas(args: argparse.Namespace) -> int:
    if not warehouse.database_path(args.db).exists():
        raise UsageError(f"no warehouse at {warehouse.database_path(args.db)}: run `smartcart run` first")
    print_personas(args.db, [args.segmentation] if args.segmentation else None)
    return 0


def command_export(args: argparse.Namespace) -> int:
    from ml.apps.export import ExportError, export_published

    try:
        counts = export_published(Path(args.out), args.db)
    except ExportError as error:
        raise UsageError(str(error)) from None
    for table, rows in counts:
        print(f"{table}: {rows:,} rows")
    print(f"Exported {len(counts)} tables to {args.out} (Parquet, schema.sql, load.sql, columns.csv)")
    return 0


def command_generate(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.kind == "invoices":
        from ml.synthetic.invoices import write_invoices

        lines = write_invoices(out, args.rows, seed=args.seed, date_style=args.date_style)
        print(f"wrote {lines:,} invoice lines to {out}")
    elif args.kind == "events":
        import duckdb

        from ml.synthetic.events import write_events

        # --out is a folder: the events split by time into --files files (e.g. one per week).
        paths = write_events(out, args.rows, files=args.files, days=args.days, seed=args.seed, file_format=args.format)
        # The generator plans sessions, not single events, so the count is near --rows, not exactly it.
        listing = ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths)
        with duckdb.connect() as connection:
            written = connection.execute(f"select count(*) from read_{args.format}([{listing}])").fetchall()[0][0]
        print(f"wrote {written:,} events over {args.days} days to {len(paths)} file(s) in {out}")
    else:
        from ml.synthetic.customers import generate_customers, write_customers

        path = write_customers(generate_customers(args.rows, seed=args.seed), out)
        print(f"wrote {args.rows:,} customers to {path}")
    return 0


def command_dashboard(args: argparse.Namespace) -> int:
    """Start the Streamlit dashboard on the published warehouse (this process becomes Streamlit)."""
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
    env = dict(os.environ)
    if args.db:
        env["SMARTCART_DUCKDB_PATH"] = str(Path(args.db).resolve())
    streamlit = Path(sys.executable).parent / "streamlit"
    command = [str(streamlit) if streamlit.exists() else "streamlit", "run", str(app)]
    command += ["--server.port", str(args.port), "--server.headless", "true"]
    os.chdir(project.root())
    os.execvpe(command[0], command, env)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def command_serve(args: argparse.Namespace) -> int:
    """Start the scoring API on uvicorn. Without SMARTCART_API_TOKEN it may only listen on localhost."""
    import uvicorn

    token = os.environ.get("SMARTCART_API_TOKEN")
    if args.host not in LOOPBACK_HOSTS and not token:
        raise UsageError(
            f"refusing to listen on {args.host} without a token: set SMARTCART_API_TOKEN (callers then send "
            "it as a bearer token), or serve on 127.0.0.1"
        )
    for flag, variable in (
        ("db", "SMARTCART_DUCKDB_PATH"),
        ("artifacts_dir", "SMARTCART_ARTIFACTS_DIR"),
        ("max_records", "SMARTCART_API_MAX_RECORDS"),
        ("max_body_bytes", "SMARTCART_API_MAX_BODY_BYTES"),
    ):
        value = getattr(args, flag)
        if value is not None:
            os.environ[variable] = str(Path(value).resolve()) if flag in ("db", "artifacts_dir") else str(value)
    os.chdir(project.root())
    print(f"SmartCart scoring API on http://{args.host}:{args.port} (docs: /docs); Ctrl+C stops it", flush=True)
    uvicorn.run(
        "ml.apps.api.service:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )
    return 0


# Friendly flags for the invoice (RFM) model inputs.
SCORE_FLAGS = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}


def rows_to_score(args: argparse.Namespace, inputs: tuple[str, ...]):
    import pandas as pd

    if args.csv:
        try:
            return pd.read_csv(args.csv), str(args.csv)
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read {args.csv}: {error}") from error
    values: dict[str, object] = {}
    for flag, column in SCORE_FLAGS.items():
        if getattr(args, flag) is not None:
            values[column] = getattr(args, flag)
    for pair in args.value or []:
        name, _, value = pair.partition("=")
        values[name.strip()] = value.strip()
    if not values:
        raise UsageError(f"give the figures ({', '.join(inputs)}) as --value NAME=VALUE, or --csv FILE")
    return pd.DataFrame([values]), "the figures given"


def command_score(args: argparse.Namespace) -> int:
    from ml.apps.scoring import PersonaScorer
    from ml.engine.artifacts import ArtifactIntegrityError
    from ml.engine.preprocessing import FeatureSchemaError

    try:
        scorer = PersonaScorer.from_warehouse(args.segmentation, args.db, args.artifacts_dir)
    except (FileNotFoundError, ArtifactIntegrityError, ValueError) as error:
        print(f"cannot score: {error}", file=sys.stderr)
        return 2
    frame, source = rows_to_score(args, scorer.inputs)
    try:
        scored = scorer.score(frame, source)
    except FeatureSchemaError as error:
        print(f"cannot score: {error}", file=sys.stderr)
        return 2
    if args.out:
        scored.to_csv(args.out, index=False)
        print(f"scored {len(scored):,} row(s) with model {scorer.model_version}: {args.out}")
        return 0
    key = scorer.segmentation.entity_key
    values = warehouse.persona_values(args.segmentation, args.db)
    for row in scored.to_dict(orient="records"):
        print(f"{row[key]}: {row['persona_name']} ({row['persona_id']})")
        print(f"  strategy: {row['marketing_strategy']}")
        if row["persona_id"] in values.index:
            value = values.loc[row["persona_id"]]
            churn = value["high_churn_risk_share"]
            churn_text = "unknown" if math.isnan(churn) else f"{churn:.0%}"
            print(
                f"  persona value: median predicted CLV {value['median_predicted_clv']:,.0f}; "
                f"high churn risk {churn_text} of its members"
            )
        print(f"  next closest: {row['next_persona_name']} (margin {row['margin_to_next_centroid']:.3f})")
        if row["placing_features"]:
            print(f"  placed by: {row['placing_features']}")
        for name in scorer.personas["persona_name"]:
            print(f"  distance to {name}: {row['distance_to_' + slug(name)]:.3f}")
    return 0


def add_input_flags(parser: argparse.ArgumentParser, verb: str) -> None:
    for segmentation in registry():
        parser.add_argument(
            segmentation.input.cli_flag,
            dest=input_attribute(segmentation.input.cli_flag),
            help=f"{segmentation.title} input to {verb} instead of the default (dbt var {segmentation.input.file_var})",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smartcart", description="SmartCart Segments")
    parser.add_argument("--version", action="version", version=f"smartcart-segments {ml.__version__}")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    names = registry().names

    run = commands.add_parser("run", help="validate the inputs, build everything with dbt, print the personas")
    add_input_flags(run, "build")
    run.add_argument("--invoice-date-format", help="strptime format of InvoiceDate (default: detected)")
    run.add_argument(
        "--refit",
        nargs="*",
        metavar="SEGMENTATION",
        help=f"fit new models (all, or the ones named: {', '.join(names)}) instead of scoring with the stored ones",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental tables from scratch (re-land every events file)",
    )
    run.add_argument("--n-clusters", action="append", metavar="SEGMENTATION=K", help="force k, e.g. customers=5")
    run.add_argument("--as-of-date", help="reference date YYYY-MM-DD (default: from the data, never today)")
    run.add_argument(
        "--db",
        help="published DuckDB file (default: SMARTCART_DUCKDB_PATH or data/warehouse/smartcart.duckdb); with "
        "--target spark, the DuckDB file of views over the Spark tables (default: in the Spark warehouse folder)",
    )
    run.add_argument(
        "--target",
        choices=["dev", "spark"],
        default="dev",
        help="dbt target: dev (DuckDB, the default) or spark (pip install -e '.[spark]', Java 17; docs/spark.md)",
    )
    run.set_defaults(handler=command_run)

    check = commands.add_parser("validate", help="run the inputs' Great Expectations suites (no build)")
    add_input_flags(check, "check")
    check.add_argument("--invoice-date-format", help="strptime format of InvoiceDate (default: detected)")
    check.add_argument("--as-of-date", help="reference date YYYY-MM-DD for the date rules")
    check.set_defaults(handler=command_validate)

    personas = commands.add_parser("personas", help="print the persona tables of the published warehouse")
    personas.add_argument("--segmentation", choices=names)
    personas.add_argument("--db")
    personas.set_defaults(handler=command_personas)

    score = commands.add_parser("score", help="persona of new rows with the saved model (no refit)")
    score.add_argument("segmentation", nargs="?", default="invoices", choices=names)
    score.add_argument("--recency", type=float, help="invoices: days since the last order")
    score.add_argument("--frequency", type=float, help="invoices: number of orders (distinct invoices)")
    score.add_argument("--monetary", type=float, help="invoices: net revenue")
    score.add_argument("--value", action="append", metavar="NAME=VALUE", help="any model input, repeatable")
    score.add_argument("--csv", help="a CSV with one row per entity and a column per model input")
    score.add_argument("--out", help="write the scored rows to this CSV instead of printing them")
    score.add_argument("--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)")
    score.add_argument("--artifacts-dir", help="model folder (default: SMARTCART_ARTIFACTS_DIR or data/artifacts)")
    score.set_defaults(handler=command_score)

    dashboard = commands.add_parser("dashboard", help="start the dashboard (http://localhost:8501)")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.add_argument("--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)")
    dashboard.set_defaults(handler=command_dashboard)

    serve = commands.add_parser("serve", help="start the HTTP scoring API (http://127.0.0.1:8000/docs)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind; other than localhost needs a token")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes (each loads the models)")
    serve.add_argument("--max-records", type=int, help="records per request (default 10,000)")
    serve.add_argument("--max-body-bytes", type=int, help="request body size limit (default 8 MiB)")
    serve.add_argument("--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)")
    serve.add_argument("--artifacts-dir", help="model folder (default: SMARTCART_ARTIFACTS_DIR or data/artifacts)")
    serve.set_defaults(handler=command_serve)

    export = commands.add_parser(
        "export", help="write the published tables as Parquet with schema.sql and columns.csv (docs/tables.md)"
    )
    export.add_argument("--out", required=True, help="a new or empty folder")
    export.add_argument("--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)")
    export.set_defaults(handler=command_export)

    generate = commands.add_parser("generate", help="write a synthetic customer export, invoice lines or events")
    generate.add_argument("--kind", choices=["customers", "invoices", "events"], default="customers")
    generate.add_argument("--rows", type=int, required=True, help="customers, invoice lines or events")
    generate.add_argument("--out", required=True, help="a file; for events, a folder")
    generate.add_argument("--files", type=int, default=1, help="events: files to split them into, by time")
    generate.add_argument("--days", type=int, default=28, help="events: days they span")
    generate.add_argument("--format", choices=["csv", "parquet"], default="csv", help="events: file format")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--date-style",
        choices=["uci", "iso"],
        default="uci",
        help="invoices: InvoiceDate as 12/1/2010 8:26 or ISO",
    )
    generate.set_defaults(handler=command_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
        return args.handler(args)
    except UsageError as error:
        print(f"smartcart: {error}", file=sys.stderr)
        return 2
    except warehouse.NotBuiltError as error:
        print(f"smartcart: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `smartcart personas | head`: the reader left; stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
