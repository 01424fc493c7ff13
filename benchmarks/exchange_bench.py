"""Load test of the exchange API: authorised, minimised, audited person lookups over loopback.

A synthetic nation (default 100,000 citizens) is integrated and published once (untimed,
reused), a client is registered with an entitlement to four person fields, and ``ndc serve``
answers ``GET /api/v1/persons/{cccd}`` under ``wrk``: every request carries its own single-use
token (EdDSA JWT), is checked against the catalogue, answered with the permitted fields only
and written to the ledger before it is answered. In the same run a bare FastAPI endpoint of the
same shape (benchmarks/bare_app.py) under the same Uvicorn settings gives the ratio. Writes
benchmarks/results/exchange.json and prints a table. Needs ``wrk`` (Debian: apt install wrk).

    python benchmarks/exchange_bench.py --citizens 100000 --duration 30 --workers 2
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from benchlib import nation, write_results

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "exchange.json"
LUA = HERE / "wrk" / "exchange.lua"
TARGET = (
    ">= 1,500 authorised, minimised, audited person lookups/s with p99 <= 50 ms at 100k citizens"
    " on 2 cores; ratio to a bare FastAPI endpoint reported"
)
PURPOSE = "social-insurance"
FIELDS = ["full_name", "date_of_birth", "sex", "permanent_residence_commune_code"]
CLIENT = "BHXH/bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(size: int, seed: int, work: Path) -> Path:
    """A data directory whose serving store holds the nation's published golden records."""
    data_dir = nation(size, seed, work)
    store = data_dir / "ndc.sqlite3"
    if store.exists():
        import sqlite3

        with sqlite3.connect(store) as conn:
            try:
                n = conn.execute("SELECT count(*) FROM golden_records").fetchone()[0]
            except Exception:
                n = 0
        if n:
            return data_dir
    print(f"integrating and publishing {size:,} citizens (untimed) ...", flush=True)
    from ndc.pipeline.chain import run_chain
    from ndc.sources.service import load_configs

    report = run_chain(data_dir, f"sqlite:///{store.resolve()}", load_configs(data_dir))
    if not report.ok:
        raise SystemExit("the integration chain failed; see its report")
    return data_dir


def register(data_dir: Path, tokens: int, token_file: Path) -> int:
    """Register the bench client, entitle it, write ``tokens`` single-use tokens; returns ids."""
    from ndc.exchange import issue_key, make_token, register_client, register_member
    from ndc.exchange.api import open_context
    from ndc.exchange.models import Client, Member
    from ndc.exchange.policy import grant_rule
    from ndc.settings import Settings

    settings = Settings(data_dir=data_dir, demo=True)
    ctx = open_context(settings)
    with Session(ctx.engine) as s, s.begin():
        if s.get(Member, "BHXH") is None:
            register_member(s, "BHXH", "Bảo hiểm xã hội Việt Nam", "Vietnam Social Security",
                            "public_body")  # fmt: skip
        if s.get(Client, CLIENT) is None:
            register_client(s, "BHXH", "bench", "Load test client")
            grant_rule(s, dataset="person", client_id=CLIENT, fields=FIELDS, purposes=[PURPOSE],
                       legal_basis="Nghị định 278/2025/NĐ-CP")  # fmt: skip
        issued = issue_key(s, CLIENT)
    with ctx.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT entity_id FROM golden_records WHERE entity = 'person' "
            "ORDER BY random() LIMIT 5000"))]  # fmt: skip
    ctx.engine.dispose()
    now = int(time.time())
    with token_file.open("w") as f:
        for i in range(tokens):
            tok = make_token(issued.private_key_pem, issued.key.kid, CLIENT, lifetime=300, now=now)
            f.write(f"{tok}\t/api/v1/persons/{ids[i % len(ids)]}\n")
    return len(ids)


