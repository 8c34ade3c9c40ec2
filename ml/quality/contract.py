"""The input contract of a raw file, read from the dbt source declaration (one source of truth)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import yaml

from ml import project


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    data_type: str
    required: bool = False
    nullable: bool = False
    not_zero: bool = False
    strip_decimal_zero: bool = False
    date_format: str | None = None
    format_var: str | None = None
    formats: tuple[str, ...] = ()
    min_value: float | None = None
    # Row-level: a date (or a year) after the as-of date cannot be right (quarantined).
    not_after_as_of_date: bool = False
    not_after_as_of_year: bool = False
    allowed_values: tuple | None = None
    accepted_values_seed: str | None = None


@dataclass(frozen=True)
class InputContract:
    input_name: str
    file_var: str
    delimiter: str
    key_column: str | None
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)
    # GX reads at most this many rows (None: all); unparseable values are row-level (quarantined) when
    # type_errors is "quarantine", else blocking.
    sample_rows: int | None = None
    type_errors: str = "block"
    # Column whose dates set the default as-of date (the dbt macro as_of_date's rule), if any.
    as_of_date_column: str | None = None

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def source_declaration(source_name: str, table_name: str) -> tuple[dict, dict]:
    """The dbt source and table declaration, found among the project's source YAML files."""
    for path in sorted(project.models_dir().rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources") or []:
            if source.get("name") != source_name:
                continue
            for table in source.get("tables") or []:
                if table.get("name") == table_name:
                    return source, table
    raise FileNotFoundError(f"no dbt source {source_name}.{table_name} is declared under {project.models_dir()}")


DELIMITERS = {"tab": "\t", "comma": ",", "semicolon": ";"}


def load_contract(input_name: str) -> InputContract:
    """The input contract of the segmentation ``input_name``: its registry entry names the dbt source."""
    spec = project.registry().get(input_name).input
    _, table = source_declaration(spec.source_name, spec.source_table)
    meta = table.get("config", {}).get("meta", {})
    columns = []
    for column in table["columns"]:
        column_meta = column.get("meta", {}) or {}
        allowed = column_meta.get("allowed_values")
        columns.append(
            ColumnSpec(
                name=column["name"],
                data_type=str(column.get("data_type", "varchar")).lower(),
                required=bool(column_meta.get("required", False)),
                nullable=bool(column_meta.get("nullable", False)),
                not_zero=bool(column_meta.get("not_zero", False)),
                strip_decimal_zero=bool(column_meta.get("strip_decimal_zero", False)),
                date_format=column_meta.get("format"),
                format_var=column_meta.get("format_var"),
                formats=tuple(column_meta.get("formats", ())),
                min_value=column_meta.get("min_value"),
                not_after_as_of_date=bool(column_meta.get("not_after_as_of_date", False)),
                not_after_as_of_year=bool(column_meta.get("not_after_as_of_year", False)),
                allowed_values=tuple(allowed) if allowed is not None else None,
                accepted_values_seed=column_meta.get("accepted_values_seed"),
            )
        )
    return InputContract(
        input_name=input_name,
        file_var=spec.file_var,
        delimiter=DELIMITERS[meta.get("delimiter_name", "comma")],
        key_column=meta.get("key_column"),
        columns=tuple(columns),
        sample_rows=meta.get("sample_rows"),
        type_errors=meta.get("type_errors", "block"),
        as_of_date_column=meta.get("as_of_date_column"),
    )


def seed_values(seed: str, column: str = "raw_value") -> list[str]:
    with open(project.seeds_dir() / f"{seed}.csv", newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def project_vars() -> dict:
    return project.project_vars()


def default_file(contract: InputContract) -> str:
    return str(project.root() / project_vars()[contract.file_var])


# Rows the date-format detection looks at (the dbt macro column_format uses the same number).
FORMAT_DETECTION_ROWS = 100_000


def resolve_format(column: ColumnSpec, values: pd.Series, setting: str | None = None) -> str | None:
    """The strptime format of a date/timestamp column, by the rule of the dbt macro column_format:
    meta.format if fixed; else the setting (var meta.format_var); 'auto' takes the first of meta.formats
    under which every non-empty value of the first rows parses, or the one with the fewest failures."""
    if column.date_format:
        return column.date_format
    chosen = setting or (project_vars().get(column.format_var) if column.format_var else None) or "auto"
    if chosen != "auto" or not column.formats:
        return None if chosen == "auto" else chosen
    head = values.head(FORMAT_DETECTION_ROWS).str.strip().replace("", pd.NA).dropna()
    with duckdb.connect() as connection:
        connection.register("head_values", pd.DataFrame({"value": head.astype(str)}))
        counts = connection.execute(
            "select "
            + ", ".join("count(*) filter (where try_strptime(value, ?) is null)" for _ in column.formats)
            + " from head_values",
            list(column.formats),
        ).fetchall()[0]
    failures = list(counts)
    return column.formats[failures.index(min(failures))]
