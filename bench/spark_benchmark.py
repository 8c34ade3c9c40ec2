"""Benchmark: the whole build on local Spark against the DuckDB build of the same files (issue 11).

    python bench/spark_benchmark.py --events 10000000
    python bench/spark_benchmark.py --events 10000000 --one-more-day

Side by side in one run, on the synthetic month of daily CSV files of bench/clickstream_benchmark.py (31
files, seed 0, cached under data/generated/; the other sources stay the bundled samples):

- a cold `dbt build` on DuckDB (the default target);
- a cold build on the spark target, the four steps of `smartcart run --target spark` (ml/apps/
  spark_build.py: dbt up to the fits, the fits in Python through Spark, dbt after the fits, publishing), local Spark
  in local[*] mode on this machine's cores;

each with its wall time and peak memory (RSS of the whole process tree, the JVM included), the clickstream
stages from dbt's run_results.json, and the same-answers check: every clickstream user's persona on both.

--one-more-day measures instead the incremental clickstream partials on Spark (issue 16's one-more-day goal,
as bench/clickstream_benchmark.py measures it on DuckDB): a cold build of the clickstream models (dbt-spark,
`--select +clickstream_customer_features`, with their tests) on the first 30 days, then the same build after
the 31st day's file arrives, and the clickstream stages of that build against the cold build's.
Results go to reports/bench/spark.json (or --out); docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clickstream_benchmark import FEATURE_STAGES, events_folder  # noqa: E402
from measure import dbt_build, isolated_env, measure, stage_seconds  # noqa: E402


def spark_env(work: Path) -> dict[str, str]:
    """The isolated environment of a build in ``work``, with its own Spark warehouse and metastore."""
    return {**isolated_env(work), "SMARTCART_SPARK_WAREHOUSE": str(work / "spark-warehouse")}


def spark_build(work: Path, dbt_vars: dict) -> tuple[float, float, dict[str, float]]:
    """The four Spark steps, measured as one process tree; seconds, peak GiB, clickstream stage seconds."""
    env = spark_env(work)
    script = f"import sys\nfrom ml.apps.spark_build import build\nsys.exit(build([], {dbt_vars!r}))\n"
    log = work / "spark_build.log"
    result = measure([sys.executable, "-c", script], env=env, cwd=str(ROOT), log_path=str(log))
    if result.returncode != 0:
        print(log.read_text()[-3000:])
        raise SystemExit("the Spark build failed")
    # Step 1 builds the clickstream stages; its run_results are kept beside step 3's.
    stages = stage_seconds(work / "target" / "spark" / "run_results_step1.json", FEATURE_STAGES)
    return result.seconds, result.peak_gib, stages


def spark_clickstream_build(work: Path, dbt_vars: dict) -> tuple[float, float, dict[str, float]]:
    """`dbt build --target spark` of the clickstream models and their tests, measured; seconds, peak GiB,
    clickstream stage seconds."""
    from ml.apps.dbt_runner import dbt_command

    env = spark_env(work)
    command = dbt_command(["build", "--target", "spark", "--select", "+clickstream_customer_features"], dbt_vars, ROOT)
    log = work / "dbt_build.log"
    result = measure(command, env=env, cwd=str(ROOT), log_path=str(log))
    if result.returncode != 0:
        print(log.read_text()[-3000:])
        raise SystemExit("the Spark build of the clickstream models failed")
    return result.seconds, result.peak_gib, stage_seconds(work / "target" / "run_results.json", FEATURE_STAGES)


def one_more_day(events: int) -> dict[str, object]:
    """The clickstream models on Spark: a cold build of the first 30 days, then the build after the 31st."""
    files = sorted(events_folder(events, "csv").glob("*.csv"))
    with tempfile.TemporaryDirectory(prefix="bench_spark_day_") as work_dir:
        work = Path(work_dir)
        landing = work / "landing"
        landing.mkdir()
        for path in files[:-1]:
            (landing / path.name).symlink_to(path)
        dbt_vars = {"events_path": str(landing / "*.csv")}
        build = work / "build"
        build.mkdir()
        cold_seconds, cold_gib, cold = spark_clickstream_build(build, dbt_vars)
        (landing / files[-1].name).symlink_to(files[-1])
        day_seconds, day_gib, day = spark_clickstream_build(build, dbt_vars)
        cold_stages, day_stages = round(sum(cold.values()), 1), round(sum(day.values()), 1)
        return {
            "events": events,
            "history_30_days_build_seconds": round(cold_seconds, 1),
            "history_30_days_peak_gib": round(cold_gib, 2),
            "history_30_days_clickstream_stages": cold,
            "history_30_days_clickstream_stage_seconds": cold_stages,
            "one_more_day_build_seconds": round(day_seconds, 1),
            "one_more_day_peak_gib": round(day_gib, 2),
            "one_more_day_clickstream_stages": day,
            "one_more_day_clickstream_stage_seconds": day_stages,
            "one_more_day_share": round(day_stages / cold_stages, 3),
        }


def same_personas(duckdb_work: Path, spark_work: Path) -> dict[str, int]:
    members = spark_work / "spark-warehouse" / "smartcart.db" / "clickstream_customer_personas" / "*.parquet"
    with duckdb.connect(str(duckdb_work / "warehouse.duckdb"), read_only=True) as connection:
        users, same = connection.execute(
            f"""
            select count(*), count(*) filter (where spark.persona_id = duck.persona_id)
            from clickstream_customer_personas as duck
            left join read_parquet('{members}') as spark on spark.user_id = duck.user_id
            """
        ).fetchall()[0]
    return {"users": users, "same_persona": same}


def run(events: int) -> dict[str, object]:
    folder = events_folder(events, "csv")
    dbt_vars = {"events_path": str(folder / "*.csv")}
    with tempfile.TemporaryDirectory(prefix="bench_spark_duckdb_") as duck_dir:
        with tempfile.TemporaryDirectory(prefix="bench_spark_spark_") as spark_dir:
            duck_work, spark_work = Path(duck_dir), Path(spark_dir)
            duck = dbt_build(ROOT, duck_work, dbt_vars)
            duck_stages = stage_seconds(duck_work / "target" / "run_results.json", FEATURE_STAGES)
            spark_seconds, spark_gib, spark_stages = spark_build(spark_work, dbt_vars)
            return {
                "events": events,
                "files": len(list(folder.glob("*.csv"))),
                "size_mib": round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20),
                "duckdb_seconds": round(duck.seconds, 1),
                "duckdb_peak_gib": round(duck.peak_gib, 2),
                "duckdb_clickstream_stages": duck_stages,
                "spark_seconds": round(spark_seconds, 1),
                "spark_peak_gib": round(spark_gib, 2),
                "spark_clickstream_stages": spark_stages,
                "spark_vs_duckdb_time": round(spark_seconds / duck.seconds, 2),
                "same_personas": same_personas(duck_work, spark_work),
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000])
    parser.add_argument(
        "--one-more-day",
        action="store_true",
        help="time the clickstream models on Spark: 30 days cold, then the build after the 31st day's file",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench" / "spark.json")
    args = parser.parse_args()
    results = []
    for events in args.events:
        result = one_more_day(events) if args.one_more_day else run(events)
        results.append(result)
        print(json.dumps(result, indent=2), flush=True)
        if args.one_more_day:
            share = result["one_more_day_share"]
            print(
                f"one more day on Spark: {result['one_more_day_clickstream_stage_seconds']} s of clickstream stages "
                f"against {result['history_30_days_clickstream_stage_seconds']} s cold: {share:.1%} "
                f"(goal at most 15%: {'met' if share <= 0.15 else 'missed'})",
                flush=True,
            )
    out = args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count()}, "results": results}, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
