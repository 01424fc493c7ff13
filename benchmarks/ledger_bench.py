"""Ledger benchmark: append + integration throughput, integration latency, proof cost vs size.

    python benchmarks/ledger_bench.py [--max-size 10000000] [--append 1000000] [--database-url URL]

Throughput and latency go through the real API (``Ledger.append_many`` + ``integrate`` on
SQLite in a temporary data directory). For the proof sizes (10k ... 10M) the tile store is
built directly: synthetic leaf hashes go through the sequencer's own ``RightEdge`` and the
resulting tiles are bulk-inserted with a signed checkpoint, skipping only the entry rows,
which proofs never read. Proofs are then produced by ``Ledger.inclusion_proof`` /
``consistency_proof`` against that SQLite store with a cold tile cache (a fresh ``Ledger``
per size, as a new process), and verified. The tile store includes the private acceleration
nodes the sequencer writes next to each full tile.
Writes benchmarks/results/ledger.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, insert, tuple_, update

from ndc.ledger import merkle
from ndc.ledger.models import CheckpointRow, LedgerState, Tile, TileNodes
from ndc.ledger.note import Checkpoint, sign_checkpoint
from ndc.ledger.schemas import AccessEvent
from ndc.ledger.sequencer import Sequencer
from ndc.ledger.service import Ledger
from ndc.ledger.tiles import RightEdge
from ndc.ledger.verify import verify
from ndc.settings import Settings

console = Console()
RESULTS = Path(__file__).parent / "results" / "ledger.json"


def _settings(root: Path, name: str, database_url: str | None = None) -> Settings:
    return Settings(data_dir=root / name, demo=True, database_url=database_url)


def _events(lg: Ledger, n: int) -> list[AccessEvent]:
    refs = [lg.subject_ref(f"0{i:011d}") for i in range(1000)]
    return [
        AccessEvent(
            action="exchange:person:read",
            actor_member="BHXH",
            actor_client="claims-01",
            purpose="health insurance claim",
            legal_basis="Law 25/2008/QH12",
            subject_ref=refs[i % 1000],
            fields=("person.full_name", "person.date_of_birth"),
            request_id=f"req-{i}",
        )
        for i in range(n)
    ]


def bench_throughput(
    root: Path, total: int, database_url: str | None = None
) -> list[dict[str, Any]]:
    """Append (batches of 1,000) then integrate, in growing steps; entries/s per step.

    ``cpu_per_s`` uses this process's CPU time: on a shared machine it separates our cost from
    waiting for the CPU or the disk.
    """
    lg = Ledger(_settings(root, "throughput", database_url))
    events = _events(lg, 50_000)
    rows, done, step = [], 0, 25_000
    while done < total:
        n = min(step, total - done)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, n, 1000):
            lg.append_many(events[(done + i) % 40_000 : (done + i) % 40_000 + min(1000, n - i)])
        t1 = time.perf_counter()
        lg.integrate()
        t2, c2 = time.perf_counter(), time.process_time()
        done += n
        rows.append({
            "log_size_after": done, "entries": n,
            "append_per_s": round(n / (t1 - t0)), "integrate_per_s": round(n / (t2 - t1)),
            "append_and_integrate_per_s": round(n / (t2 - t0)),
            "append_and_integrate_cpu_per_s": round(n / (c2 - c0)),
            "load_average_1min": round(os.getloadavg()[0], 2),
        })  # fmt: skip
        step = min(step * 2, 200_000)
    t0 = time.perf_counter()
    report = verify(lg)
    elapsed = time.perf_counter() - t0
    assert report.ok, report.problems
    rows[-1]["verify_entries_per_s"] = round(done / elapsed)
    lg.engine.dispose()
    return rows


def bench_latency(root: Path, rate: int = 10_000, seconds: float = 5.0) -> dict[str, Any]:
    """Writers at ``rate`` entries/s with the background sequencer: append -> integrated time."""
    lg = Ledger(_settings(root, "latency"))
    events = _events(lg, 100)
    seq = Sequencer(lg, interval=0.2)
    sent: list[tuple[int, float]] = []  # (tree size once integrated, append time)
    integrated: list[tuple[float, int]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            integrated.append((time.perf_counter(), lg.size))
            time.sleep(0.005)

    seq.start()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t_start = time.perf_counter()
    count = 0
    while time.perf_counter() - t_start < seconds:
        lg.append_many(events)
        count += len(events)
        sent.append((count, time.perf_counter()))
        ahead = count / rate - (time.perf_counter() - t_start)
        if ahead > 0:
            time.sleep(ahead)
    deadline = time.perf_counter() + 10
    while lg.size < count and time.perf_counter() < deadline:
        time.sleep(0.01)
    stop.set()
    watcher.join()
    seq.stop()
    latencies = []
    j = 0
    for need, t in sent:
        while j < len(integrated) and integrated[j][1] < need:
            j += 1
        if j < len(integrated):
            latencies.append(integrated[j][0] - t)
    latencies.sort()
    lg.engine.dispose()
    return {
        "offered_rate_per_s": rate, "achieved_rate_per_s": round(count / seconds),
        "entries": count, "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
        "max_ms": round(1000 * latencies[-1], 1),
    }  # fmt: skip


def _grow(lg: Ledger, edge: RightEdge, target: int) -> None:
    """Bulk-build the tile store up to ``target`` leaves with the sequencer's RightEdge."""
    chunk = 1 << 16
    with lg.engine.begin() as conn:
        while edge.size < target:
            n = min(chunk, target - edge.size)
            leaves = [
                merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(edge.size, edge.size + n)
            ]
            touched, nodes = edge.append_with_nodes(leaves)
            keys = list(touched)
            conn.execute(delete(Tile).where(tuple_(Tile.level, Tile.idx).in_(keys)))
            conn.execute(
                insert(Tile),
                [
                    {"level": k[0], "idx": k[1], "width": len(v) // 32, "hashes": v}
                    for k, v in touched.items()
                ],
            )
            if nodes:
                conn.execute(
                    insert(TileNodes),
                    [{"level": k[0], "idx": k[1], "nodes": v} for k, v in nodes.items()],
                )
        root = edge.root()
        note = sign_checkpoint(Checkpoint(lg.origin, edge.size, root), lg.keys.signer)
        conn.execute(
            insert(CheckpointRow).values(
                size=edge.size, root=root, note=note, created_at=datetime.now(UTC)
            )
        )
        conn.execute(update(LedgerState).values(size=edge.size))


def _count_reads(lg: Ledger) -> dict[str, int]:
    """Count the tile and acceleration-node reads the proofs make (the O(log n) claim)."""
    reads = {"n": 0}
    read_tile, read_nodes = lg.read_tile, lg.read_nodes

    def tile(level: int, idx: int, conn: Any = None) -> bytes:
        reads["n"] += 1
        return read_tile(level, idx, conn)

    def nodes(level: int, idx: int, conn: Any) -> bytes:
        reads["n"] += 1
        return read_nodes(level, idx, conn)

    lg.read_tile = tile  # type: ignore[method-assign]
    lg.read_nodes = nodes  # type: ignore[method-assign]
    return reads


def _pct(values: list[float], p: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(len(values) * p))] * 1000, 3)


