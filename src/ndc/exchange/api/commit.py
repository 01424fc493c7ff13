"""Group commit of the request path's two writes: token ids (replay check) and audit entries.

Each request needs a durable write before it may answer: its ``jti`` must be recorded (a replay
is refused in every process), and its access must be in the ledger's queue (audited before
answered). One transaction per request would make the store's write lock the bottleneck, so
requests hand their rows to the :class:`GroupCommitter` of their event loop and await; one
writer thread commits whatever accumulated while the previous batch was being written. Under
load a batch holds dozens of requests; alone, a request waits for one small transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ndc.exchange.auth import TokenVerifier
from ndc.ledger import AccessEvent, Ledger

log = logging.getLogger(__name__)


@dataclass
class _Batch:
    jtis: list[tuple[str, str, int]] = field(default_factory=list)
    jti_waiters: list[asyncio.Future[bool]] = field(default_factory=list)
    events: list[AccessEvent] = field(default_factory=list)
    event_waiters: list[tuple[asyncio.Future[None], int]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.jtis or self.events)


class GroupCommitter:
    """Batches token-id inserts and ledger appends per event loop; one writer at a time."""

    def __init__(
        self,
        verifier: TokenVerifier,
        ledger: Callable[[], Ledger],
        on_usage: Callable[[dict[str, int]], None] | None = None,
    ) -> None:
        self.verifier = verifier
        self._ledger = ledger
        self._on_usage = on_usage
        self._batch = _Batch()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.rows = 0

    def _ensure(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            # A new loop (tests start one per client) gets its own writer task.
            self._loop = loop
            self._wake = asyncio.Event()
            self._batch = _Batch()
            self._task = loop.create_task(self._run(), name="ndc-group-commit")
        assert self._wake is not None
        return self._wake

    async def consume_jti(self, client_id: str, jti: str, keep_until: int) -> bool:
        """True when this is the token id's first use anywhere; durable before it returns."""
        wake = self._ensure()
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._batch.jtis.append((client_id, jti, keep_until))
        self._batch.jti_waiters.append(fut)
        self._batch.usage[client_id] = self._batch.usage.get(client_id, 0) + 1
        wake.set()
        return await fut

    async def audit(self, events: Sequence[AccessEvent]) -> None:
        """Queue access events in the ledger; returns once they are durable."""
        if not events:
            return
        wake = self._ensure()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batch.events.extend(events)
        self._batch.event_waiters.append((fut, len(events)))
        wake.set()
        await fut

    async def _run(self) -> None:
        wake = self._wake
        assert wake is not None
        while True:
            await wake.wait()
            wake.clear()
            batch, self._batch = self._batch, _Batch()
            if not batch:
                continue
            try:
                accepted, error = await asyncio.to_thread(self._write, batch)
            except BaseException as exc:  # cancelled at shutdown: fail the waiters, then stop
                self._fail(batch, exc)
                raise
            if error is not None:
                self._fail(batch, error)
                continue
            for fut, ok in zip(batch.jti_waiters, accepted, strict=True):
                if not fut.done():
                    fut.set_result(ok)
            for efut, _ in batch.event_waiters:
                if not efut.done():
                    efut.set_result(None)

    @staticmethod
    def _fail(batch: _Batch, exc: BaseException) -> None:
        err = exc if isinstance(exc, Exception) else RuntimeError("shutting down")
        for fut in batch.jti_waiters:
            if not fut.done():
                fut.set_exception(err)
        for efut, _ in batch.event_waiters:
            if not efut.done():
                efut.set_exception(err)

    def _write(self, batch: _Batch) -> tuple[list[bool], Exception | None]:
        """Runs in a worker thread: both writes, token ids first."""
        started = time.perf_counter()
        try:
            accepted = self.verifier.remember_many(batch.jtis)
            if batch.events:
                self._ledger().append_many(batch.events)
            if self._on_usage is not None and batch.usage:
                self._on_usage(batch.usage)
        except Exception as exc:
            log.error("group commit of %d rows failed: %s", len(batch.jtis), exc)
            return [], exc
        self.batches += 1
        self.rows += len(batch.jtis) + len(batch.events)
        log.debug(
            "group commit: %d rows in %.1f ms", self.rows, (time.perf_counter() - started) * 1e3
        )
        return accepted, None

    def stats(self) -> dict[str, Any]:
        return {"batches": self.batches, "rows": self.rows}
