"""Validation of a raw input file with Great Expectations, before any model is rebuilt."""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ml.quality.contract import InputContract, default_file, load_contract, resolve_format, seed_values
from ml.quality.expectations import (
    BLOCKING,
    INTEGER_PATTERN,
    ROW,
    Finding,
    HasFindings,
    ValidationOutcome,
    new_context,
    run_suite,
)


@dataclass
class InputReport(HasFindings):
    """What `smartcart validate` found in one file."""

    input_name: str
    file_path: str
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def lines(self) -> list[str]:
        label = f"Input file '{self.file_path}' ({self.input_name})"
        missing = [f for f in self.blocking if f.expectation == "required column is present"]
        lines = []
        if missing:
            columns = ", ".join(str(f.column) for f in missing)
            lines.append(f"{label}: missing required column(s) {columns}")
        lines += [f.message(label) for f in self.blocking if f not in missing]
        lines += [f.message(label) + " -> these rows will be quarantined" for f in self.row_level]
        if self.unknown_columns:
            lines.append(f"{label}: extra column(s) not in the contract, ignored: {', '.join(self.unknown_columns)}")
        return lines


def read_raw(path: str, contract: InputContract) -> pd.DataFrame:
    """Every field as text, as the dbt source reads it (so both gates see the same values). A path may be
    a glob of CSV or Parquet files or a SQLite database (events); at most contract.sample_rows rows."""
    limit = f" limit {int(contract.sample_rows)}" if contract.sample_rows else ""
    if Path(path).suffix.lower() in {".db", ".sqlite", ".sqlite3"}:
        import sqlite3

        from ml.quality.contract import project_vars

        table = str(project_vars().get("events_sqlite_table", "events")).replace('"', '""')
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            frame = pd.read_sql(f'select * from "{table}"{limit}', connection)
        return frame.map(lambda value: None if pd.isna(value) else str(value))
    quoted = path.replace("'", "''")
    delimiter = contract.delimiter.replace("'", "''")
    reader = (
        f"read_parquet('{quoted}', union_by_name = true)"
        if path.lower().endswith(".parquet")
        else f"read_csv('{quoted}', delim='{delimiter}', header=true, all_varchar=true, union_by_name=true)"
    )
    with duckdb.connect() as connection:
        frame = connection.execute(f"select * from {reader}{limit}").df()
    return frame if not path.lower().endswith(".parquet") else frame.astype("string")


# What a numeric field may look like as text (the SQL gate's try_cast accepts the same).
DECIMAL_PATTERN = r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$"
INTEGER_OR_DECIMAL_ZERO_PATTERN = r"^\s*[+-]?\d+(?:\.0+)?\s*$"


def _blocking_expectations(contract: InputContract, frame: pd.DataFrame, formats: dict[str, str]) -> list:
    import great_expectations as gx

    meta = {"severity": BLOCKING}
    present = set(frame.columns)
    expectations: list[gx.expectations.Expectation] = [
        gx.expectations.ExpectTableRowCountToBeBetween(
            min_value=1, meta={**meta, "description": "has no data rows (header only)"}
        )
    ]
    for column in contract.columns:
        if column.required:
            expectations.append(
                gx.expectations.ExpectColumnToExist(
                    column=column.name, meta={**meta, "description": "required column is present"}
                )
            )
        if column.name not in present:
            continue
        if column.required:
            expectations.append(
                gx.expectations.ExpectColumnValuesToNotBeNull(
                    column=column.name, mostly=1e-9, meta={**meta, "description": "is empty in every row"}
                )
            )
        # Sources that quarantine unparseable values (events) report them as row-level findings.
        type_meta = meta if contract.type_errors != "quarantine" else {"severity": ROW}
        if column.data_type in {"integer", "bigint", "double"}:
            pattern = (
                DECIMAL_PATTERN
                if column.data_type == "double"
                else INTEGER_OR_DECIMAL_ZERO_PATTERN
                if column.strip_decimal_zero
                else INTEGER_PATTERN
            )
            expectations.append(
                gx.expectations.ExpectColumnValuesToMatchRegex(
                    column=column.name,
                    regex=pattern,
                    meta={**type_meta, "description": f"to be {column.data_type}"},
                )
            )
        if column.name in formats:
            expectations.append(
                gx.expectations.ExpectColumnValuesToMatchStrftimeFormat(
                    column=column.name,
                    strftime_format=formats[column.name],
                    meta={
                        **type_meta,
                        "description": f"to be a {column.data_type} in format {formats[column.name]}",
                    },
                )
            )
    if contract.key_column and contract.key_column in present:
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeUnique(
                column=contract.key_column, meta={**meta, "description": "to be unique (duplicate keys)"}
            )
        )
    return expectations


def _typed(frame: pd.DataFrame, contract: InputContract, formats: dict[str, str]) -> pd.DataFrame:
    typed = pd.DataFrame(index=frame.index)
    for column in contract.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name].str.strip().replace("", pd.NA)
        if column.data_type in {"integer", "bigint", "double"}:
            typed[column.name] = pd.to_numeric(values, errors="coerce")
        elif column.name in formats:
            typed[column.name] = pd.to_datetime(values, format=formats[column.name], errors="coerce")
        else:
            typed[column.name] = values
    return typed


