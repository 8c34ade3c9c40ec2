"""Benchmark: `dbt build` with a synthetic invoices file of N lines against the usual RFM notebook.

    python bench/invoices_benchmark.py --lines 5000000

For each size: generates the file (cached under data/generated/), runs a cold `dbt build` (fresh warehouse,
artifacts, dbt target; the customer source stays the bundled 2,240 rows) in a subprocess, prints wall time,
peak memory (RSS of the process tree) and the time of the invoice stages from dbt's run_results.json, then
runs bench/invoices_notebook_baseline.py on the same file. Results go to reports/bench/invoices.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import measure  # noqa: E402

from ml.synthetic_invoices import write_invoices  # noqa: E402

STAGES = {
    "gate + staging": ["stg_online_retail__invoice_lines"],
    "classify + lines": ["invoice_line_quarantine", "invoice_lines", "invoice_line_accounting"],
    "features + RFM": ["invoice_customer_features", "invoice_rfm_scores"],
    "ML fit + scoring": [
        "invoice_customer_segments",
        "invoice_segment_centroids",
        "invoice_cluster_personas",
    ],
    "persona marts": [
        "invoice_customer_personas",
        "invoice_persona_profiles",
        "invoice_persona_rfm_crosstab",
    ],
    "publish (all tables)": ["published_warehouse"],
}


def synthetic_file(lines: int) -> Path:
    path = ROOT / "data" / "generated" / f"invoices_{lines}.csv"
    if not path.exists():
        write_invoices(path, lines, seed=0)
    return path


def stage_seconds(run_results: Path) -> dict[str, float]:
    timings = {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in json.loads(run_results.read_text())["results"]
    }
    return {stage: round(sum(timings.get(n, 0.0) for n in nodes), 1) for stage, nodes in STAGES.items()}


def run(lines: int, skip_baseline: bool) -> dict[str, object]:
    path = synthetic_file(lines)
    with tempfile.TemporaryDirectory(prefix=f"bench_invoices_{lines}_") as workdir:
        work = Path(workdir)
        env = {
            **os.environ,
            "SMARTCART_DUCKDB_PATH": str(work / "warehouse.duckdb"),
            "SMARTCART_ARTIFACTS_DIR": str(work / "artifacts"),
            "SMARTCART_REPORTS_DIR": str(work / "reports"),
            "DBT_TARGET_PATH": str(work / "target"),
            "DBT_LOG_PATH": str(work / "logs"),
        }
        dbt = str(Path(sys.executable).parent / "dbt")
        command = [dbt, "build", "--vars", json.dumps({"invoices_file": str(path)})]
        ours = measure(command, env=env, cwd=str(ROOT), log_path=str(work / "dbt_build.log"))
        if ours.returncode != 0:
            print((work / "dbt_build.log").read_text()[-3000:])
            raise SystemExit(f"dbt build failed at {lines:,} lines")
        stages = stage_seconds(work / "target" / "run_results.json")
    result: dict[str, object] = {
        "lines": lines,
        "file_mib": round(path.stat().st_size / 2**20),
        "dbt_build_seconds": round(ours.seconds, 1),
        "dbt_build_peak_gib": round(ours.peak_gib, 2),
        "stage_seconds": stages,
    }
    if not skip_baseline:
        baseline = measure([sys.executable, str(ROOT / "bench" / "invoices_notebook_baseline.py"), str(path)])
        result["notebook_seconds"] = round(baseline.seconds, 1)
        result["notebook_peak_gib"] = round(baseline.peak_gib, 2)
        result["time_ratio"] = round(ours.seconds / baseline.seconds, 2)
        result["memory_ratio"] = round(ours.peak_rss_bytes / baseline.peak_rss_bytes, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, nargs="+", default=[5_000_000])
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    results = [run(lines, args.skip_baseline) for lines in args.lines]
    for r in results:
        print(
            f"\n{r['lines']:,} lines ({r['file_mib']} MiB): dbt build {r['dbt_build_seconds']} s, "
            f"peak {r['dbt_build_peak_gib']} GiB; notebook {r.get('notebook_seconds', '-')} s, "
            f"peak {r.get('notebook_peak_gib', '-')} GiB; time x {r.get('time_ratio', '-')}, "
            f"memory x {r.get('memory_ratio', '-')}"
        )
        for stage, seconds in r["stage_seconds"].items():
            print(f"  {stage:<22} {seconds:>6} s")
    out = ROOT / "reports" / "bench" / "invoices.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count()}, "results": results}, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