def ledger_size(data_dir: Path) -> int:
    """Entries appended to the ledger so far (integrated or still queued)."""
    import sqlite3

    with sqlite3.connect(data_dir / "ndc.sqlite3") as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM ledger_entries) + "
                           "(SELECT count(*) FROM ledger_queue)").fetchone()  # fmt: skip
    return int(row[0])


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 404):
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit(
        f"server did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def wrk(
    url: str, duration: int, conns: int, threads: int, script_args: list[str]
) -> dict[str, Any]:
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", "-s", str(LUA),
           url, "--", *script_args]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def unit(v: str, u: str) -> float:
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[u]

    pct = {p: unit(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)$", out, re.M)}
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": total,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": pct.get("50", 0.0),
        "p90_ms": pct.get("90", 0.0),
        "p99_ms": pct.get("99", 0.0),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def _serve_ndc(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    ndc = Path(sys.executable).parent / "ndc"
    cmd = [str(ndc), "serve", "--port", str(port), "--workers", str(workers)]
    return start(cmd, env, port), f"http://127.0.0.1:{port}"


def _serve_bare(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    # The same launcher as `ndc serve` (one SO_REUSEPORT socket per worker, same Uvicorn config).
    launch = (f"from ndc.serve import run_workers; "
              f"run_workers('bare_app:app', '127.0.0.1', {port}, {workers})")  # fmt: skip
    return start([sys.executable, "-c", launch], {**env, "PYTHONPATH": str(HERE)}, port), (
        f"http://127.0.0.1:{port}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--citizens", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--connections", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ndc-bench"))
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt install wrk")
    data_dir = prepare(args.citizens, args.seed, args.work)
    warm = data_dir / "bench-warm.tsv"
    register(data_dir, 6000, warm)
    token_files = {}
    for c in args.connections:  # single-use tokens: a fresh file per measured run
        token_files[c] = data_dir / f"bench-tokens-{c}.tsv"
        register(data_dir, (args.duration + 2) * 4000, token_files[c])
    env = {**os.environ, "NDC_DATA_DIR": str(data_dir), "NDC_DEMO": "1",
           "NDC_EXCHANGE_RATE_PER_SECOND": "100000", "NDC_EXCHANGE_BURST": "100000"}  # fmt: skip
    script = [str(args.threads), PURPOSE]
    ndc: dict[int, dict[str, Any]] = {}
    proc, base = _serve_ndc(env, args.workers)
    try:
        wrk(base, 3, 16, args.threads, [str(warm), *script])
        for c in args.connections:
            before = ledger_size(data_dir)
            ndc[c] = wrk(base, args.duration, c, args.threads, [str(token_files[c]), *script])
            time.sleep(1.0)
            ndc[c]["audited"] = ledger_size(data_dir) - before
    finally:
        stop(proc)
    bare: dict[int, dict[str, Any]] = {}
    proc, base = _serve_bare(env, args.workers)
    try:
        wrk(base, 3, 16, args.threads, [str(warm), *script])
        for c in args.connections:
            bare[c] = wrk(base, args.duration, c, args.threads, [str(token_files[c]), *script])
    finally:
        stop(proc)
    runs: list[dict[str, object]] = []
    print(f"\n{'endpoint':<40}{'conns':>6}{'req/s':>9}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
          f"{'non-2xx':>8}{'audited':>9}")  # fmt: skip
    for c in args.connections:
        ratio = ndc[c]["rps"] / bare[c]["rps"] if bare[c]["rps"] else 0.0
        runs.append({"citizens": args.citizens, "duration_s": args.duration, "connections": c,
                     "wrk_threads": args.threads, "workers": args.workers, "ndc": ndc[c],
                     "bare_fastapi": bare[c], "ratio_ndc_to_bare": round(ratio, 3)})  # fmt: skip
        for name, r in (
            ("NDC person lookup (auth+policy+audit)", ndc[c]),
            ("bare FastAPI", bare[c]),
        ):
            print(f"{name:<40}{c:>6}{r['rps']:>9,.0f}{r['p50_ms']:>8.1f}{r['p90_ms']:>8.1f}"
                  f"{r['p99_ms']:>8.1f}{r['non_2xx']:>8}{r.get('audited', ''):>9}")  # fmt: skip
        print(f"{'':<40}{'':>6} ratio NDC/bare {ratio:.2f}")
    write_results(RESULTS, TARGET, runs)


if __name__ == "__main__":
    main()