def _row_expectations(contract: InputContract, typed: pd.DataFrame, as_of_date: str | None) -> list:
    import great_expectations as gx

    meta = {"severity": ROW}
    expectations: list[gx.expectations.Expectation] = []
    for column in contract.columns:
        if column.name not in typed.columns:
            continue
        if column.not_zero:
            expectations.append(
                gx.expectations.ExpectColumnValuesToNotBeInSet(
                    column=column.name, value_set=[0], meta={**meta, "description": "to be non-zero"}
                )
            )
        if column.required and not column.nullable:
            expectations.append(
                gx.expectations.ExpectColumnValuesToNotBeNull(
                    column=column.name, meta={**meta, "description": "to be present (missing value)"}
                )
            )
        if column.min_value is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column=column.name,
                    min_value=column.min_value,
                    meta={**meta, "description": f"to be at least {column.min_value} (negative value)"},
                )
            )
        if column.allowed_values is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column=column.name,
                    value_set=list(column.allowed_values),
                    meta={**meta, "description": f"to be one of {list(column.allowed_values)}"},
                )
            )
        if column.accepted_values_seed:
            known = seed_values(column.accepted_values_seed)
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column=column.name,
                    value_set=known,
                    meta={
                        **meta,
                        "description": f"to be a known category (seed {column.accepted_values_seed})",
                    },
                )
            )
    return expectations + _as_of_date_rules(contract, typed, as_of_date)


def _as_of_date_rules(contract: InputContract, typed: pd.DataFrame, as_of_date: str | None) -> list:
    """Dates (or years) after the as-of date, declared per column (meta not_after_as_of_date /
    not_after_as_of_year); the default as-of date follows the dbt macro as_of_date."""
    import great_expectations as gx

    column_name = contract.as_of_date_column
    if not column_name or column_name not in typed.columns:
        return []
    as_of = pd.Timestamp(as_of_date) if as_of_date else default_as_of_date(typed[column_name])
    expectations: list[gx.expectations.Expectation] = []
    for column in contract.columns:
        if column.name not in typed.columns:
            continue
        if column.not_after_as_of_year:
            maximum, words = int(as_of.year), "a year"
        elif column.not_after_as_of_date:
            maximum, words = as_of, "a date"
        else:
            continue
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=column.name,
                max_value=maximum,
                meta={
                    "severity": ROW,
                    "description": f"to be {words} not after the as-of date {as_of.date()}",
                },
            )
        )
    return expectations


def validate_input(
    input_name: str = "customers",
    file_path: str | None = None,
    data_docs_dir: Path | None = None,
    as_of_date: str | None = None,
    settings: dict[str, str] | None = None,
) -> InputReport:
    """Run the input's GX suites on ``file_path``: blocking checks first, row-level rules if they pass."""
    contract = load_contract(input_name)
    path = file_path or default_file(contract)
    report = InputReport(input_name=input_name, file_path=path)
    matches = sorted(glob.glob(path)) if glob.has_magic(path) else [path] if Path(path).exists() else []
    if not matches:
        report.findings.append(Finding(BLOCKING, None, "to exist", None, [], "file not found"))
        return report
    if all(Path(match).stat().st_size == 0 for match in matches):
        report.findings.append(Finding(BLOCKING, None, "has no data rows: the file is empty", None, []))
        return report
    try:
        frame = read_raw(path, contract)
    except duckdb.Error as error:
        text = str(error)
        problem = "is not UTF-8 encoded" if "utf-8" in text.lower() else "cannot be read as delimited text"
        first_line = text.splitlines()[0] if text else ""
        report.findings.append(Finding(BLOCKING, None, problem, None, [], first_line))
        return report
    report.rows = len(frame)
    report.unknown_columns = [c for c in frame.columns if c not in {s.name for s in contract.columns}]
    formats = {}
    for column in contract.columns:
        if column.data_type in {"date", "timestamp"} and column.name in frame.columns:
            setting = (settings or {}).get(column.format_var) if column.format_var else None
            chosen = resolve_format(column, frame[column.name], setting)
            if chosen:
                formats[column.name] = chosen
    context = new_context(data_docs_dir)
    with_docs = data_docs_dir is not None
    blocking = run_suite(
        context,
        f"{input_name}_input_blocking",
        frame,
        _blocking_expectations(contract, frame, formats),
        with_docs,
    )
    report.findings += blocking.findings
    if report.blocking:
        hint = _delimiter_hint(frame, contract)
        if hint:
            report.unknown_columns = []
            report.findings.append(Finding(BLOCKING, None, "to use the declared delimiter", None, [], hint))
        return report
    typed = _typed(frame, contract, formats)
    rows: ValidationOutcome = run_suite(
        context, f"{input_name}_input_rows", typed, _row_expectations(contract, typed, as_of_date), with_docs
    )
    report.findings += rows.findings
    return report


def default_as_of_date(enrolled: pd.Series) -> pd.Timestamp:
    """Same rule as the dbt macro as_of_date: the day after the last enrollment, ignoring dates more than a
    year after the 99th percentile (typos such as 2099 are quarantined, not taken as the reference)."""
    dates = enrolled.dropna().sort_values()
    if dates.empty:
        return pd.Timestamp("1970-01-01")
    cutoff = dates.iloc[int(np.ceil(0.99 * len(dates))) - 1] + pd.Timedelta(days=366)
    return dates[dates <= cutoff].max() + pd.Timedelta(days=1)


def _delimiter_hint(frame: pd.DataFrame, contract: InputContract) -> str:
    if len(frame.columns) == 1:
        name = str(frame.columns[0])[:60]
        separator = repr(contract.delimiter)
        return f"the file has a single column '{name}...': it is probably not separated by {separator}"
    return ""
