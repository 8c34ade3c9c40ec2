"""Wall time and peak memory (RSS of the whole process tree) of a command."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    seconds: float
    peak_rss_bytes: int
    returncode: int

    @property
    def peak_gib(self) -> float:
        return self.peak_rss_bytes / 2**30


def measure(
    command: list[str], env: dict[str, str] | None = None, cwd: str | None = None, log_path: str | None = None
) -> Measurement:
    """Run ``command``, sampling the RSS of it and its children every 20 ms."""
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    started = time.perf_counter()
    process = psutil.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if log_path:
        log.close()
    return Measurement(seconds, peak, process.returncode)


# -- what every benchmark does around a measurement ---------------------------------------------------------
def isolated_env(work) -> dict[str, str]:
    """Environment for a dbt build whose warehouse, artifacts, reports and dbt target live in ``work``."""
    import os

    return {
        **os.environ,
        "SMARTCART_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "SMARTCART_ARTIFACTS_DIR": str(work / "artifacts"),
        "SMARTCART_REPORTS_DIR": str(work / "reports"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }


def dbt_build(root, work, dbt_vars: dict, log_name: str = "dbt_build.log", threads: int | None = None) -> Measurement:
    """`dbt build --vars ...` measured in a subprocess; stops the benchmark with the log tail if it fails.
    ``threads`` overrides the profile's (2) for this build only."""
    from ml.apps.dbt_runner import dbt_command

    command = dbt_command(["build", *(["--threads", str(threads)] if threads else [])], dbt_vars, root)
    result = measure(command, env=isolated_env(work), cwd=str(root), log_path=str(work / log_name))
    if result.returncode != 0:
        print((work / log_name).read_text()[-3000:])
        raise SystemExit(f"dbt build failed with vars {dbt_vars}")
    return result


def stage_seconds(run_results, stages: dict[str, list[str]]) -> dict[str, float]:
    """Seconds per stage (a list of dbt nodes each) from dbt's run_results.json."""
    import json

    timings = {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in json.loads(run_results.read_text())["results"]
    }
    return {stage: round(sum(timings.get(n, 0.0) for n in nodes), 1) for stage, nodes in stages.items()}


def against_baseline(ours: Measurement, baseline: Measurement) -> dict[str, float]:
    """The notebook's figures and our ratios to them, as every benchmark reports them."""
    return {
        "notebook_seconds": round(baseline.seconds, 1),
        "notebook_peak_gib": round(baseline.peak_gib, 2),
        "time_ratio": round(ours.seconds / baseline.seconds, 2),
        "memory_ratio": round(ours.peak_rss_bytes / baseline.peak_rss_bytes, 2),
    }
