"""Benchmark ``ndc synth``: wall time and peak memory for several population sizes.

Each size runs in its own subprocess, so peak RSS is that run's alone (``ru_maxrss`` of the
child). Writes ``benchmarks/results/synth.json`` and prints a table with rows per second.

    .venv/bin/python benchmarks/synth_bench.py --sizes 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "synth.json"
CHILD = """
import json, sys
from pathlib import Path
from ndc.synth import SynthConfig, generate
s = generate(SynthConfig(citizens=int(sys.argv[1]), seed=int(sys.argv[2]), out=Path(sys.argv[3])))
rows = s.citizens + s.enterprises + sum(x.rows for x in s.sources)
print(json.dumps({"rows": rows, "source_rows": sum(x.rows for x in s.sources),
                  "truth_rows": s.truth_rows, "inner_seconds": s.seconds}))
"""


def run(size: int, seed: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="ndc-synth-bench-") as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(size), str(seed), tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        size_bytes = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if peak_kb <= before:  # an earlier, larger child set the maximum: not comparable
        peak_kb = -1
    return {
        "citizens": size,
        "rows_written": info["rows"],
        "source_rows": info["source_rows"],
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb > 0 else None,
        "rows_per_second": round(info["rows"] / wall),
        "output_mb": round(size_bytes / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=20251)
    args = parser.parse_args()
    results = []
    # ascending order: the children's maximum RSS is then the current child's peak
    for size in sorted(args.sizes):
        r = run(size, args.seed)
        results.append(r)
        print(
            f"{r['citizens']:>10,} citizens  {r['rows_written']:>10,} rows  "
            f"{r['wall_seconds']:>7.1f} s  {r['rows_per_second']:>9,} rows/s  "
            f"peak {r['peak_rss_mb']} MB  out {r['output_mb']} MB",
            flush=True,
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "synth",
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "results": results,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
