"""Expectations on the published persona tables, checked before a build is published."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ml.engine.registry import Registry
from ml.quality.expectations import BLOCKING, ValidationOutcome, new_context, run_suite


class PublishedTablesInvalid(RuntimeError):
    """The built persona tables break an expectation: the build is not published."""


def validate_persona_tables(
    persona_profiles: pd.DataFrame,
    customer_personas: pd.DataFrame,
    data_docs_dir: Path | None = None,
    suite_prefix: str = "",
) -> list[ValidationOutcome]:
    """Sizes sum to the members scored, shares in [0, 1] summing to 1, every customer has a persona,
    every persona a strategy.

    ``customer_personas`` is the customer table aggregated per persona (columns persona_name, customers):
    a customer without a persona shows up as a null persona_name group, one with an unknown persona as a
    name outside the profiles, and the counts sum to the members scored. DuckDB aggregates a million rows
    in milliseconds; GX then checks a handful.
    """
    import great_expectations as gx

    meta = {"severity": BLOCKING}
    scored = int(customer_personas["members"].sum())
    profile_expectations = [
        gx.expectations.ExpectColumnSumToBeBetween(
            column="member_count",
            min_value=scored,
            max_value=scored,
            meta={**meta, "description": f"persona sizes to sum to the {scored} members scored"},
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="member_share",
            min_value=0,
            max_value=1,
            meta={**meta, "description": "shares to lie in [0, 1]"},
        ),
        gx.expectations.ExpectColumnSumToBeBetween(
            column="member_share",
            min_value=1 - 1e-9,
            max_value=1 + 1e-9,
            meta={**meta, "description": "shares to sum to 1"},
        ),
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="marketing_strategy", meta={**meta, "description": "every persona to have a strategy"}
        ),
        gx.expectations.ExpectColumnValueLengthsToBeBetween(
            column="marketing_strategy",
            min_value=1,
            meta={**meta, "description": "strategies to be non-empty"},
        ),
        gx.expectations.ExpectColumnValuesToBeUnique(
            column="persona_name", meta={**meta, "description": "persona names to be unique"}
        ),
    ]
    customer_expectations = [
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="persona_name", meta={**meta, "description": "every member to have a persona"}
        ),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="persona_name",
            value_set=persona_profiles["persona_name"].dropna().tolist(),
            meta={**meta, "description": "every member's persona to be a published persona"},
        ),
    ]
    context = new_context(data_docs_dir)
    with_docs = data_docs_dir is not None
    return [
        run_suite(
            context,
            f"{suite_prefix}persona_profiles_published",
            persona_profiles,
            profile_expectations,
            with_docs,
        ),
        run_suite(
            context,
            f"{suite_prefix}customer_personas_published",
            customer_personas,
            customer_expectations,
            with_docs,
        ),
    ]


def assert_persona_tables_valid(outcomes: list[ValidationOutcome]) -> None:
    problems = [finding.message(outcome.name) for outcome in outcomes for finding in outcome.blocking]
    if problems:
        raise PublishedTablesInvalid(
            "The built persona tables fail their expectations, so the previous published warehouse is kept: "
            + "; ".join(problems)
        )


# A segmentation's name, its rows of persona_profiles, and its members counted per persona.
PersonaCheck = tuple[str, pd.DataFrame, pd.DataFrame]


def persona_table_checks(
    query: Callable[[str], pd.DataFrame], relation: Callable[[str], str], segmentations: Registry
) -> list[PersonaCheck]:
    """What validate_persona_tables checks for each segmentation of the registry, read from the build.

    ``query`` runs SQL on the build's engine and ``relation`` names a table of the build there (quoted for
    that engine), so the DuckDB publishing model and the Spark publishing step check the same things."""
    profiles = query(
        "select segmentation_name, persona_name, member_count, member_share, marketing_strategy "
        f"from {relation('persona_profiles')}"
    )
    checks = []
    for segmentation in segmentations:
        counts = query(
            f"select persona_name, count(*) as members from {relation(segmentation.members_model)} "
            "group by persona_name"
        )
        checks.append((segmentation.name, profiles[profiles["segmentation_name"] == segmentation.name], counts))
    return checks


def assert_persona_checks_pass(checks: list[PersonaCheck], data_docs_dir: Path | None) -> None:
    """Validate every segmentation's persona tables (Data Docs under ``data_docs_dir``); raise on a problem."""
    outcomes = []
    for name, profiles, counts in checks:
        outcomes += validate_persona_tables(profiles, counts, data_docs_dir, f"{name}_")
    assert_persona_tables_valid(outcomes)