def bench_proofs(root: Path, sizes: list[int], samples: int = 1000) -> list[dict[str, Any]]:
    settings = _settings(root, "proofs")
    builder = Ledger(settings)
    edge = RightEdge()
    rows = []
    rnd = random.Random(7)
    for size in sizes:
        t0 = time.perf_counter()
        _grow(builder, edge, size)
        build_s = time.perf_counter() - t0
        lg = Ledger(settings)  # a fresh process view: cold tile cache
        reads = _count_reads(lg)
        cp = lg.checkpoint()
        inc, con = [], []
        for _ in range(samples):
            i = rnd.randrange(size)
            t = time.perf_counter()
            leaf, proof, r = lg.inclusion_proof(i, size)
            inc.append(time.perf_counter() - t)
            assert r == cp.root and merkle.verify_inclusion(i, size, leaf, proof, r)
        inc_reads = reads["n"] / samples
        reads["n"] = 0
        for _ in range(samples):
            s1 = rnd.randrange(1, size)
            t = time.perf_counter()
            proof, r1, r2 = lg.consistency_proof(s1, size)
            con.append(time.perf_counter() - t)
            assert merkle.verify_consistency(s1, size, proof, r1, r2)
        rows.append({
            "log_size": size, "build_s": round(build_s, 1),
            "inclusion_p50_ms": _pct(inc, 0.5), "inclusion_p99_ms": _pct(inc, 0.99),
            "consistency_p50_ms": _pct(con, 0.5), "consistency_p99_ms": _pct(con, 0.99),
            "tile_reads_per_inclusion": round(inc_reads, 2),
            "tile_reads_per_consistency": round(reads["n"] / samples, 2),
        })  # fmt: skip
        lg.engine.dispose()
        console.print(f"proofs at {size:,}: {rows[-1]}")
    db = root / "proofs" / "ndc.sqlite3"
    rows[-1]["store_mb"] = round(db.stat().st_size / 1e6, 1) if db.exists() else None
    builder.engine.dispose()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--max-size", type=int, default=10_000_000, help="Largest log for proofs.")
    ap.add_argument("--append", type=int, default=1_000_000, help="Entries for the throughput run.")
    ap.add_argument(
        "--database-url", help="Run the throughput part on this store (e.g. PostgreSQL) instead."
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    sizes = [s for s in (10_000, 100_000, 1_000_000, 10_000_000) if s <= args.max_size]
    with tempfile.TemporaryDirectory(prefix="ndc-ledger-bench-") as tmp:
        root = Path(tmp)
        load_at_start = os.getloadavg()
        started = time.perf_counter()
        throughput = bench_throughput(root, args.append, args.database_url)
        latency = bench_latency(root)
        proofs = bench_proofs(root, sizes)
    result = {
        "machine": {
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
        },
        "store": (
            "SQLite (WAL) in a temporary data directory, one process"
            if args.database_url is None
            else f"throughput on {args.database_url.split('@')[-1]}; proofs on SQLite"
        ),
        "total_s": round(time.perf_counter() - started, 1),
        "throughput": throughput, "latency_under_load": latency, "proofs": proofs,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    t = Table(
        title=f"Append + integrate ({'SQLite' if args.database_url is None else 'PostgreSQL'})"
    )
    for col in ("log size after", "append/s", "integrate/s", "append+integrate/s", "cpu/s", "load"):
        t.add_column(col, justify="right")
    for r in throughput:
        cpu = r["append_and_integrate_cpu_per_s"]
        t.add_row(f"{r['log_size_after']:,}", f"{r['append_per_s']:,}", f"{r['integrate_per_s']:,}",
                  f"{r['append_and_integrate_per_s']:,}", f"{cpu:,}",
                  str(r["load_average_1min"]))  # fmt: skip
    console.print(t)
    console.print(
        f"verify: {throughput[-1]['verify_entries_per_s']:,} entries/s; latency at "
        f"{latency['achieved_rate_per_s']:,}/s: p50 {latency['p50_ms']} ms, "
        f"p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms"
    )
    t = Table(title="Proofs from the tile store (cold cache, verified)")
    for col in (
        "log size",
        "incl p50 ms",
        "incl p99 ms",
        "cons p50 ms",
        "cons p99 ms",
        "reads/incl",
    ):
        t.add_column(col, justify="right")
    for r in proofs:
        t.add_row(f"{r['log_size']:,}", str(r["inclusion_p50_ms"]), str(r["inclusion_p99_ms"]),
                  str(r["consistency_p50_ms"]), str(r["consistency_p99_ms"]),
                  str(r["tile_reads_per_inclusion"]))  # fmt: skip
    console.print(t)
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
