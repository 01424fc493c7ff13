"""Point reads of the request path on a long-lived driver connection, one per thread.

A pool checkout plus SQLAlchemy's result machinery cost more than the indexed read itself,
which is most of a request's time at thousands of requests a second. Each statement here runs
in autocommit (its own snapshot), so a revoked key or a new record is seen by the next read.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from ndc.store.engine import placeholder


class FastReader:
    """``one``/``all`` for backend-neutral SQL written with ``?`` placeholders."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.mark = placeholder(engine.dialect)
        self.qmark = self.mark == "?"
        self._local = threading.local()

    def _conn(self) -> Any:
        conn: Any = getattr(self._local, "conn", None)
        if conn is None:
            raw = self.engine.raw_connection()
            conn = raw.driver_connection
            if not self.qmark:
                conn.autocommit = True  # psycopg: no transaction left open between reads
            else:  # SQLite: read pages through a memory map rather than a read() per miss
                conn.execute("PRAGMA mmap_size=1073741824")
            self._local.raw = raw  # keeps the pool entry (and its connection) alive
            self._local.conn = conn
        return conn

    def _sql(self, sql: str) -> str:
        return sql if self.qmark else sql.replace("?", self.mark)

    def _run(self, sql: str, params: Sequence[Any], many: bool) -> Any:
        for attempt in (0, 1):
            try:
                cur = self._conn().cursor()
                try:
                    cur.execute(self._sql(sql), tuple(params))
                    return cur.fetchall() if many else cur.fetchone()
                finally:
                    cur.close()
            except Exception:
                self.reset()  # a broken connection (server restart) is replaced once
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self._run(sql, params, many=False)
        return None if row is None else tuple(row)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._run(sql, params, many=True)]

    def reset(self) -> None:
        raw = getattr(self._local, "raw", None)
        self._local.conn = None
        self._local.raw = None
        if raw is not None:
            with contextlib.suppress(Exception):  # already gone
                raw.invalidate()
