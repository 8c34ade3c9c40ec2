"""`smartcart`: the main job and its helpers.

smartcart run        dbt build on the configured data, then print the persona table
smartcart personas   print the persona table of the published warehouse
smartcart generate   write a synthetic customer export of N rows
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
    if getattr(args, "customers_file", None):
        dbt_vars["customers_file"] = str(Path(args.customers_file).resolve())
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


def validate(args: argparse.Namespace) -> bool:
    """The input's Great Expectations suites; prints what they found. True when nothing is blocking."""
    from ml.quality.inputs import validate_input

    file_path = str(Path(args.customers_file).resolve()) if args.customers_file else None
    docs = reports_dir() / "data_docs"
    report = validate_input("customers", file_path, docs, getattr(args, "as_of_date", None))
    for line in report.lines():
        print(line, file=sys.stderr if not report.ok else sys.stdout)
    if report.ok:
        print(
            f"Validation passed: {report.rows:,} rows of {report.file_path}; "
            f"{len(report.row_level)} row-level rule(s) failed (those rows will be quarantined). "
            f"Data Docs: {docs / 'index.html'}"
        )
    else:
        print(
            f"Validation failed: {report.file_path} cannot be used as it is (blocking problems above). "
            f"Data Docs: {docs / 'index.html'}",
            file=sys.stderr,
        )
    return report.ok


def command_validate(args: argparse.Namespace) -> int:
    return 0 if validate(args) else 1


def command_run(args: argparse.Namespace) -> int:
    if not validate(args):
        print("Nothing was built; the published warehouse is unchanged.", file=sys.stderr)
        return 1
    env = {"SMARTCART_DUCKDB_PATH": str(warehouse.database_path(args.db))}
    Path(env["SMARTCART_DUCKDB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    code = run_dbt(["build"], _vars_from(args), env)
    if code != 0:
        print(
            f"dbt build failed (exit {code}); the messages above name the file and column.", file=sys.stderr
        )
        return code
    print("\nPersonas (persona_profiles):")
    print_personas(env["SMARTCART_DUCKDB_PATH"])
    print("\nReport: reports/customers/insights.md (and .html); plots beside it.")
    return 0


def command_personas(args: argparse.Namespace) -> int:
    print_personas(args.db)
    return 0


def command_generate(args: argparse.Namespace) -> int:
    from ml.synthetic import generate_customers, write_customers

    path = write_customers(generate_customers(args.rows, seed=args.seed), Path(args.out))
    print(f"wrote {args.rows:,} customers to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smartcart", description="SmartCart Segments")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="build everything with dbt and print the personas")
    run.add_argument("--customers-file", help="customer export to use instead of the bundled one")
    run.add_argument("--n-clusters", type=int, help="force the number of segments (default: chosen by rule)")
    run.add_argument("--as-of-date", help="reference date YYYY-MM-DD (default: day after last enrollment)")
    run.add_argument(
        "--db", help="DuckDB file (default: SMARTCART_DUCKDB_PATH or data/warehouse/smartcart.duckdb)"
    )
    run.set_defaults(handler=command_run)

    check = commands.add_parser("validate", help="run the input's Great Expectations suites (no build)")
    check.add_argument("--customers-file", help="customer export to check instead of the bundled one")
    check.add_argument("--as-of-date", help="reference date YYYY-MM-DD for the date rules")
    check.set_defaults(handler=command_validate)

    personas = commands.add_parser("personas", help="print the persona table of the warehouse")
    personas.add_argument("--db")
    personas.set_defaults(handler=command_personas)

    generate = commands.add_parser("generate", help="write a synthetic customer export")
    generate.add_argument("--rows", type=int, required=True)
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.set_defaults(handler=command_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
