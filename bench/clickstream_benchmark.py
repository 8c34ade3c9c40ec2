"""Benchmark: clickstream events to personas at tens of millions of events, CSV and Parquet.

    python bench/clickstream_benchmark.py --events 10000000 50000000 --formats csv parquet

For each size and format: generates a multi-file synthetic month (ml/synthetic_events.py, 5 files, cached
under data/generated/), runs a cold `dbt build` of the whole project with events_path set to the glob
(the other sources stay the bundled samples), prints wall time, peak memory (RSS of the process tree) and
the time of each clickstream stage from dbt's run_results.json, and times a bare DuckDB aggregation over
the same files (one group-by per user: the floor for the feature stage). At the first size, CSV, it also
runs bench/clickstream_notebook_baseline.py (pandas + scikit-learn). Results: reports/bench/clickstream.json.
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

from ml.synthetic.events import write_events_at_scale  # noqa: E402

FILES = 5
STAGES = {
    "landing (read files)": ["raw_clickstream_events"],
    "staging (types, checks, duplicates)": ["stg_clickstream__events"],
    "features (sessions, funnel)": ["clickstream_customer_features"],
    "accounting + quarantine": ["clickstream_event_accounting", "clickstream_event_quarantine"],
    # The fit and the report serve every segmentation (their times include the other sources').
    "fit (all segmentations)": ["segmentation_fit_samples", "segmentation_fits"],
    "SQL scoring (members)": ["clickstream_customer_personas"],
    "report (all sections)": ["insights_report"],
    "publish (all tables)": ["published_warehouse"],
}
BARE_AGGREGATION = """
select user_id, count(*) as events, count(distinct user_session) as sessions,
       count(*) filter (where event_type = 'view') as views,
       count(*) filter (where event_type = 'cart') as carts,
       count(*) filter (where event_type = 'purchase') as purchases,
       sum(price) filter (where event_type = 'purchase') as revenue,
       max(event_time) as last_event, count(distinct product_id) as products
from {reader}
group by user_id
"""


def events_folder(events: int, file_format: str) -> Path:
    folder = ROOT / "data" / "generated" / f"events_{events}_{file_format}"
    if not folder.exists() or len(list(folder.glob(f"*.{file_format}"))) != FILES:
        write_events_at_scale(folder, events, files=FILES, seed=0, file_format=file_format)
    return folder


def bare_aggregation(pattern: str, file_format: str, work: Path) -> float:
    reader = f"read_parquet('{pattern}')" if file_format == "parquet" else f"read_csv('{pattern}')"
    script = work / "bare.py"
    script.write_text(
        "import duckdb\n"
        "connection = duckdb.connect()\n"
        "connection.execute(\"set memory_limit = '8GB'\")\n"
        f"connection.execute({BARE_AGGREGATION.format(reader=reader)!r}).fetch_arrow_table()\n"
    )
    return measure([sys.executable, str(script)]).seconds


def run(events: int, file_format: str, baseline: bool) -> dict[str, object]:
    folder = events_folder(events, file_format)
    pattern = str(folder / f"*.{file_format}")
    with tempfile.TemporaryDirectory(prefix=f"bench_clickstream_{events}_") as workdir:
        work = Path(workdir)
        ours = dbt_build(ROOT, work, {"events_path": pattern})
        stages = stage_seconds(work / "target" / "run_results.json", STAGES)
        bare = bare_aggregation(pattern, file_format, work)
    feature_stage = stages["landing (read files)"] + stages["staging (types, checks, duplicates)"]
    feature_stage += stages["features (sessions, funnel)"]
    result: dict[str, object] = {
        "events": events,
        "format": file_format,
        "files": FILES,
        "size_mib": round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20),
        "dbt_build_seconds": round(ours.seconds, 1),
        "dbt_build_peak_gib": round(ours.peak_gib, 2),
        "stage_seconds": stages,
        "bare_duckdb_aggregation_seconds": round(bare, 1),
        "feature_stage_seconds": round(feature_stage, 1),
        "feature_stage_vs_bare": round(feature_stage / bare, 2),
    }
    if baseline:
        notebook = measure([sys.executable, str(ROOT / "bench" / "clickstream_notebook_baseline.py"), pattern])
        result.update(against_baseline(ours, notebook))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000, 50_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    results = []
    for events in args.events:
        for file_format in args.formats:
            baseline = not args.skip_baseline and events == args.events[0] and file_format == "csv"
            result = run(events, file_format, baseline)
            results.append(result)
            print(json.dumps(result, indent=2), flush=True)
    out = ROOT / "reports" / "bench" / "clickstream.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count()}, "results": results}, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
