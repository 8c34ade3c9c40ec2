"""The bad-input corpus: every case through `smartcart run`, the entry point users run, with its outcome.

Cases are generated from the small real fixture. Outcomes:
- "blocked": the run stops before anything is published, with a message naming file, column and examples;
- "published": the run succeeds; the named rows are quarantined / flagged / imputed as asserted.

A case that changes one value of one row and is published (a "row case") shares one run with the other row
cases: each changes its own row of one file, and its checks name that row's customer. A run costs most of a
minute, and a row case's outcome depends on its row alone (the shares and limits of a handful of bad rows in
276 are far from any limit), so one file proves them all. Cases that change the whole file, and every
blocked case, get a run of their own.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ml.synthetic.customers import generate_customers, write_customers
from tests.conftest import SMALL_CUSTOMERS, Build, built_once

pytestmark = pytest.mark.integration

HEADER = SMALL_CUSTOMERS.read_text().splitlines()[0].split("\t")
ROWS = [line.split("\t") for line in SMALL_CUSTOMERS.read_text().splitlines()[1:]]
N_ROWS = len(ROWS)


def tsv(rows: list[list[str]], header: list[str] = HEADER, newline: str = "\n") -> bytes:
    return newline.join("\t".join(r) for r in [header, *rows]).encode() + newline.encode()


def with_value(row: int, column: str, value: str) -> bytes:
    rows = [list(r) for r in ROWS]
    rows[row][HEADER.index(column)] = value
    return tsv(rows)


def customer_id(row: int) -> int:
    return int(ROWS[row][0])


@dataclass
class Case:
    content: Callable[[Path], bytes]
    outcome: str  # "blocked" or "published"
    messages: list[str] = field(default_factory=list)  # fragments of the output
    sql_checks: dict[str, object] = field(default_factory=dict)  # query -> expected scalar
    args: list[str] = field(default_factory=list)


@dataclass
class RowCase:
    """One value of one row changed; the run publishes. Checks are per customer: {query(id): expected}."""

    column: str
    value: str
    quarantine_reason: str | None = None  # the row is quarantined for it, and gets no persona
    checks: dict[Callable[[int], str], object] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def all_checks(self) -> dict[Callable[[int], str], object]:
        quarantine = {quarantined_for(self.quarantine_reason): 1} if self.quarantine_reason else {}
        return {**quarantine, **self.checks}


def reordered() -> bytes:
    order = list(reversed(range(len(HEADER))))
    return tsv([[r[i] for i in order] for r in ROWS], [HEADER[i] for i in order])


def extra_column() -> bytes:
    return tsv([[*r, "x"] for r in ROWS], [*HEADER, "Loyalty_Card"])


def quoted_fields() -> bytes:
    rows = [list(r) for r in ROWS]
    rows[3][HEADER.index("Marital_Status")] = '"Single\twith a tab"'
    rows[4][HEADER.index("Education")] = '"Graduation\nand a newline"'
    return tsv(rows)


def all_empty(column: str) -> bytes:
    rows = [list(r) for r in ROWS]
    for r in rows:
        r[HEADER.index(column)] = ""
    return tsv(rows)


def many_negative(share: float) -> bytes:
    rows = [list(r) for r in ROWS]
    for r in rows[: int(len(rows) * share) + 1]:
        r[HEADER.index("MntFruits")] = "-1"
    return tsv(rows)


def quarantine_count(reason: str) -> str:
    return f"select count(*) from customer_quarantine where quarantine_reasons like '%{reason}%'"


def quarantined_for(reason: str) -> Callable[[int], str]:
    """The customer's quarantine row names the reason (1), and the customer got no persona (0 rows)."""
    return lambda customer: (
        f"select count(*) filter (where quarantine_reasons like '%{reason}%') "
        f"- (select count(*) from customer_personas where customer_id = {customer}) "
        f"from customer_quarantine where customer_id = {customer}"
    )


def customer_column(table: str, expression: str) -> Callable[[int], str]:
    return lambda customer: f"select {expression} from {table} where customer_id = {customer}"


