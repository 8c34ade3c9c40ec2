"""`smartcart`: the main job and its helpers.

smartcart run        dbt build on the configured data, then print the persona table
smartcart personas   print the persona table of the published warehouse
smartcart score      persona of one customer's figures, or of every row of a CSV, with the saved model
smartcart generate   write a synthetic customer export (or invoice lines) of N rows
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from ml import warehouse

log = logging.getLogger("smartcart")


def project_root() -> Path:
    """The repo root (where dbt_project.yml lives): the working directory, else next to this package."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (candidate / "dbt_project.yml").exists():
            return candidate
    raise SystemExit("cannot find dbt_project.yml: run smartcart from the SmartCart Segments repo root")


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def run_dbt(
    arguments: list[str], dbt_vars: dict[str, object] | None = None, env: dict[str, str] | None = None
) -> int:
    """dbt in a subprocess (never in-process: DuckDB allows one writer per file, and dbt owns it then)."""
    root = project_root()
    command = [dbt_executable(), *arguments, "--project-dir", str(root), "--profiles-dir", str(root)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    log.info("running %s", " ".join(command))
    return subprocess.run(command, cwd=root, env={**os.environ, **(env or {})}).returncode


def _vars_from(args: argparse.Namespace) -> dict[str, object]:
    dbt_vars: dict[str, object] = {}
    for attribute in INPUT_FILES.values():
        if getattr(args, attribute, None):
            dbt_vars[attribute] = str(Path(getattr(args, attribute)).absolute())  # a glob stays a glob
    if getattr(args, "invoice_date_format", None):
        dbt_vars["invoice_date_format"] = args.invoice_date_format
    if getattr(args, "refit", False):
        dbt_vars["invoices_refit"] = True
    if getattr(args, "n_clusters", None):
        dbt_vars["n_clusters"] = args.n_clusters
    if getattr(args, "as_of_date", None):
        dbt_vars["as_of_date"] = args.as_of_date
    return dbt_vars


def print_personas(database: str | None) -> None:
    table = warehouse.persona_table(database)
    print(table.drop(columns=["marketing_strategy"]).to_string(index=False, max_colwidth=70))
    print("\nStrategies:")
    for row in table.itertuples(index=False):
        print(f"- {row.persona_name}: {row.marketing_strategy}")


def reports_dir() -> Path:
    return Path(os.environ.get("SMARTCART_REPORTS_DIR") or project_root() / "reports")


# input name -> the CLI attribute (and dbt var) naming its file
INPUT_FILES = {"customers": "customers_file", "invoices": "invoices_file", "clickstream": "events_path"}


def validate(args: argparse.Namespace) -> bool:
    """Every input's Great Expectations suites; prints what they found. True when nothing is blocking."""
    from ml.quality.inputs import validate_input

    docs = reports_dir() / "data_docs"
    settings = (
        {"invoice_date_format": args.invoice_date_format}
        if getattr(args, "invoice_date_format", None)
        else None
    )
    all_ok = True
    for input_name, attribute in INPUT_FILES.items():
        given = getattr(args, attribute, None)
        file_path = str(Path(given).absolute()) if given else None
        report = validate_input(input_name, file_path, docs, getattr(args, "as_of_date", None), settings)
        for line in report.lines():
            print(line, file=sys.stderr if not report.ok else sys.stdout)
        if report.ok:
            print(
                f"Validation passed ({input_name}): {report.rows:,} rows of {report.file_path}; "
                f"{len(report.row_level)} row-level rule(s) failed (those rows will be quarantined)."
            )
        else:
            print(
                f"Validation failed ({input_name}): {report.file_path} cannot be used as it is "
                "(blocking problems above).",
                file=sys.stderr,
            )
        all_ok = all_ok and report.ok
    print(f"Data Docs: {docs / 'index.html'}")
    return all_ok


def command_validate(args: argparse.Namespace) -> int:
    return 0 if validate(args) else 1


def command_run(args: argparse.Namespace) -> int:
    if not validate(args):
        print("Nothing was built; the published warehouse is unchanged.", file=sys.stderr)
        return 1
    env = {"SMARTCART_DUCKDB_PATH": str(warehouse.database_path(args.db))}
    Path(env["SMARTCART_DUCKDB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    code = run_dbt(["build", *(["--full-refresh"] if args.full_refresh else [])], _vars_from(args), env)
    if code != 0:
        print(
            f"dbt build failed (exit {code}); the messages above name the file and column.", file=sys.stderr
        )
        return code
    print("\nPersonas (persona_profiles):")
    print_personas(env["SMARTCART_DUCKDB_PATH"])
    print("\nInvoice personas (invoice_persona_profiles):")
    print(
        warehouse.invoice_persona_table(env["SMARTCART_DUCKDB_PATH"]).to_string(index=False, max_colwidth=70)
    )
    print("\nClickstream personas (clickstream_persona_profiles):")
    print(
        warehouse.clickstream_persona_table(env["SMARTCART_DUCKDB_PATH"]).to_string(
            index=False, max_colwidth=70
        )
    )
    print(
        "\nReports: reports/customers/insights.md and reports/clickstream/insights.md (and .html),"
        " plots beside them."
    )
    return 0


def command_personas(args: argparse.Namespace) -> int:
    print_personas(args.db)
    return 0


def command_generate(args: argparse.Namespace) -> int:
    if args.kind == "invoices":
        from ml.synthetic_invoices import write_invoices

        lines = write_invoices(Path(args.out), args.rows, seed=args.seed, date_style=args.date_style)
        print(f"wrote {lines:,} invoice lines to {args.out}")
        return 0
    from ml.synthetic import generate_customers, write_customers

    path = write_customers(generate_customers(args.rows, seed=args.seed), Path(args.out))
    print(f"wrote {args.rows:,} customers to {path}")
    return 0


def command_dashboard(args: argparse.Namespace) -> int:
    """Start the Streamlit dashboard on the published warehouse."""
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
    env = dict(os.environ)
    if args.db:
        env["SMARTCART_DUCKDB_PATH"] = str(Path(args.db).resolve())
    streamlit = Path(sys.executable).parent / "streamlit"
    command = [str(streamlit) if streamlit.exists() else "streamlit", "run", str(app)]
    command += ["--server.port", str(args.port), "--server.headless", "true"]
    # Become the Streamlit process (no child left behind when this one is stopped).
    os.chdir(project_root())
    os.execvpe(command[0], command, env)


# Friendly flags for the invoice (RFM) model inputs.
SCORE_FLAGS = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}


def _rows_to_score(args: argparse.Namespace, inputs: tuple[str, ...]):
    import pandas as pd

    if args.csv:
        try:
            return pd.read_csv(args.csv), str(args.csv)
        except (OSError, ValueError) as error:
            raise SystemExit(f"cannot read {args.csv}: {error}") from error
    values: dict[str, object] = {}
    for flag, column in SCORE_FLAGS.items():
        if getattr(args, flag) is not None:
            values[column] = getattr(args, flag)
    for pair in args.value or []:
        name, _, value = pair.partition("=")
        values[name.strip()] = value.strip()
    if not values:
        raise SystemExit(f"give the customer's figures ({', '.join(inputs)}) as flags, or --csv FILE")
    return pd.DataFrame([values]), "the figures given"


def command_score(args: argparse.Namespace) -> int:
    from ml.artifacts import ArtifactIntegrityError
    from ml.preprocessing import FeatureSchemaError
    from ml.scoring import PersonaScorer

    try:
        scorer = PersonaScorer.from_warehouse(args.segmentation, args.db, args.artifacts_dir)
    except (FileNotFoundError, ArtifactIntegrityError, ValueError) as error:
        print(f"cannot score: {error}", file=sys.stderr)
        return 2
    frame, source = _rows_to_score(args, scorer.inputs)
    try:
        scored = scorer.score(frame, source)
    except FeatureSchemaError as error:
        print(f"cannot score: {error}", file=sys.stderr)
        return 2
    if args.out:
        scored.to_csv(args.out, index=False)
        print(f"scored {len(scored):,} row(s) with model {scorer.sidecar['model_version']}: {args.out}")
        return 0
    from ml.scoring import slug

    names = {f"distance_to_{slug(name)}": name for name in scorer.personas["persona_name"]}
    for row in scored.itertuples(index=False):
        record = row._asdict()
        print(f"{record[scorer.config.id_column]}: {record['persona_name']}")
        if "next_persona_name" in record:
            print(
                f"  next closest: {record['next_persona_name']} "
                f"(margin {record['margin_to_next_centroid']:.3f})"
            )
        for column, name in names.items():
            print(f"  distance to {name}: {record[column]:.3f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smartcart", description="SmartCart Segments")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="build everything with dbt and print the personas")
    run.add_argument("--customers-file", help="customer export to use instead of the bundled one")
    run.add_argument("--invoices-file", help="invoice lines to use instead of the bundled sample")
    run.add_argument("--invoice-date-format", help="strptime format of InvoiceDate (default: detected)")
    run.add_argument(
        "--events-path", help="clickstream events: a file, a glob of CSV/Parquet files, or SQLite"
    )
    run.add_argument(
        "--refit", action="store_true", help="refit the invoice model instead of scoring with it"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental tables from scratch (re-land every events file, refit the invoice model)",
    )
    run.add_argument("--n-clusters", type=int, help="force the number of segments (default: chosen by rule)")
    run.add_argument("--as-of-date", help="reference date YYYY-MM-DD (default: day after last enrollment)")
    run.add_argument(
        "--db", help="DuckDB file (default: SMARTCART_DUCKDB_PATH or data/warehouse/smartcart.duckdb)"
    )
    run.set_defaults(handler=command_run)

    check = commands.add_parser("validate", help="run the input's Great Expectations suites (no build)")
    check.add_argument("--customers-file", help="customer export to check instead of the bundled one")
    check.add_argument("--invoices-file", help="invoice lines to check instead of the bundled sample")
    check.add_argument("--invoice-date-format", help="strptime format of InvoiceDate (default: detected)")
    check.add_argument("--events-path", help="clickstream events to check instead of the bundled sample")
    check.add_argument("--as-of-date", help="reference date YYYY-MM-DD for the date rules")
    check.set_defaults(handler=command_validate)

    personas = commands.add_parser("personas", help="print the persona table of the warehouse")
    personas.add_argument("--db")
    personas.set_defaults(handler=command_personas)

    score = commands.add_parser(
        "score", help="persona of new customers with the saved model (no refit); see docs/invoices.md"
    )
    score.add_argument("segmentation", nargs="?", default="invoices", help="invoices (default) or customers")
    score.add_argument("--recency", type=float, help="days since the last order")
    score.add_argument("--frequency", type=float, help="number of orders (distinct invoices)")
    score.add_argument("--monetary", type=float, help="net revenue")
    score.add_argument("--value", action="append", metavar="NAME=VALUE", help="any model input, repeatable")
    score.add_argument("--csv", help="a CSV with one row per customer and a column per model input")
    score.add_argument("--out", help="write the scored rows to this CSV instead of printing them")
    score.add_argument("--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)")
    score.add_argument(
        "--artifacts-dir", help="model folder (default: SMARTCART_ARTIFACTS_DIR or data/artifacts)"
    )
    score.set_defaults(handler=command_score)

    dashboard = commands.add_parser("dashboard", help="start the dashboard (http://localhost:8501)")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.add_argument(
        "--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)"
    )
    dashboard.set_defaults(handler=command_dashboard)

    generate = commands.add_parser("generate", help="write a synthetic customer export or invoice lines")
    generate.add_argument("--kind", choices=["customers", "invoices"], default="customers")
    generate.add_argument("--rows", type=int, required=True, help="customers, or invoice lines")
    generate.add_argument("--out", required=True)
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
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
