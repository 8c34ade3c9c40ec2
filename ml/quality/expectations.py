"""Great Expectations (1.x) suites: the raw inputs before a build, the published tables after it.

GX validates pandas frames here: GX 1.x cannot validate DuckDB through SQLAlchemy, so DuckDB reads the
data and GX checks the frames. Every expectation carries meta.severity: "blocking" (the file cannot be
trusted; the run stops) or "row" (the rows go to quarantine in the dbt build).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

INTEGER_PATTERN = r"^\s*[+-]?\d+\s*$"
BLOCKING, ROW = "blocking", "row"


@dataclass
class Finding:
    """One failed expectation, in words a user can act on."""

    severity: str
    column: str | None
    expectation: str
    failing_count: int | None
    examples: list
    detail: str = ""

    def message(self, file_label: str) -> str:
        if self.column and self.expectation == "is empty in every row":
            return f"{file_label}: column {self.column} is empty in every row"
        if not self.column:
            detail = f" ({self.detail})" if self.detail else ""
            return f"{file_label}: {self.expectation}{detail}"
        where = f"column {self.column}"
        count = f"{self.failing_count} value(s) fail" if self.failing_count is not None else "fails"
        examples = f", e.g. {', '.join(repr(e) for e in self.examples[:3])}" if self.examples else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{file_label}: {where}: {count} {self.expectation}{detail}{examples}"


class HasFindings:
    """Findings split by severity (for anything with a ``findings`` list)."""

    findings: list[Finding]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == BLOCKING]

    @property
    def row_level(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ROW]


@dataclass
class ValidationOutcome(HasFindings):
    name: str
    success: bool
    findings: list[Finding] = field(default_factory=list)
    rows: int = 0


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def new_context(data_docs_dir: Path | None):
    """An ephemeral GX context (suites are defined in code), with a Data Docs site when asked for."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX sets up its own loggers on import; quieten them after it.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.ERROR)

    with contextlib.redirect_stdout(io.StringIO()):  # GX announces its temporary default docs site
        context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # The ephemeral context comes with a default docs site in a temporary folder; ours replaces it.
    for site in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site)
    if data_docs_dir is not None:
        context.add_data_docs_site(
            site_name="smartcart",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(data_docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def run_suite(context, name: str, frame: pd.DataFrame, expectations: list, with_docs: bool) -> ValidationOutcome:
    """Validate ``frame`` against ``expectations`` (GX expectation objects with meta.severity)."""
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(f"{name}_source")
    asset = source.add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe(f"{name}_whole")
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    # list, not list[UpdateDataDocsAction]: Checkpoint takes a list of any ValidationAction.
    actions: list = [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if with_docs else []
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{name}_checkpoint",
            validation_definitions=[definition],
            actions=actions,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    outcome = ValidationOutcome(name=name, success=bool(result.success), rows=len(frame))
    for run_result in result.run_results.values():
        for item in run_result.results:
            if item.success:
                continue
            config = item.expectation_config
            details = item.result or {}
            examples = [v for v in details.get("partial_unexpected_list") or [] if v is not None]
            error = (item.exception_info or {}).get("exception_message") if item.exception_info else None
            observed = details.get("observed_value")
            outcome.findings.append(
                Finding(
                    severity=(config.meta or {}).get("severity", BLOCKING),
                    column=config.kwargs.get("column"),
                    expectation=(config.meta or {}).get("description", config.type),
                    failing_count=details.get("unexpected_count"),
                    examples=list(dict.fromkeys(map(str, examples))),
                    detail=str(error) if error else (f"observed {observed}" if observed is not None else ""),
                )
            )
    return outcome