PUBLISHED_ALL = {"select count(*) from customer_personas": N_ROWS}

CASES: dict[str, Case] = {
    "empty file": Case(lambda _: b"", "blocked", ["no data rows"]),
    "header only": Case(lambda _: tsv([]), "blocked", ["no data rows"]),
    "wrong delimiter": Case(
        lambda _: tsv(ROWS).replace(b"\t", b","),
        "blocked",
        ["missing required column(s) ID", "probably not separated by"],
    ),
    "missing required column": Case(
        lambda _: tsv([r[:4] + r[5:] for r in ROWS], HEADER[:4] + HEADER[5:]),
        "blocked",
        ["missing required column(s) Income"],
    ),
    "extra unknown column": Case(
        lambda _: extra_column(), "published", ["extra column(s)", "Loyalty_Card"], PUBLISHED_ALL
    ),
    "reordered columns": Case(lambda _: reordered(), "published", [], PUBLISHED_ALL),
    "duplicate ids": Case(lambda _: tsv([*ROWS, ROWS[0]]), "blocked", ["column ID", "unique", str(customer_id(0))]),
    "utf-8 byte-order mark": Case(lambda _: b"\xef\xbb\xbf" + tsv(ROWS), "published", [], PUBLISHED_ALL),
    "crlf line endings": Case(lambda _: tsv(ROWS, newline="\r\n"), "published", [], PUBLISHED_ALL),
    "lf line endings": Case(lambda _: tsv(ROWS, newline="\n"), "published", [], PUBLISHED_ALL),
    "non-utf-8 bytes": Case(
        lambda _: with_value(2, "Education", "Graduation").replace(b"Graduation", b"Gradu\xe9", 1),
        "blocked",
        ["UTF-8"],
    ),
    "quoted fields with delimiter and newline": Case(
        lambda _: quoted_fields(),
        "published",
        [],
        {quarantine_count("unknown_marital_status"): 1, quarantine_count("unknown_education"): 1},
    ),
    "thousands separator": Case(lambda _: with_value(1, "Income", "58,138"), "blocked", ["column Income", "'58,138'"]),
    "text in a numeric column": Case(
        lambda _: with_value(1, "MntWines", "lots"), "blocked", ["column MntWines", "'lots'"]
    ),
    "enrollment in another format": Case(
        lambda _: with_value(1, "Dt_Customer", "2013-03-08"),
        "blocked",
        ["column Dt_Customer", "'2013-03-08'", "%d-%m-%Y"],
    ),
    "all-empty column": Case(lambda _: all_empty("Income"), "blocked", ["column Income", "empty in every row"]),
    "single customer": Case(
        lambda _: tsv(ROWS[:1]), "blocked", ["only 1 row(s) can be fitted; at least 100", "allow_insufficient_data"]
    ),
    "fewer customers than segments": Case(
        lambda _: tsv(ROWS[:4]),
        "blocked",
        ["only 4 row(s) can be fitted; at least 100", "cannot support a meaningful segmentation"],
        args=["--n-clusters", "customers=5"],
    ),
    "too many rows quarantined": Case(
        lambda _: many_negative(0.08), "blocked", ["were quarantined", "max_quarantine_share"]
    ),
}


# Each row case changes data row (its position + 1) of one shared file.
ROW_CASES: dict[str, RowCase] = {
    "negative spend": RowCase("MntMeatProducts", "-20", "negative_spend", messages=["negative"]),
    "income 0": RowCase("Income", "0", checks={customer_column("customers", "income"): 0.0}),
    "income empty": RowCase("Income", "", checks={customer_column("customers", "is_income_imputed"): True}),
    "income huge": RowCase(
        "Income", "9999999", checks={customer_column("customers", "fit_exclusion_reasons"): "extreme_income"}
    ),
    "birth year 1893": RowCase(
        "Year_Birth",
        "1893",
        checks={customer_column("customer_personas", "is_implausible_birth_year and is_excluded_from_fit"): True},
    ),
    "birth year 2030": RowCase("Year_Birth", "2030", "birth_year_after_as_of_date"),
    "enrollment in the future": RowCase(
        "Dt_Customer",
        "01-01-2099",
        "enrolled_after_as_of_date",
        checks={lambda _: "select max(as_of_date) from customers": "2014-06-30"},
    ),
    "unknown education": RowCase("Education", "Kindergarten", "unknown_education"),
    "unknown marital status": RowCase("Marital_Status", "Complicated", "unknown_marital_status"),
}
ROW_OF_CASE = {name: position + 1 for position, name in enumerate(ROW_CASES)}


