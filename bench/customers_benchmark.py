"""Benchmark: the full `dbt build` on N synthetic customers against the usual notebook method.

    python bench/customers_benchmark.py --rows 100000 1000000

For each size: generates the file (cached under data/generated/), runs a cold `dbt build` (fresh warehouse,
artifacts and dbt target folder) in a subprocess, runs bench/notebook_baseline.py on the same file, and
prints wall time and peak memory (RSS of the whole process tree, sampled every 20 ms). It then measures
how well fitting on a sample assigns everyone: the adjusted Rand index between the build's labels and a
K-Means fitted on every row (same k, same preprocessing). Results also go to reports/bench/customers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import against_baseline, dbt_build, measure  # noqa: E402

from ml.engine.artifacts import ArtifactPaths, load_model  # noqa: E402
from ml.engine.preprocessing import model_inputs  # noqa: E402
from ml.project import registry  # noqa: E402
from ml.synthetic.customers import generate_customers, write_customers  # noqa: E402


def synthetic_file(rows: int) -> Path:
    path = ROOT / "data" / "generated" / f"customers_{rows}.tsv"
    if not path.exists():
        write_customers(generate_customers(rows, seed=0), path)
    return path


def assignment_quality(database: Path, artifacts: Path) -> dict[str, float]:
    """ARI between the build's labels (fit on a sample) and K-Means fitted on all fitted rows."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    config = registry().get("customers").config
    with duckdb.connect(str(database), read_only=True) as connection:
        version, sha256 = connection.execute(
            "select model_version, artifact_sha256 from segmentation_models "
            "where segmentation_name = 'customers' and is_active_model"
        ).fetchone()
        features = connection.execute("select * from customer_features order by customer_id").df()
        ours = connection.execute("select cluster_id from customer_personas order by customer_id").df()
    model, sidecar = load_model(ArtifactPaths.for_model(artifacts, "customers", version), sha256)
    fitted = ~features["is_excluded_from_fit"].to_numpy()
    points = model.project(model_inputs(features, config.numeric_features, config.categorical_features))[fitted]
    full = KMeans(n_clusters=model.n_clusters_, n_init=10, random_state=model.random_state).fit(points)
    return {
        "k": int(model.n_clusters_),
        "fit_sample_rows": int(sidecar["metrics"]["rows_fitted"]),
        "rows_compared": int(fitted.sum()),
        "ari_sample_fit_vs_full_fit": float(adjusted_rand_score(ours["cluster_id"].to_numpy()[fitted], full.labels_)),
    }


def run(rows: int, skip_baseline: bool) -> dict[str, object]:
    path = synthetic_file(rows)
    with tempfile.TemporaryDirectory(prefix=f"bench_{rows}_") as workdir:
        work = Path(workdir)
        dbt_vars = {"customers_file": str(path)}
        ours = dbt_build(ROOT, work, dbt_vars)
        quality = assignment_quality(work / "warehouse.duckdb", work / "artifacts")
        # A second build in the same place: what an analytics engineer sees on a rebuild (dbt's partial
        # parsing reuses target/, the warehouse file exists). Same data, so the same labels.
        warm = dbt_build(ROOT, work, dbt_vars, "dbt_build_warm.log")
    result: dict[str, object] = {
        "rows": rows,
        "dbt_build_seconds": round(ours.seconds, 1),
        "dbt_build_peak_gib": round(ours.peak_gib, 2),
        "dbt_rebuild_seconds": round(warm.seconds, 1),
        **quality,
    }
    if not skip_baseline:
        baseline = measure([sys.executable, str(ROOT / "bench" / "notebook_baseline.py"), str(path)])
        result.update(against_baseline(ours, baseline))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    results = [run(rows, args.skip_baseline) for rows in args.rows]
    print(
        f"\n{'rows':>10} {'dbt build s':>12} {'peak GiB':>9} {'notebook s':>11} {'peak GiB':>9} "
        f"{'time x':>7} {'mem x':>6} {'ARI sample vs full':>19}"
    )
    for r in results:
        print(
            f"{r['rows']:>10,} {r['dbt_build_seconds']:>12} {r['dbt_build_peak_gib']:>9} "
            f"{r.get('notebook_seconds', '-'):>11} {r.get('notebook_peak_gib', '-'):>9} "
            f"{r.get('time_ratio', '-'):>7} {r.get('memory_ratio', '-'):>6} "
            f"{r['ari_sample_fit_vs_full_fit']:>19.3f}"
        )
    out = ROOT / "reports" / "bench" / "customers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"machine": {"cpus": os.cpu_count()}, "numpy": np.__version__, "results": results}, indent=2)
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
