"""Group commit of the request path's writes: token ids, audit entries and quota usage.

Each request needs a durable write before it may answer: its ``jti`` must be recorded (a replay
is refused in every process) and its access must be in the ledger's queue (audited before
answered). One transaction per request would make the store's write lock the bottleneck, so
requests hand their rows to the :class:`GroupCommitter` of their event loop and await; one
writer thread commits, in one transaction, whatever accumulated while the previous batch was
being written. Under load a batch holds dozens of requests; alone, a request waits for one
small transaction.

A read request hands its token id and its audit entries over together, once, at its end: if
the token turns out to be a replay (another process saw it first), its entries are recorded as
denied with no fields and the request is refused, so nothing read is ever released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ndc.exchange.auth import insert_token_ids
from ndc.ledger import AccessEvent
from ndc.ledger.service import enqueue_with, queue_rows
from ndc.store.engine import placeholder, write_gate

log = logging.getLogger(__name__)
Jti = tuple[str, str, int]  # client id, token id, keep until (epoch seconds)

_USAGE_SQL = (
    "INSERT INTO exchange_quota_usage (client_id, day, count) VALUES {values} "
    "ON CONFLICT (client_id, day) DO UPDATE SET count = exchange_quota_usage.count + excluded.count"
)


@dataclass
class _Item:
    jti: Jti | None
    events: Sequence[AccessEvent]
    future: asyncio.Future[bool]


class GroupCommitter:
    """Batches token ids, ledger entries and usage counts per event loop; one writer at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.mark = placeholder(engine.dialect)
        self._items: list[_Item] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._pruned = 0.0

    def _ensure(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            # A new loop (tests start one per client) gets its own writer task.
            self._loop = loop
            self._wake = asyncio.Event()
            self._items = []
            self._task = loop.create_task(self._run(), name="ndc-group-commit")
        assert self._wake is not None
        return self._wake

    async def commit(self, jti: Jti | None, events: Sequence[AccessEvent]) -> bool:
        """Record the token id (if any) and the events durably; false if the token was used."""
        wake = self._ensure()
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._items.append(_Item(jti, events, fut))
        wake.set()
        return await fut

    async def _run(self) -> None:
        wake = self._wake
        assert wake is not None
        while True:
            await wake.wait()
            wake.clear()
            items, self._items = self._items, []
            if not items:
                continue
            try:
                accepted = await asyncio.to_thread(self._write, items)
            except asyncio.CancelledError:
                self._fail(items, RuntimeError("the server is shutting down"))
                raise
            except Exception as exc:
                log.error("group commit of %d requests failed: %s", len(items), exc)
                self._fail(items, exc)
                continue
            for item, ok in zip(items, accepted, strict=True):
                if not item.future.done():
                    item.future.set_result(ok)

    @staticmethod
    def _fail(items: list[_Item], exc: Exception) -> None:
        for item in items:
            if not item.future.done():
                item.future.set_exception(exc)

    def _write(self, items: list[_Item]) -> list[bool]:
        """Runs in a worker thread: token ids first, then the entries, in one transaction."""
        started = time.perf_counter()
        jtis = [i.jti for i in items if i.jti is not None]
        with write_gate(self.engine), self.engine.begin() as conn:
            cursor = conn.connection.cursor()
            try:
                firsts = iter(insert_token_ids(cursor, self.mark, jtis))
                accepted = [True if i.jti is None else next(firsts) for i in items]
                events: list[AccessEvent] = []
                for item, ok in zip(items, accepted, strict=True):
                    events.extend(item.events if ok else [_replayed(e) for e in item.events])
                rows = queue_rows(events)
                if rows:
                    enqueue_with(cursor, self.mark, rows)
                if jtis:
                    self._usage(cursor, jtis)
                self._prune(cursor)
            finally:
                cursor.close()
        ms = (time.perf_counter() - started) * 1e3
        log.debug("group commit: %d requests, %d entries in %.1f ms", len(items), len(rows), ms)
        return accepted

    def _prune(self, cursor: Any) -> None:
        """Forget token ids that can no longer be accepted, about once a second and at most
        2,000 at a time: a second's worth is a small delete; a backlog (after a restart) in
        one go would stall the batch that carries it."""
        now = time.time()
        if now - self._pruned < 1.0:
            return
        self._pruned = now
        m = self.mark
        cursor.execute(
            "DELETE FROM exchange_used_jti WHERE (client_id, jti) IN (SELECT client_id, jti "
            f"FROM exchange_used_jti WHERE expires_at < {m} LIMIT 2000)",
            [int(now)],
        )

    def _usage(self, cursor: Any, jtis: list[Jti]) -> None:
        counts: dict[str, int] = {}
        for client_id, _, _ in jtis:
            counts[client_id] = counts.get(client_id, 0) + 1
        day = datetime.now(UTC).date().isoformat()
        m = self.mark
        values = ", ".join([f"({m}, {m}, {m})"] * len(counts))
        params = [v for c, n in counts.items() for v in (c, day, n)]
        cursor.execute(_USAGE_SQL.format(values=values), params)

    async def aclose(self) -> None:
        """Stop the writer task of this loop once what was handed over is written."""
        task, self._task = self._task, None
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return
        for _ in range(5000):  # let the writer take the last batch (at most ~5 s)
            if not self._items:
                break
            await asyncio.sleep(0.001)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _replayed(event: AccessEvent) -> AccessEvent:
    """What a replayed request's entry becomes: a denial that disclosed nothing."""
    return event.model_copy(update={"decision": "deny", "fields": ()})
