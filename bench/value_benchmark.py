"""Benchmark: the customer-value stage of `dbt build` on synthetic invoices, against the notebook way.

    python bench/value_benchmark.py --lines 5000000 --customers 100000

Generates the file (cached under data/generated/), runs a cold `dbt build` in a subprocess, and prints the
time of each value model from dbt's run_results.json (purchase days through cohorts), their sum against the
goal (at most 30 s for 100,000 customers from 5,000,000 lines), the whole build, and then the notebook way
(bench/value_notebook_baseline.py: pandas + the same models in memory) on the same file. Results go to
reports/bench/value.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import dbt_build, measure, stage_seconds  # noqa: E402

from ml.synthetic.invoices import write_invoices  # noqa: E402

VALUE_MODELS = [
    "value_purchase_days",
    "value_observation_windows",
    "clv_sufficiency",
    "clv_summaries",
    "clv_fits",
    "clv_parameters",
    "customer_value",
    "clv_validation",
    "clv_tracking",
    "persona_value_profiles",
    "cohort_activity",
    "cohort_retention",
    "cohort_persona_mix",
]
GOAL_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    path = ROOT / "data" / "generated" / f"invoices_{args.lines}_{args.customers}_customers.csv"
    if not path.exists():
        write_invoices(path, args.lines, seed=0, customers=args.customers)
    with tempfile.TemporaryDirectory(prefix="bench_value_") as workdir:
        work = Path(workdir)
        ours = dbt_build(ROOT, work, {"invoices_file": str(path)})
        stages = stage_seconds(work / "target" / "run_results.json", {m: [m] for m in VALUE_MODELS})
        import duckdb

        with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
            valued, model = connection.execute(
                "select count(*), (select any_value(model) from clv_parameters where fitted_on = 'all data' "
                "and model <> 'gamma_gamma' and segmentation_name = 'invoices') "
                "from customer_value where segmentation_name = 'invoices'"
            ).fetchone()
    value_seconds = round(sum(stages.values()), 1)
    print(f"{args.lines:,} invoice lines, {valued:,} customers valued (model {model})")
    for name, seconds in stages.items():
        print(f"  {name:<28} {seconds:6.1f} s")
    verdict = "meets" if value_seconds <= GOAL_SECONDS else "misses"
    print(f"value stage: {value_seconds:.1f} s (goal <= {GOAL_SECONDS:.0f} s: {verdict})")
    print(f"whole dbt build: {ours.seconds:.1f} s, peak {ours.peak_gib:.2f} GiB")
    baseline = measure([sys.executable, str(ROOT / "bench" / "value_notebook_baseline.py"), str(path)])
    print(f"notebook way (pandas + scipy in memory): {baseline.seconds:.1f} s, peak {baseline.peak_gib:.2f} GiB")
    result = {
        "lines": args.lines,
        "customers_valued": valued,
        "model": model,
        "value_stage_seconds": value_seconds,
        "value_model_seconds": stages,
        "goal_seconds": GOAL_SECONDS,
        "dbt_build_seconds": round(ours.seconds, 1),
        "dbt_build_peak_gib": round(ours.peak_gib, 2),
        "notebook_seconds": round(baseline.seconds, 1),
        "notebook_peak_gib": round(baseline.peak_gib, 2),
    }
    out = ROOT / "reports" / "bench" / "value.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
