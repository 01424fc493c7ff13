"""A background thread that dispatches new change events and delivers due notices.

Run one per process (``ndc serve`` starts it with the app); several processes sharing a store
are safe, because dispatch takes the subscriptions' locks and deliveries are claimed one by one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
from sqlalchemy import Engine

from ndc.exchange.subscriptions.changes import dispatch
from ndc.exchange.subscriptions.delivery import (
    OnFirstSend,
    RetryPolicy,
    deliver_due,
    new_http_client,
)
from ndc.exchange.subscriptions.entitlement import PolicyLike
from ndc.exchange.subscriptions.schemas import DeliverResult, DispatchResult
from ndc.exchange.subscriptions.service import utcnow

log = logging.getLogger(__name__)


class Dispatcher:
    """``start()`` / ``stop()`` a loop running :func:`dispatch` then :func:`deliver_due` every
    ``interval`` seconds (at once after :meth:`wake`). Errors are logged and the loop goes on:
    the store or a receiver being down must not end notification for good."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = 0.5,
        http_client: httpx.Client | None = None,
        policy: PolicyLike | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        on_first_send: OnFirstSend | None = None,
    ) -> None:
        self.engine = engine
        self.on_first_send = on_first_send
        self.interval = interval
        self.policy = policy
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self._own_client = http_client is None
        self._http = http_client or new_http_client()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> tuple[DispatchResult, DeliverResult]:
        dispatched = dispatch(self.engine, self.clock(), policy=self.policy)
        delivered = deliver_due(self.engine, self._http, self.clock(), retry=self.retry,
                                rng=self.rng, on_first_send=self.on_first_send)  # fmt: skip
        return dispatched, delivered

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep notifying once the store is back
                log.exception("subscription dispatcher: round failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if self._own_client and self._http.is_closed:
            self._http = new_http_client()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="ndc-subscriptions", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next round now (e.g. right after a publish)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current round and stop; an attempt in flight ends within the HTTP timeout
        (and is sent again later if its answer was not recorded)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._own_client:
            self._http.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


@asynccontextmanager
async def dispatching(
    engine: Engine, policy: PolicyLike | None = None, on_first_send: OnFirstSend | None = None
) -> AsyncIterator[Dispatcher]:
    """Run a :class:`Dispatcher` for the life of an app (use in the FastAPI lifespan)."""
    dispatcher = Dispatcher(engine, policy=policy, on_first_send=on_first_send)
    dispatcher.start()
    try:
        yield dispatcher
    finally:
        await asyncio.to_thread(dispatcher.stop)
