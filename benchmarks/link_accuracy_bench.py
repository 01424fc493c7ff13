"""Linking accuracy on the synthetic nation against its ground truth.

For each size: generate the nation and run the pipeline (not timed), then ``link_sources``
(timed, in this process), then compare ``links`` with ``truth/<source>.parquet``: precision,
recall and F1 of the person links overall, per source and per injected fault type (plus the
business register's legal representatives and the enterprise links). Records the pipeline
refused or quarantined are not linkable and are left out (their count is reported).
Writes benchmarks/results/link_accuracy.json.

    python benchmarks/link_accuracy_bench.py --sizes 20000 100000
    python benchmarks/link_accuracy_bench.py --sizes 1000000        # the national scale
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "link_accuracy.json"
#: truth file name -> pipeline source id
SOURCE_IDS = {"business_registration": "business_registry", "land_parcels": "land_registry"}

EVAL_SQL = """
CREATE OR REPLACE TEMP TABLE ev AS
SELECT t.source, t.entity, t.record_key, t.true_id, t.faults,
       l.status, l.target_id, l.method,
       (l.status = 'linked' AND l.target_id = t.true_id) AS tp,
       (l.status = 'linked' AND l.target_id <> t.true_id) AS fp
FROM truth t JOIN links l
  ON l.source_id = t.source AND l.record_key = t.record_key AND l.entity = t.entity
"""


def _load_truth(con: Any, synth: Path) -> None:
    parts = []
    for f in sorted((synth / "truth").glob("*.parquet")):
        sid = SOURCE_IDS.get(f.stem, f.stem)
        parts.append(
            f"SELECT '{sid}' AS source, entity_type AS entity, record_key, true_id, faults "
            f"FROM '{f}'"
        )
        if f.stem == "business_registration":
            parts.append(
                f"SELECT '{sid}', 'person', record_key, r.id, [] FROM "
                f"(SELECT record_key, unnest(related) AS r FROM '{f}') "
                "WHERE r.role = 'legal_representative'"
            )
    con.execute("CREATE OR REPLACE TEMP TABLE truth AS " + " UNION ALL ".join(parts))


def _prf(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, float]]:
    out = {}
    for key, n, tp, fp, review in rows:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / n if n else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[str(key)] = {
            "records": n,
            "tp": tp,
            "fp": fp,
            "review": review,
            "precision": round(p, 5),
            "recall": round(r, 5),
            "f1": round(f1, 5),
        }
    return out


def evaluate(data_dir: Path) -> dict[str, Any]:
    from ndc.pipeline.store import connect

    con = connect(data_dir)
    try:
        _load_truth(con, data_dir / "synth")
        con.execute(EVAL_SQL)
        agg = (
            "count(*), count(*) FILTER (tp), count(*) FILTER (fp), "
            "count(*) FILTER (status = 'review')"
        )
        person = "entity = 'person'"
        overall = con.execute(f"SELECT 'all', {agg} FROM ev WHERE {person}").fetchall()
        per_source = con.execute(
            f"SELECT source, {agg} FROM ev WHERE {person} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        per_fault = con.execute(
            f"SELECT f, {agg} FROM (SELECT *, unnest(faults) AS f FROM ev WHERE {person}) "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        clean = con.execute(f"SELECT 'none', {agg} FROM ev WHERE {person} AND len(faults) = 0")
        enterprise = con.execute(
            f"SELECT 'enterprise', {agg} FROM ev WHERE entity = 'enterprise'"
        ).fetchall()
        not_linkable = con.execute(
            "SELECT count(*) FROM truth t WHERE entity = 'person' AND NOT EXISTS (SELECT 1 FROM "
            "links l WHERE l.source_id = t.source AND l.record_key = t.record_key "
            "AND l.entity = 'person')"
        ).fetchall()[0][0]
        return {
            "overall": _prf(overall)["all"],
            "per_source": _prf(per_source),
            "per_fault": {**_prf(per_fault), **_prf(clean.fetchall())},
            "enterprise": _prf(enterprise)["enterprise"],
            "not_linkable_person_records": not_linkable,
        }
    finally:
        con.close()


def run_size(size: int, seed: int, work: Path) -> dict[str, Any]:
    from ndc.link.national import link_sources
    from ndc.pipeline.service import run_pipeline
    from ndc.sources.service import load_configs
    from ndc.synth import SynthConfig, generate

    data_dir = work / f"n{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    generate(SynthConfig(citizens=size, seed=seed, out=data_dir / "synth"))
    run_pipeline(data_dir, load_configs(data_dir))
    started = time.perf_counter()
    report = link_sources(data_dir)
    wall = time.perf_counter() - started
    second = link_sources(data_dir)  # incremental re-run: nothing changed, nothing relinked
    result = {
        "citizens": size,
        "link_wall_s": round(wall, 2),
        "timings_s": {k: round(v, 2) for k, v in report.timings.items()},
        "residue": report.residue,
        "records_linked": sum(c.records for c in report.sources),
        "rerun_wall_s": round(second.seconds, 2),
        "rerun_relinked": sum(c.linked_this_run for c in second.sources),
        **evaluate(data_dir),
    }
    return result


def _print(results: list[dict[str, Any]]) -> None:
    for r in results:
        print(
            f"\n== {r['citizens']:,} citizens: linking {r['link_wall_s']} s "
            f"(residue {r['residue']:,}; re-run {r['rerun_wall_s']} s, "
            f"{r['rerun_relinked']:,} relinked)"
        )
        print(f"{'':28} {'records':>9} {'precision':>9} {'recall':>8} {'F1':>8} {'review':>7}")
        rows = [("OVERALL (persons)", r["overall"]), ("enterprises", r["enterprise"])]
        rows += [(f"source {k}", v) for k, v in r["per_source"].items()]
        rows += [(f"fault {k}", v) for k, v in r["per_fault"].items()]
        for name, m in rows:
            print(
                f"{name:28} {m['records']:>9,} {m['precision']:>9.4f} {m['recall']:>8.4f} "
                f"{m['f1']:>8.4f} {m['review']:>7,}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=None, help="keep the data here")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ndc-link-acc-"))
    results = [run_size(s, args.seed, work) for s in args.sizes]
    _print(results)
    payload = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg": os.getloadavg(),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": sys.version.split()[0],
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
