import subprocess
import sys

import pandas as pd
import pytest

from ml.quality import PYSPARK_PANDAS_WARNING
from ml.quality.contract import load_contract
from ml.quality.inputs import default_as_of_date, validate_input
from ml.quality.published import PublishedTablesInvalid, assert_persona_tables_valid, validate_persona_tables
from tests.conftest import SMALL_CUSTOMERS, customers_with

PROFILES = pd.DataFrame(
    {
        "persona_name": ["A", "B"],
        "member_count": [6, 4],
        "member_share": [0.6, 0.4],
        "marketing_strategy": ["do a", "do b"],
    }
)
COUNTS = pd.DataFrame({"persona_name": ["A", "B"], "members": [6, 4]})


def test_valid_persona_tables_pass():
    assert_persona_tables_valid(validate_persona_tables(PROFILES, COUNTS))


@pytest.mark.parametrize(
    ("profiles", "counts", "message"),
    [
        (PROFILES.assign(member_count=[6, 3]), COUNTS, "persona sizes to sum to the 10 members scored"),
        (PROFILES.assign(member_share=[0.7, 0.4]), COUNTS, "shares to sum to 1"),
        (PROFILES.assign(member_share=[1.2, -0.2]), COUNTS, "shares to lie in [0, 1]"),
        (PROFILES.assign(marketing_strategy=["do a", None]), COUNTS, "every persona to have a strategy"),
        (
            PROFILES,
            pd.DataFrame({"persona_name": ["A", None], "members": [6, 4]}),
            "every member to have a persona",
        ),
        (
            PROFILES,
            pd.DataFrame({"persona_name": ["A", "C"], "members": [6, 4]}),
            "to be a published persona",
        ),
    ],
)
def test_broken_persona_tables_are_refused(profiles, counts, message):
    with pytest.raises(PublishedTablesInvalid, match="previous published warehouse is kept") as error:
        assert_persona_tables_valid(validate_persona_tables(profiles, counts))
    assert message in str(error.value)


def test_the_contract_comes_from_the_dbt_source_declaration():
    contract = load_contract("customers")
    assert contract.delimiter == "\t" and contract.key_column == "ID"
    assert len(contract.columns) == 29
    assert contract.column("Dt_Customer").date_format == "%d-%m-%Y"
    assert contract.column("MntWines").min_value == 0
    assert contract.column("Complain").allowed_values == (0, 1)
    assert contract.column("Education").accepted_values_seed == "education_mapping"


def test_input_validation_separates_blocking_from_row_level(tmp_path):
    row_level = customers_with(tmp_path / "row_level.tsv", {(1, "MntFruits"): "-3"})
    report = validate_input("customers", str(row_level))
    assert report.ok and report.rows == len(SMALL_CUSTOMERS.read_text().splitlines()) - 1
    assert [(f.column, f.failing_count) for f in report.row_level] == [("MntFruits", 1)]

    blocking = customers_with(tmp_path / "blocking.tsv", {(1, "MntFruits"): "-3", (1, "Income"): "12k"})
    report = validate_input("customers", str(blocking))
    assert not report.ok
    assert any("column Income: 1 value(s) fail to be bigint, e.g. '12k'" in line for line in report.lines())


def test_default_as_of_date_ignores_a_far_future_typo():
    dates = pd.Series(pd.to_datetime(["2012-07-30", "2013-05-01", "2014-06-29"] * 40 + ["2099-01-01"]))
    assert default_as_of_date(dates) == pd.Timestamp("2014-06-30")


def test_validation_prints_no_pyspark_warning(tmp_path):
    """Great Expectations imports pyspark (the spark extra): its pandas-3 FutureWarning is noise in the main
    job's validation step. A fresh interpreter with warnings shown, validating the small customers fixture."""
    pytest.importorskip("pyspark")
    script = f"from ml.quality.inputs import validate_input\nvalidate_input('customers', {str(SMALL_CUSTOMERS)!r})\n"
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert PYSPARK_PANDAS_WARNING not in result.stderr, result.stderr
