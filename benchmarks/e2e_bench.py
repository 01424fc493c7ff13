"""End-to-end benchmark: ingest -> standardise -> validate -> link -> golden -> publish.

For each size the synthetic nation is generated first (not timed; reused when already there),
then the whole chain runs in a fresh process on an empty data directory (only the synthetic
files kept) with the embedded default store (SQLite + DuckDB). Wall time per step, peak memory
(RSS of that process) and the counts of each step are recorded. Writes
benchmarks/results/e2e.json and prints a table.

    python benchmarks/e2e_bench.py --sizes 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import nation, write_results

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "e2e.json"
TARGET = "ingest -> publish at 1,000,000 citizens in <= 300 s with <= 8 GB peak memory"

CHILD = """
import json, sys
from pathlib import Path
from ndc.pipeline.chain import run_chain
from ndc.sources.service import load_configs
data_dir = Path(sys.argv[1])
url = f"sqlite:///{(data_dir / 'ndc.sqlite3').resolve()}"
r = run_chain(data_dir, url, load_configs(data_dir))
link = r.link
print(json.dumps({
    "ok": r.ok,
    "rows_read": r.rows_read,
    "accepted": sum(x.accepted for x in r.runs),
    "quarantined": sum(x.quarantined_total for x in r.runs),
    "all_reconciled": all(x.reconciled for x in r.runs),
    "steps_s": r.timings,
    "link": {
        "linked": sum(s.linked for s in link.sources) if link else None,
        "review": sum(s.review for s in link.sources) if link else None,
        "unmatched": sum(s.unmatched for s in link.sources) if link else None,
        "splink_residue": link.residue if link else None,
    },
    "golden_entities": r.golden.entities if r.golden else None,
    "published": r.published.written if r.published else None,
    "events": r.published.events if r.published else None,
}))
"""


def _fresh(data_dir: Path) -> None:
    """Everything but the synthetic files goes: each run starts from nothing."""
    for path in data_dir.iterdir():
        if path.name == "synth":
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def run_size(size: int, seed: int, work: Path) -> dict[str, object]:
    data_dir = nation(size, seed, work)
    _fresh(data_dir)
    print(f"running the chain on {size:,} citizens ...", flush=True)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"chain failed at {size:,} citizens:\n{proc.stderr[-4000:]}")
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    steps = result["steps_s"]
    result.update(
        citizens=size,
        wall_s=round(sum(steps.values()), 1),
        process_s=round(wall, 1),
        peak_rss_mb=round(peak_kib / 1024),
        load_average_1min=round(os.getloadavg()[0], 2),
        steps_s={k: round(v, 1) for k, v in steps.items()},
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ndc-e2e")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # Peak RSS of children is a high-water mark over all of them: one size per process tree
    # would be cleaner, so sizes run smallest first and each figure is the peak so far.
    runs = [run_size(size, args.seed, args.work) for size in sorted(args.sizes)]
    write_results(RESULTS, TARGET, runs)
    print(f"\n{'citizens':>10} {'rows read':>10} {'total s':>8} {'peak MB':>8}  steps (s)")
    for r in runs:
        steps = ", ".join(f"{k} {v}" for k, v in r["steps_s"].items())  # type: ignore[attr-defined]
        print(
            f"{r['citizens']:>10,} {r['rows_read']:>10,} {r['wall_s']:>8} "
            f"{r['peak_rss_mb']:>8,}  {steps}"
        )
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
