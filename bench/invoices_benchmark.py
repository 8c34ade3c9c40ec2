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

from measure import against_baseline, dbt_build, measure, stage_seconds  # noqa: E402

from ml.synthetic.invoices import write_invoices  # noqa: E402

STAGES = {
    "gate + staging": ["stg_online_retail__invoice_lines"],
    "classify + lines": ["invoice_line_quarantine", "invoice_lines", "invoice_line_accounting"],
    "features + RFM": ["invoice_customer_features", "invoice_rfm_scores"],
    # The fit serves every segmentation (its time includes the other sources' fits).
    "fit (all segmentations)": ["segmentation_fit_samples", "segmentation_fits"],
    "SQL scoring + persona marts": ["invoice_customer_personas", "invoice_persona_rfm_crosstab"],
    "publish (all tables)": ["published_warehouse"],
}


def synthetic_file(lines: int) -> Path:
    path = ROOT / "data" / "generated" / f"invoices_{lines}.csv"
    if not path.exists():
        write_invoices(path, lines, seed=0)
    return path


def run(lines: int, skip_baseline: bool) -> dict[str, object]:
    path = synthetic_file(lines)
    with tempfile.TemporaryDirectory(prefix=f"bench_invoices_{lines}_") as workdir:
        work = Path(workdir)
        ours = dbt_build(ROOT, work, {"invoices_file": str(path)})
        stages = stage_seconds(work / "target" / "run_results.json", STAGES)
    result: dict[str, object] = {
        "lines": lines,
        "file_mib": round(path.stat().st_size / 2**20),
        "dbt_build_seconds": round(ours.seconds, 1),
        "dbt_build_peak_gib": round(ours.peak_gib, 2),
        "stage_seconds": stages,
    }
    if not skip_baseline:
        baseline = measure([sys.executable, str(ROOT / "bench" / "invoices_notebook_baseline.py"), str(path)])
        result.update(against_baseline(ours, baseline))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