def row_cases_file() -> bytes:
    rows = [list(r) for r in ROWS]
    for name, case in ROW_CASES.items():
        rows[ROW_OF_CASE[name]][HEADER.index(case.column)] = case.value
    return tsv(rows)


def run_main_job(build, path: Path, extra: list[str]) -> subprocess.CompletedProcess:
    return build.smartcart("run", "--customers-file", str(path), *extra)


def scalar(build, sql: str):
    value = build.query(sql).iloc[0, 0]
    return value.isoformat()[:10] if hasattr(value, "isoformat") else value


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_case(name, build, tmp_path):
    case = CASES[name]
    path = tmp_path / "customers.tsv"
    path.write_bytes(case.content(tmp_path))
    result = run_main_job(build, path, case.args)
    output = result.stdout + result.stderr
    if case.outcome == "blocked":
        assert result.returncode != 0, output[-3000:]
        assert "customer_personas" not in build.tables(), "a blocked run must not publish"
        assert str(path) in output
    else:
        assert result.returncode == 0, output[-3000:]
    for fragment in case.messages:
        assert fragment in output, (fragment, output[-3000:])
    for sql, expected in case.sql_checks.items():
        assert scalar(build, sql) == expected, sql


@pytest.fixture(scope="module")
def row_cases_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, str]:
    """One `smartcart run` of the file with every row case in it (read-only for the tests)."""

    def run(folder: Path) -> tuple[Build, str]:
        path = folder / "customers.tsv"
        path.write_bytes(row_cases_file())
        build = Build(folder)
        result = run_main_job(build, path, [])
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        return build, output

    return built_once(tmp_path_factory, "bad_input_row_cases", run)


@pytest.mark.parametrize("name", list(ROW_CASES))
def test_bad_input_row_case(name, row_cases_run):
    build, output = row_cases_run
    case, customer = ROW_CASES[name], customer_id(ROW_OF_CASE[name])
    for fragment in case.messages:
        assert fragment in output, (fragment, output[-3000:])
    for query, expected in case.all_checks().items():
        assert scalar(build, query(customer)) == expected, query(customer)


def test_the_row_cases_change_one_row_each_and_every_other_row_is_published(row_cases_run):
    build, _ = row_cases_run
    assert len({ROW_OF_CASE[name] for name in ROW_CASES}) == len(ROW_CASES)
    quarantined = [case for case in ROW_CASES.values() if case.quarantine_reason]
    assert scalar(build, "select count(*) from customer_quarantine") == len(quarantined)
    assert scalar(build, "select count(*) from customer_personas") == N_ROWS - len(quarantined)


def test_corpus_covers_at_least_25_cases():
    assert len(CASES) + len(ROW_CASES) >= 25


def test_a_million_rows_with_one_percent_bad_rows(build, tmp_path):
    frame = generate_customers(1_000_000, seed=11)
    bad = frame.sample(frac=0.01, random_state=1).index
    frame.loc[bad, "MntWines"] = -5
    path = write_customers(frame, tmp_path / "million.tsv")
    result = run_main_job(build, path, [])
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert scalar(build, "select count(*) from customer_quarantine") == 10_000
    assert scalar(build, "select count(*) from customer_personas") == 990_000
    summary = build.query(
        "select rows_read, rows_quarantined, outcome from run_summary where input_name = 'customers'"
    ).iloc[0]
    assert (summary["rows_read"], summary["rows_quarantined"], summary["outcome"]) == (
        1_000_000,
        10_000,
        "published",
    )
