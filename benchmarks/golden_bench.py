"""Golden-record benchmark: survivorship build and publish into SQLite at national volume.

For each size: a synthetic nation is generated and run through the pipeline (not timed,
reused when present), linked (``ndc.link`` when importable, else exact identifier matches,
timed apart), then a fresh process times: the first build, the first publish into an empty
SQLite store, a rebuild and a re-publish with nothing changed, and a build + publish after 1,000
people's phones changed in the register. Peak RSS is that process's. Writes
benchmarks/results/golden.json.

    python benchmarks/golden_bench.py --sizes 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "golden.json"

CHILD = """
import json, sys, time
from pathlib import Path
from ndc.golden import build_golden, publish
from ndc.pipeline.store import connect
from ndc.store.engine import create_store_engine

data_dir = Path(sys.argv[1])
store = data_dir / "golden-bench.sqlite3"
for p in data_dir.glob("golden-bench.sqlite3*"):
    p.unlink()
con = connect(data_dir)
for t in ("golden_values", "golden_entities", "golden_history", "golden_published",
          "golden_inputs", "golden_meta"):
    con.execute(f"DROP TABLE IF EXISTS {t}")
con.close()
engine = create_store_engine(f"sqlite:///{store}")
out = {}

def timed(name, fn):
    t = time.perf_counter()
    r = fn()
    s = round(time.perf_counter() - t, 2)
    out[name] = {"s": s, **r.model_dump(exclude={"run_id", "seconds"})}

timed("build", lambda: build_golden(data_dir, "bench-build-1"))
timed("publish", lambda: publish(data_dir, engine, "bench-publish-1"))
timed("rebuild_unchanged", lambda: build_golden(data_dir, "bench-build-2"))
timed("republish_unchanged", lambda: publish(data_dir, engine, "bench-publish-2"))
con = connect(data_dir)
load = f"bench-phones-{time.time_ns()}"
con.execute("INSERT INTO runs (run_id, source_id, started_at, status) "
            "VALUES (?, 'population', now(), 'ok')", [load])
con.execute(\"\"\"UPDATE std_population
               SET phone = CASE WHEN phone LIKE '09%' THEN '08' ELSE '09' END
                           || right(person_id, 8),
                  _load_id = ?
               WHERE _record_key IN (SELECT _record_key FROM std_population
                                     WHERE phone IS NOT NULL ORDER BY _record_key LIMIT 1000)\"\"\",
            [load])
con.close()
timed("build_1000_changed", lambda: build_golden(data_dir, "bench-build-3"))
timed("publish_1000_changed", lambda: publish(data_dir, engine, "bench-publish-3"))
out["store_mb"] = round(store.stat().st_size / 2**20)
engine.dispose()
print(json.dumps(out))
"""


def _prepare(size: int, seed: int, work: Path, links: str) -> tuple[Path, dict[str, object]]:
    """Nation, pipeline and links for one size; returns the data dir and how it was linked."""
    data_dir = work / f"n{size}"
    synth = data_dir / "synth"
    if not (synth / "manifest.json").exists():
        from ndc.synth import SynthConfig, generate

        print(f"generating {size:,} citizens ...", flush=True)
        generate(SynthConfig(citizens=size, seed=seed, out=synth))
    if not (data_dir / "pipeline.duckdb").exists():
        from ndc.pipeline.service import run_pipeline
        from ndc.sources.service import load_configs

        print(f"pipeline for {size:,} citizens ...", flush=True)
        run_pipeline(data_dir, load_configs(data_dir))
    use_link = links == "ndc.link" or (
        links == "auto" and importlib.util.find_spec("ndc.link") is not None
    )
    started = time.perf_counter()
    method = "exact identifier"
    if use_link:
        try:
            from ndc.link import link_sources

            link_sources(data_dir)
            method = "ndc.link"
        except Exception as exc:  # an unfinished linker must not stop the benchmark
            if links == "ndc.link":
                raise
            print(f"ndc.link failed ({exc}); falling back to exact links", flush=True)
    if method != "ndc.link":
        from ndc.golden import build_exact_links

        build_exact_links(data_dir)
    return data_dir, {"links": method, "link_s": round(time.perf_counter() - started, 1)}


def run_size(size: int, seed: int, work: Path, links: str) -> dict[str, object]:
    data_dir, linked = _prepare(size, seed, work, links)
    print(f"golden build + publish for {size:,} citizens ...", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        sys.exit(f"golden benchmark failed for {size:,}:\n{proc.stderr}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(
        citizens=size,
        **linked,
        peak_rss_mb=round(max(peak_kib, before) / 1024),
        load_average_1min=round(os.getloadavg()[0], 2),
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ndc-bench")
    parser.add_argument(
        "--links",
        choices=["auto", "exact", "ndc.link"],
        default="auto",
        help="auto: ndc.link if importable, else exact identifier links",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    runs = [run_size(size, args.seed, args.work, args.links) for size in args.sizes]
    doc = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "target": "publish of 1,000,000 persons well under 60 s on SQLite (2 cores)",
        "runs": runs,
    }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    cols = ("build", "publish", "rebuild_unchanged", "republish_unchanged",
            "build_1000_changed", "publish_1000_changed")  # fmt: skip
    print(f"\n{'citizens':>10} {'records':>9} " + " ".join(f"{c:>12.12}" for c in cols)
          + f" {'peak MB':>8} {'store MB':>8}  links")  # fmt: skip
    for r in runs:
        steps: dict[str, dict[str, float]] = {c: r[c] for c in cols}  # type: ignore[misc]
        print(
            f"{r['citizens']:>10,} {steps['publish']['written']:>9,.0f} "
            + " ".join(f"{steps[c]['s']:>11.1f}s" for c in cols)
            + f" {r['peak_rss_mb']:>8,} {r['store_mb']:>8,}  {r['links']}"
        )
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
