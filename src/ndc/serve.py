"""``ndc serve``: run the web app with Uvicorn, one process per worker, each with its own socket.

Uvicorn's own multi-worker mode shares one listening socket, and under keep-alive load one
worker ends up accepting most connections while the other idles. Here every worker binds its
own socket with ``SO_REUSEPORT`` and the kernel spreads connections evenly across them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

import typer


def _socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _worker(
    app: str, factory: bool, host: str, port: int, access_log: bool, reuse_port: bool = True
) -> None:
    import gc

    import uvicorn
    from uvicorn.importer import import_from_string

    sock = _socket(host, port, reuse_port=reuse_port)
    target = import_from_string(app)
    asgi = target() if factory else target
    # What is loaded now (reference data, routes, models) lives as long as the process: keep it
    # out of the collector's generations, and collect the young one less often. Full
    # collections over that heap were the longest pauses in the request path.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 50)
    config = uvicorn.Config(asgi, access_log=access_log, loop="auto", http="auto", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _background(ready: Any) -> None:
    """The background process of ``ndc serve``: ledger sequencer and webhook dispatcher.

    In a request worker they would take the worker's interpreter lock in bursts (hashing a
    batch, posting notices) and hold up its requests; here they run beside the workers. The
    workers' own sequencers stand by on the leader lock and take over if this process dies.
    """
    import threading

    from ndc.exchange.api import open_context
    from ndc.exchange.api.context import notice_audit
    from ndc.exchange.subscriptions import Dispatcher
    from ndc.ledger import get_ledger, sequencer_for
    from ndc.settings import get_settings

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings = get_settings()
    try:
        ledger = get_ledger(settings, start=False)
        sequencer = sequencer_for(ledger)
        if sequencer is not None:
            # Small batches often: each integration holds the store's write lock, and the
            # request workers' commits wait behind it.
            sequencer.interval = 0.05
            sequencer.start()
        deadline = time.monotonic() + 30
        while sequencer is not None and not sequencer.leader and time.monotonic() < deadline:
            time.sleep(0.05)
        ctx = open_context(settings)
        dispatcher = Dispatcher(ctx.engine, policy=ctx.policy, on_first_send=notice_audit(ctx))
        if settings.subscriptions_dispatcher:
            dispatcher.start()
    finally:
        ready.set()  # the workers start even if this failed: they fall back to their own
    stop.wait()
    dispatcher.stop()
    if sequencer is not None:
        sequencer.stop()


def run_workers(
    app: str,
    host: str,
    port: int,
    workers: int,
    factory: bool = False,
    access_log: bool = False,
    background: bool = False,
) -> None:
    """Serve ``app`` (an import string) with ``workers`` processes; stops them on SIGINT/TERM.

    ``background``: NDC's own app: the ledger sequencer and the webhook dispatcher run in one
    more process, not in the request workers.
    """
    os.environ["NDC_SERVE_WORKERS"] = str(workers)  # workers split the rate limits
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        print(f"NDC serving on http://{host}:{port}", file=sys.stderr)
        _worker(app, factory, host, port, access_log, reuse_port=False)
        return
    _socket(host, port, reuse_port=True).close()  # fail here, clearly, if the port is taken
    ctx = multiprocessing.get_context("spawn")
    helpers = []
    if background:
        ready = ctx.Event()
        helpers.append(ctx.Process(target=_background, args=(ready,), name="ndc-background"))
        helpers[0].start()
        ready.wait(60)
        os.environ["NDC_SUBSCRIPTIONS_DISPATCHER"] = "false"  # the background process has it
    procs = [
        ctx.Process(target=_worker, args=(app, factory, host, port, access_log), daemon=False)
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for p in [*procs, *helpers]:
            if p.is_alive() and p.pid is not None:
                os.kill(p.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"NDC serving on http://{host}:{port} with {workers} workers", file=sys.stderr)
    while any(p.is_alive() for p in procs):
        for i, p in enumerate(procs):
            if not p.is_alive() and not stopping:  # a crashed worker is replaced
                procs[i] = ctx.Process(target=_worker, args=(app, factory, host, port, access_log))
                procs[i].start()
        time.sleep(0.5)
    for p in helpers:
        p.join(20)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes (rate limits are shared out)."),
    access_log: bool = typer.Option(
        False, help="Log every request line (the ledger already records every data access)."
    ),
) -> None:
    """Serve the NDC API (docs at /docs), the exchange under /api/v1 and the transparency log."""
    run_workers("ndc.web:create_app", host, port, workers, factory=True, access_log=access_log,
                background=True)  # fmt: skip
