"""Bad input stops the build with a message naming file, column and example value, before any persona."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SMALL_CUSTOMERS, customers_with

pytestmark = pytest.mark.integration


def _lines() -> list[str]:
    return SMALL_CUSTOMERS.read_text().splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = "customers.tsv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _replace_field(lines: list[str], row: int, column: str, value: str) -> list[str]:
    header = lines[0].split("\t")
    fields = lines[row].split("\t")
    fields[header.index(column)] = value
    return [*lines[:row], "\t".join(fields), *lines[row + 1 :]]


def _drop_column(lines: list[str], column: str) -> list[str]:
    position = lines[0].split("\t").index(column)
    return ["\t".join(f for i, f in enumerate(line.split("\t")) if i != position) for line in lines]


CASES = {
    "missing column": (lambda lines: _drop_column(lines, "Income"), ["missing required column(s) Income"]),
    "wrong delimiter": (
        lambda lines: [line.replace("\t", ",") for line in lines],
        ["single column", "tab-separated"],
    ),
    "unparseable date": (
        lambda lines: _replace_field(lines, 3, "Dt_Customer", "2013/03/08"),
        ["column Dt_Customer", "'2013/03/08'", "%d-%m-%Y"],
    ),
    "text in a number": (
        lambda lines: _replace_field(lines, 5, "MntWines", "lots"),
        ["column MntWines", "'lots'", "bigint"],
    ),
    "thousands separator": (
        lambda lines: _replace_field(lines, 2, "Income", "58,138"),
        ["column Income", "'58,138'"],
    ),
    "duplicate ids": (lambda lines: [*lines, lines[1]], ["column ID", "duplicated", "5524"]),
    "header only": (lambda lines: lines[:1], ["no data rows"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_the_build_with_a_clear_message(case, build, tmp_path):
    mutate, expected = CASES[case]
    path = _write(tmp_path, mutate(_lines()))
    result = build.dbt("build", dbt_vars={"customers_file": str(path)})
    assert result.returncode != 0
    assert str(path) in result.output
    for fragment in expected:
        assert fragment in result.output, (fragment, result.output[-2000:])
    assert "customer_personas" not in build.tables()


def test_a_varying_constant_column_fails_its_test_and_stops_the_personas(build, tmp_path):
    path = customers_with(tmp_path / "customers.tsv", {(7, "Z_Revenue"): "12"})
    result = build.dbt("build", dbt_vars={"customers_file": str(path)})
    assert result.returncode != 0
    assert "assert_constant_export_columns_are_constant" in result.output
    assert "customer_personas" not in build.tables()


def _reason_for(column: str, description: str) -> str:
    """The SQL quarantine reason that corresponds to a failed Great Expectations row rule."""
    if "negative" in description:
        return "negative_spend" if column.startswith("Mnt") else "negative_count"
    if "known category" in description:
        return "unknown_education" if column == "Education" else "unknown_marital_status"
    if "one of [0, 1]" in description:
        return "invalid_flag_value"
    if column == "Year_Birth":
        return "birth_year_after_as_of_date"
    if column == "Dt_Customer":
        return "enrolled_after_as_of_date"
    return f"missing:{column}"


def test_great_expectations_and_the_dbt_quarantine_agree_row_for_row(build, tmp_path):
    """Seven bad rows, one per row rule: both checks quarantine the same rows for the same reasons."""
    from ml.quality.inputs import validate_input

    path = customers_with(
        tmp_path / "customers.tsv",
        {
            (1, "MntFruits"): "-5",
            (2, "NumWebPurchases"): "-1",
            (3, "Complain"): "2",
            (4, "Education"): "Kindergarten",
            (5, "Marital_Status"): "Complicated",
            (6, "Year_Birth"): "2030",
            (7, "Dt_Customer"): "01-01-2099",
        },
    )
    report = validate_input("customers", str(path))
    assert report.ok
    gx_reasons = sorted(_reason_for(f.column, f.expectation) for f in report.row_level for _ in range(f.failing_count))
    result = build.dbt("build", dbt_vars={"customers_file": str(path)})
    assert result.returncode == 0, result.output[-3000:]
    quarantine = build.query("select customer_id, quarantine_reasons from customer_quarantine")
    sql_reasons = sorted(quarantine["quarantine_reasons"])
    assert gx_reasons == sql_reasons
    assert len(sql_reasons) == 7
    # Each bad row is held back with its reason, and every other row is scored.
    scored = build.query("select customer_id from customer_personas")["customer_id"]
    assert len(scored) == len(_lines()) - 1 - 7
    assert not set(quarantine["customer_id"]) & set(scored)
