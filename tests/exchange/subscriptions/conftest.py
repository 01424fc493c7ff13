"""Subscription fixtures: the registry's client on each backend, change events, a receiver.

The receiver is a real HTTP server on loopback that checks signatures and de-duplicates on
``webhook-id`` as the API guide tells receivers to; it can refuse connections (stopped) or
answer an error status for a while.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from tests.exchange.api.conftest import api as api  # the exchange app, shared with its tests

from ndc.exchange.subscriptions import WebhookVerificationError, create_tables, verify_webhook
from ndc.golden import ChangeEventRow

from ..conftest import Registered

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def reg(registered: Registered) -> Registered:
    create_tables(registered.engine)
    return registered


def add_events(engine: Engine, *events: tuple[str, str, str, list[str] | None]) -> list[int]:
    """Append change events (entity, entity_id, kind, changed attributes); returns their seqs."""
    with engine.begin() as conn:
        seq = int(conn.scalar(select(func.coalesce(func.max(ChangeEventRow.seq), 0))) or 0)
        rows = [
            {"seq": seq + i + 1, "entity": e, "entity_id": eid, "version": i + 1, "kind": kind,
             "attributes": json.dumps(attrs) if attrs is not None else None, "previous": None,
             "sources": "[]", "run_id": "test", "created_at": datetime(2026, 12, 1, 7, 0)}
            for i, (e, eid, kind, attrs) in enumerate(events)
        ]  # fmt: skip
        conn.execute(insert(ChangeEventRow), rows)
    return [r["seq"] for r in rows]


class Receiver:
    """A webhook receiver on 127.0.0.1: verify, de-duplicate, record in arrival order."""

    def __init__(self) -> None:
        self.secrets: list[str] = []  # of the subscriptions sending here
        self.retry_after: str | None = None  # sent with failure answers
        self.delay = 0.0  # seconds to hang before answering
        self.fail_with: int | None = None  # answer this status instead of 204
        self.fail_left = 0  # ... for this many requests (then answer 204)
        self.attempts: list[tuple[str, int]] = []  # (webhook-id, status answered)
        self.processed: list[dict[str, Any]] = []  # payloads handled once each
        self.seen: set[str] = set()
        self.arrivals: list[float] = []  # time.monotonic() of each request
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(receiver.delay)
                status = receiver.handle(dict(self.headers.items()), body)
                self.send_response(status)
                if status >= 300 and receiver.retry_after is not None:
                    self.send_header("retry-after", receiver.retry_after)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start`."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def verify(self, headers: dict[str, str], body: bytes) -> dict[str, Any] | None:
        for secret in self.secrets:
            try:
                return verify_webhook(secret, headers, body)
            except WebhookVerificationError:
                continue
        return None

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.arrivals.append(time.monotonic())
            msg_id = headers.get("webhook-id", "")
            if self.fail_left > 0 and self.fail_with is not None:
                self.fail_left -= 1
                self.attempts.append((msg_id, self.fail_with))
                return self.fail_with
            payload = self.verify(headers, body)
            if payload is None:
                self.attempts.append((msg_id, 401))
                return 401
            if msg_id not in self.seen:  # idempotency: a retry of a handled id is acknowledged
                self.seen.add(msg_id)
                self.processed.append(payload)
            self.attempts.append((msg_id, 204))
            return 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()
