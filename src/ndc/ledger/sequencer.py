"""The background sequencer: integrates queued entries every ``interval`` seconds.

It runs as a daemon thread inside the serving process (started by the router's lifespan). A
batch takes everything pending up to ``max_batch``, so under load batches grow instead of the
queue, and an entry waits at most about one interval plus one batch's integration time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: every process integrates
    fcntl = None  # type: ignore[assignment]

from ndc.ledger.exceptions import IntegrationConflict
from ndc.ledger.service import DEFAULT_BATCH, Ledger

log = logging.getLogger(__name__)


class Sequencer:
    """``leader_file``: processes sharing it elect one sequencer (an ``flock``); the others
    stand by and take over when it exits. Without it every process integrates, and all but one
    of them hash each batch in vain (the claim on the tree refuses them)."""

    def __init__(
        self,
        ledger: Ledger,
        interval: float = 0.2,
        max_batch: int = DEFAULT_BATCH,
        leader_file: Path | None = None,
    ) -> None:
        self.ledger = ledger
        self.leader_file = leader_file
        self.leader = leader_file is None
        self._leader_fd: int | None = None
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

    def _lead(self) -> bool:
        """Wait until this process holds the leader lock (or is stopped); true if it does."""
        if self.leader_file is None or fcntl is None:
            return True
        self.leader_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.leader_file, os.O_RDWR | os.O_CREAT, 0o600)
        while not self._stop.is_set():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._stop.wait(self.interval * 5)
                continue
            self._leader_fd = fd  # held until the process exits or the sequencer stops
            self.leader = True
            return True
        os.close(fd)
        return False

    def _run(self) -> None:
        if not self._lead():
            return
        try:
            self._integrate_loop()
        finally:
            fd = self._leader_fd
            if fd is not None:
                os.close(fd)  # releases the lock: a standby process takes over
                self._leader_fd = None
                self.leader = self.leader_file is None

    def _integrate_loop(self) -> None:
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
