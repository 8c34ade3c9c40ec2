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
