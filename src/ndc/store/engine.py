"""Engine factory for the serving store: one place that knows SQLite and PostgreSQL differences."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own busy handler only
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Dialect, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry


class Base(DeclarativeBase):
    """Declarative base shared by every domain's ``models.py``."""


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers proceed while the writer commits; NORMAL sync is durable in WAL mode
    # across application crashes; busy_timeout turns lock contention into waiting, not errors.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite files get WAL mode and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def placeholder(dialect: Dialect) -> str:
    """The driver's positional placeholder, for hot paths that bypass SQLAlchemy's binding."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def session_factory(engine: Engine) -> sessionmaker[Any]:
    """A session factory that keeps loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


_gate_local = threading.local()


@contextmanager
def write_gate(engine: Engine) -> Iterator[None]:
    """Serialise the hot writers of one SQLite file across threads and processes.

    SQLite's busy handler polls with sleeps of 1 to 100 ms, so two writers that collide wait
    far longer than either holds the lock. Hot writers (the exchange's group commit, the
    ledger's sequencer) take an ``flock`` on a file beside the database first: the kernel hands
    the lock over the moment it is released. PostgreSQL needs nothing (row locks queue).
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or fcntl is None:
        yield
        return
    fds: dict[str, int] = getattr(_gate_local, "fds", None) or {}
    _gate_local.fds = fds
    fd = fds.get(path)
    if fd is None:
        fd = os.open(f"{path}-writegate", os.O_RDWR | os.O_CREAT, 0o600)
        fds[path] = fd
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
