"""Integration pipeline benchmark: ingest + standardise + validate of every synthetic source.

For each size the synthetic nation is generated first (not timed), then the pipeline runs in a
fresh process on an empty pipeline database; wall time, peak memory (RSS of that process) and
the time of each step summed over sources are recorded. Writes benchmarks/results/pipeline.json.

    python benchmarks/pipeline_bench.py --sizes 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import nation, write_results

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "pipeline.json"
TARGET = "ingest + standardise + validate >= 50,000 rows/s, peak memory <= 6 GB"

CHILD = """
import json, sys, time
from pathlib import Path
from ndc.pipeline.service import run_pipeline
from ndc.sources.service import load_configs
data_dir = Path(sys.argv[1])
started = time.perf_counter()
reports = run_pipeline(data_dir, load_configs(data_dir))
wall = time.perf_counter() - started
steps = {}
for r in reports:
    for k, v in r.timings.items():
        steps[k] = steps.get(k, 0.0) + v
print(json.dumps({
    "wall_s": wall,
    "rows_read": sum(r.rows_read for r in reports),
    "accepted": sum(r.accepted for r in reports),
    "quarantined": sum(r.quarantined_total for r in reports),
    "all_reconciled": all(r.reconciled and r.status == "ok" for r in reports),
    "steps_s": steps,
    "sources": {r.source_id: {"rows_read": r.rows_read, "seconds": round(r.seconds, 2)}
                for r in reports},
}))
"""


def run_size(size: int, seed: int, work: Path) -> dict[str, object]:
    data_dir = nation(size, seed, work)
    for leftover in data_dir.glob("pipeline.duckdb*"):
        leftover.unlink()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(
        citizens=size,
        process_s=round(elapsed, 1),
        rows_per_s=round(result["rows_read"] / result["wall_s"]),
        peak_rss_mb=round(max(peak_kib, before) / 1024),
        load_average_1min=round(os.getloadavg()[0], 2),
    )
    result["wall_s"] = round(result["wall_s"], 1)
    result["steps_s"] = {k: round(v, 1) for k, v in result["steps_s"].items()}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ndc-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    runs = [run_size(size, args.seed, args.work) for size in args.sizes]
    write_results(RESULTS, TARGET, runs)
    print(f"\n{'citizens':>10} {'rows read':>10} {'wall s':>8} {'rows/s':>8} {'peak MB':>8}  steps")
    for r in runs:
        steps = ", ".join(f"{k} {v}" for k, v in r["steps_s"].items())  # type: ignore[attr-defined]
        print(
            f"{r['citizens']:>10,} {r['rows_read']:>10,} {r['wall_s']:>8} {r['rows_per_s']:>8,} "
            f"{r['peak_rss_mb']:>8,}  {steps}"
        )
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
