"""Load test of the scoring API: real HTTP on localhost, the server in its own process.

    python bench/api_benchmark.py [--db data/warehouse/smartcart.duckdb] [--workers 1]

Needs a published warehouse (`make run` builds one from the bundled data). Starts `smartcart serve` on a
free port, then from this process, at a concurrency of 8 (eight threads, each with its own keep-alive
connection):
  - 1,000 requests of one customer record each (rows of the bundled SmartCart export, raw columns):
    latency percentiles, goal p99 <= 20 ms;
  - 100 requests of 1,000 customer records each: records per second, goal >= 20,000.
Both the server and this client run on the same machine, so the client's own CPU time counts against the
server's: the figures are a floor of what a separate client machine would see. Results also go to
reports/bench/api.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml import project  # noqa: E402
from ml.apps.api.records import records_from_file  # noqa: E402

CONCURRENCY = 8
SINGLE_REQUESTS = 1_000
BATCHES, BATCH_SIZE = 100, 1_000
P99_GOAL_MS, THROUGHPUT_GOAL = 20.0, 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, database: str | None, workers: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "smartcart"), "serve", "--port", str(port), "--workers", str(workers)]
    if database:
        command += ["--db", database]
    env = {k: v for k, v in os.environ.items() if k != "SMARTCART_API_TOKEN"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            response = connection.getresponse()
            body = json.loads(response.read())
            if response.status == 200:
                return process
            raise SystemExit(f"the server is not ready: {body}")
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within 60 s")


def run_load(port: int, bodies: list[bytes]) -> tuple[list[float], float]:
    """Send every body once at CONCURRENCY; latencies in ms and the wall time in s."""
    local = threading.local()
    latencies: list[float] = []

    def send(body: bytes) -> None:
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.perf_counter()
        local.connection.request("POST", "/v1/score/customers", body, {"Content-Type": "application/json"})
        response = local.connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(send, bodies))
    return latencies, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="published warehouse (default: SMARTCART_DUCKDB_PATH or data/warehouse)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    path = ROOT / project.project_vars()["customers_file"]
    records = records_from_file(project.registry().get("customers"), str(path))
    port = free_port()
    server = start_server(port, args.db, args.workers)
    try:
        singles = [json.dumps({"records": [records[i % len(records)]]}).encode() for i in range(SINGLE_REQUESTS)]
        batches = [
            json.dumps({"records": [records[(b * BATCH_SIZE + i) % len(records)] for i in range(BATCH_SIZE)]}).encode()
            for b in range(BATCHES)
        ]
        run_load(port, singles[:100] + batches[:4])  # warm-up: connections, first requests
        single_latencies, single_wall = run_load(port, singles)
        batch_latencies, batch_wall = run_load(port, batches)
    finally:
        server.terminate()
        server.wait(timeout=30)

    throughput = BATCHES * BATCH_SIZE / batch_wall
    results = {
        "workers": args.workers,
        "concurrency": CONCURRENCY,
        "single": {
            "requests": SINGLE_REQUESTS,
            "p50_ms": statistics.median(single_latencies),
            "p95_ms": percentile(single_latencies, 0.95),
            "p99_ms": percentile(single_latencies, 0.99),
            "max_ms": max(single_latencies),
            "requests_per_s": SINGLE_REQUESTS / single_wall,
        },
        "batches": {
            "requests": BATCHES,
            "records_per_request": BATCH_SIZE,
            "p50_ms": statistics.median(batch_latencies),
            "p99_ms": percentile(batch_latencies, 0.99),
            "records_per_s": throughput,
        },
    }
    single = results["single"]
    print(f"scoring API, customers, {args.workers} worker(s), concurrency {CONCURRENCY}, on {os.cpu_count()} cores")
    print(
        f"  single records: {SINGLE_REQUESTS} requests, p50 {single['p50_ms']:.1f} ms, p95 {single['p95_ms']:.1f} ms, "
        f"p99 {single['p99_ms']:.1f} ms (goal <= {P99_GOAL_MS:.0f} ms: "
        f"{'met' if single['p99_ms'] <= P99_GOAL_MS else 'MISSED'}), {single['requests_per_s']:.0f} requests/s"
    )
    print(
        f"  batches: {BATCHES} x {BATCH_SIZE:,} records, p50 {results['batches']['p50_ms']:.0f} ms, "
        f"{throughput:,.0f} records/s (goal >= {THROUGHPUT_GOAL:,}: "
        f"{'met' if throughput >= THROUGHPUT_GOAL else 'MISSED'})"
    )
    out = ROOT / "reports" / "bench" / "api.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
