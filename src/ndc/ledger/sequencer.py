"""The background sequencer: integrates queued entries every ``interval`` seconds.

It runs as a daemon thread inside the serving process (started by the router's lifespan). A
batch takes everything pending up to ``max_batch``, so under load batches grow instead of the
queue, and an entry waits at most about one interval plus one batch's integration time.
"""

from __future__ import annotations

import logging
import threading
import time

from ndc.ledger.exceptions import IntegrationConflict
from ndc.ledger.service import DEFAULT_BATCH, Ledger

log = logging.getLogger(__name__)


class Sequencer:
    def __init__(
        self, ledger: Ledger, interval: float = 0.2, max_batch: int = DEFAULT_BATCH
    ) -> None:
        self.ledger = ledger
        self.interval = interval
        self.max_batch = max_batch
        self.integrated = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ndc-ledger-sequencer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the batch in progress; a last pass integrates what was queued before."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        backoff = self.interval
        while True:
            stopping = self._stop.is_set()
            started = time.monotonic()
            try:
                n = self.ledger.integrate_once(self.max_batch)
                self.integrated += n
                self.last_error, backoff = None, self.interval
            except IntegrationConflict:
                continue
            except Exception as exc:  # keep serving; the queue is durable and will be retried
                log.exception("ledger integration failed")
                self.last_error = str(exc)
                n, backoff = 0, min(backoff * 2, 5.0)
            if stopping:
                return
            if n >= self.max_batch:
                continue  # still behind: integrate the next batch straight away
            wait = (backoff if self.last_error else self.interval) - (time.monotonic() - started)
            self._stop.wait(max(wait, 0.0))
