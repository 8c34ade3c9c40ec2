"""The fixed cost of a build: a cold `dbt build` of the bundled data, broken down stage by stage.

    python bench/fixed_cost.py

Runs the build in a fresh folder (new warehouse, artifacts and dbt target, so dbt parses from scratch),
then reads dbt's run_results.json: dbt's own time (its "Finished running ... in" figure), the time of
each stage on the critical path (from the first node of the stage starting to its last node finishing) and
the summed time of the data tests. Results also go to reports/bench/fixed_cost.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import dbt_build  # noqa: E402

# Stages in DAG order; every model belongs to the first stage whose prefix list matches it.
STAGES = [
    ("landing + staging + input gates", ("raw_", "stg_")),
    ("cleaning, features, accounting", ("int_", "customers", "customer_", "invoice_", "clickstream_")),
    ("fit sample + fit", ("segmentation_fit_samples", "segmentation_fits")),
    ("model tables (views of the fit)", ("segmentation_models", "segment_", "k_selection")),
    ("SQL scoring + persona marts", ("persona_",)),
    ("run summary + manifest", ("run_summary", "publication_manifest")),
    ("publication (GX checks, copy, swap)", ("published_warehouse",)),
    ("report", ("insights_report",)),
]
MEMBERS = ("customer_personas", "invoice_customer_personas", "clickstream_customer_personas", "invoice_persona")


def stage_of(name: str) -> str:
    if name.startswith(MEMBERS):
        return "SQL scoring + persona marts"
    return next((stage for stage, prefixes in STAGES if name.startswith(prefixes)), "other")


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def breakdown(run_results: Path) -> dict[str, object]:
    results = json.loads(run_results.read_text())
    spans: dict[str, list[datetime]] = {}
    tests = 0.0
    for result in results["results"]:
        kind, name = result["unique_id"].split(".")[0], result["unique_id"].split(".")[-1]
        if kind in ("test", "unit_test"):
            tests += result["execution_time"]
            continue
        if kind != "model":
            continue
        timing = [t for t in result["timing"] if t["name"] in ("compile", "execute") and t.get("started_at")]
        start, end = min(parse(t["started_at"]) for t in timing), max(parse(t["completed_at"]) for t in timing)
        span = spans.setdefault(stage_of(name), [start, end])
        span[0], span[1] = min(span[0], start), max(span[1], end)
    origin = min(span[0] for span in spans.values())
    stages = {
        stage: {
            "starts_at_s": round((spans[stage][0] - origin).total_seconds(), 1),
            "seconds": round((spans[stage][1] - spans[stage][0]).total_seconds(), 1),
        }
        for stage, _ in STAGES
        if stage in spans
    }
    return {"dbt_seconds": round(results["elapsed_time"], 1), "stages": stages, "data_tests_summed_s": round(tests, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_fixed_") as workdir:
        work = Path(workdir)
        measurement = dbt_build(ROOT, work, {})
        result = {"wall_seconds": round(measurement.seconds, 1), **breakdown(work / "target" / "run_results.json")}
    print(f"cold dbt build of the bundled data: {result['wall_seconds']} s wall, {result['dbt_seconds']} s dbt's own")
    for stage, figures in result["stages"].items():
        print(f"  {stage:<40} from {figures['starts_at_s']:>5} s  {figures['seconds']:>5} s")
    print(f"  data tests (summed, 2 threads overlap them with the models): {result['data_tests_summed_s']} s")
    out = ROOT / "reports" / "bench" / "fixed_cost.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
