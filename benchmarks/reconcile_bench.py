"""Reconciliation report benchmark (``ndc reconcile report``): wall and CPU time, peak memory.

For each size a synthetic nation is generated, run through the pipeline and linked (none of it
timed); then the report runs in a fresh process. ``--replicate K`` also measures the report on
the same database with every std table and ``links`` copied K times (identifiers and record keys
prefixed by the copy number, so every join keeps its shape): a national-size input for this step
without running the pipeline at that size. Writes benchmarks/results/reconcile.json.

    python benchmarks/reconcile_bench.py --sizes 100000 --replicate 1 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "reconcile.json"
ID_COLUMNS = {
    "_record_key", "record_key", "target_id", "person_id", "old_id_number", "holder_id",
    "subject_id", "legal_representative_id", "tax_id", "mst", "employer_mst",
}  # fmt: skip

CHILD = """
import json, resource, sys, time
from pathlib import Path
from ndc.link.reconcile import reconcile

def main():
    started, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    results = reconcile(Path(sys.argv[1]))
    wall, r1 = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    steps = {}
    for r in results:
        for k, v in r.timings.items():
            steps[k] = round(steps.get(k, 0.0) + v, 2)
    print(json.dumps({
        "wall_s": round(wall, 2),
        "cpu_s": round(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, 2),
        "peak_rss_mb": r1.ru_maxrss // 1024,
        "records": sum(r.records for r in results),
        "finding_rows": sum(sum(r.findings.values()) for r in results),
        "steps_s": steps,
    }))

if __name__ == "__main__":
    main()
"""


def prepare(size: int, seed: int, data_dir: Path) -> None:
    """Synthetic nation -> pipeline -> linking, in ``data_dir`` (not timed)."""
    from ndc.link.national import link_sources
    from ndc.pipeline.service import run_pipeline
    from ndc.sources.service import load_configs
    from ndc.synth import SynthConfig, generate

    generate(SynthConfig(citizens=size, seed=seed, out=data_dir / "synth"))
    run_pipeline(data_dir, load_configs(data_dir))
    link_sources(data_dir)


def replicate(src: Path, dst: Path, k: int) -> None:
    """Copy the std tables and ``links`` of ``src`` K times into a new database in ``dst``."""
    import duckdb

    dst.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(dst / "pipeline.duckdb"))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH '{src / 'pipeline.duckdb'}' AS s (READ_ONLY)")
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 's' AND "
            "(table_name LIKE 'std\\_%' ESCAPE '\\' OR table_name = 'links')"
        ).fetchall()
        for (table,) in tables:
            cols = con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 's' AND "
                "table_name = ? ORDER BY column_index",
                [table],
            ).fetchall()
            exprs = [
                f'CASE WHEN "{c}" IS NULL THEN NULL ELSE r.range::VARCHAR || "{c}" END AS "{c}"'
                if c in ID_COLUMNS
                else f'"{c}"'
                for (c,) in cols
            ]
            select = f'SELECT {", ".join(exprs)} FROM s."{table}", range({k}) r'
            con.execute(f'CREATE TABLE "{table}" AS {select}')
    finally:
        con.close()


def measure(data_dir: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--replicate", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--seed", type=int, default=20251)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="ndc-reconcile-bench-") as tmp:
        for size in args.sizes:
            base = Path(tmp) / f"n{size}"
            started = time.perf_counter()
            prepare(size, args.seed, base)
            print(
                f"{size:,} citizens prepared in {time.perf_counter() - started:.0f} s", flush=True
            )
            for k in args.replicate:
                data_dir = base if k == 1 else Path(tmp) / f"n{size}x{k}"
                if k != 1:
                    replicate(base, data_dir, k)
                result = {"citizens": size * k, "base_citizens": size, "copies": k,
                          "load_average": os.getloadavg()[0], **measure(data_dir)}  # fmt: skip
                print(json.dumps(result), flush=True)
                runs.append(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
             "runs": runs},
            indent=2,
        ) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
