"""Publish golden records into the serving store: only what changed, with change events.

The diff runs in DuckDB: each record's fingerprint against the one last published *to this
store* (``golden_published``, keyed by the store URL), so a re-publish over unchanged records
is one join and writes nothing. Changed records are serialised to JSON by DuckDB, partition by
partition in a producer thread, while this thread bulk-inserts the previous partition (DBAPI
``executemany`` of plain tuples: no ORM objects, no JSON re-encoding), records and events in
one store transaction. The DuckDB bookkeeping is committed after the store: a crash in between
re-publishes those records once more (events are at-least-once; versions keep increasing).
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Connection, Engine, func, select, text

from ndc.golden.models import TABLES, ChangeEventRow, GoldenRecordRow
from ndc.golden.publish_sql import CHANGED_SQL, REMEMBER_SQL, ROWS_SQL, part_sql
from ndc.golden.schemas import PublishResult
from ndc.golden.service import new_run_id
from ndc.golden.state import open_state
from ndc.store.engine import Base

CHUNK = 20_000
PARTITION = 100_000  # records per partition prepared by DuckDB at a time

_RECORD_COLS = ("entity", "entity_id", "version", "values", "provenance", "created_at",
                "updated_at", "run_id")  # fmt: skip
_EVENT_COLS = ("seq", "entity", "entity_id", "version", "kind", "attributes", "previous",
               "sources", "run_id", "created_at")  # fmt: skip


def store_key(engine: Engine) -> str:
    """Which store a published state belongs to (the URL without its password)."""
    return engine.url.render_as_string(hide_password=True)


def create_tables(engine: Engine) -> None:
    Base.metadata.create_all(engine, tables=TABLES)


def _sql(conn: Connection) -> tuple[str, str, str]:
    """Upsert of records, insert of events, delete of records, in the driver's paramstyle."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"

    def cols(names: tuple[str, ...]) -> str:
        return ", ".join(f'"{c}"' for c in names)

    keep = {"entity", "entity_id", "created_at"}
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in _RECORD_COLS if c not in keep)
    upsert = (
        f"INSERT INTO golden_records ({cols(_RECORD_COLS)}) "
        f"VALUES ({', '.join(mark for _ in _RECORD_COLS)}) "
        f"ON CONFLICT (entity, entity_id) DO UPDATE SET {updates}"
    )
    insert = (
        f"INSERT INTO change_events ({cols(_EVENT_COLS)}) "
        f"VALUES ({', '.join(mark for _ in _EVENT_COLS)})"
    )
    remove = f"DELETE FROM golden_records WHERE entity = {mark} AND entity_id = {mark}"
    return upsert, insert, remove


def _produce(con: duckdb.DuckDBPyConnection, parts: int, out: queue.Queue[Any]) -> None:
    """Thread body: each partition's rows, chunk by chunk, then ``None`` (or the error)."""
    try:
        for part in range(parts):
            con.execute(part_sql(part, parts))
            res = con.execute(ROWS_SQL)
            while chunk := res.fetchmany(CHUNK):
                out.put(chunk)
        out.put(None)
    except BaseException as exc:  # handed to the writer, which re-raises it
        out.put(exc)


def _chunks(con: duckdb.DuckDBPyConnection, parts: int) -> Iterator[list[tuple[Any, ...]]]:
    q: queue.Queue[Any] = queue.Queue(maxsize=4)
    worker = threading.Thread(target=_produce, args=(con, parts, q), daemon=True)
    worker.start()
    try:
        while (item := q.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.1)
        worker.join()


def _write(
    conn: Connection, con: duckdb.DuckDBPyConnection, parts: int, run_id: str, now: datetime
) -> tuple[int, int]:
    """Upsert changed records, delete removed ones, append one event each.

    Returns the last sequence number before this publish and the number of events."""
    if conn.dialect.name == "postgresql":  # one publisher at a time keeps seq gap-free
        conn.execute(text("LOCK TABLE change_events IN SHARE ROW EXCLUSIVE MODE"))
    else:  # inserts land all over a large B-tree: keep its pages in memory (256 MB)
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    seq = int(conn.execute(select(func.coalesce(func.max(ChangeEventRow.seq), 0))).scalar_one())
    # SQLite stores DateTime as text; PostgreSQL takes the datetime itself.
    ts: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dialect.name == "sqlite" else now
    upsert, insert, remove = _sql(conn)
    sources = [r[0] for r in con.execute(
        "SELECT source_id FROM golden_source_bits ORDER BY bit").fetchall()]  # fmt: skip
    masks: dict[int, str] = {}

    def named(mask: int) -> str:  # the JSON list of sources behind a created record
        if mask not in masks:
            masks[mask] = json.dumps([s for i, s in enumerate(sources) if mask >> i & 1])
        return masks[mask]

    n = 0
    for chunk in _chunks(con, parts):
        live = [(e, i, v, vals, prov, ts, ts, run_id)
                for e, i, v, k, vals, prov, *_ in chunk if k != "deleted"]  # fmt: skip
        gone = [(e, i) for e, i, _v, k, *_ in chunk if k == "deleted"]
        if live:
            conn.exec_driver_sql(upsert, live)
        if gone:
            conn.exec_driver_sql(remove, gone)
        conn.exec_driver_sql(insert, [
            (seq + n + j + 1, e, i, v, k, a, p, s if s is not None else named(m), run_id, ts)
            for j, (e, i, v, k, _vals, _prov, a, p, s, m) in enumerate(chunk)
        ])  # fmt: skip
        n += len(chunk)
    return seq, n


def _check_store(con: duckdb.DuckDBPyConnection, engine: Engine, key: str) -> None:
    """Forget what was published to a store that no longer holds it (emptied, recreated,
    restored from an older backup): the next diff then writes every record there again."""
    with engine.connect() as conn:
        held = int(conn.execute(select(func.count()).select_from(GoldenRecordRow)).scalar_one())
    row = con.execute(
        "SELECT count(*) FROM golden_published WHERE store_key = ? AND fingerprint IS NOT NULL",
        [key],
    ).fetchone()
    if held != (int(row[0]) if row else 0):
        con.execute("DELETE FROM golden_published WHERE store_key = ?", [key])


def publish(data_dir: Path, engine: Engine, run_id: str | None = None) -> PublishResult:
    """Write the records that changed since the last publish to this store, with their events."""
    started = time.perf_counter()
    run_id = run_id or new_run_id("publish")
    now = datetime.now(UTC).replace(tzinfo=None)
    key = store_key(engine)
    create_tables(engine)
    con = open_state(data_dir, need_links=False)
    try:
        (total,) = con.execute("SELECT count(*) FROM golden_entities").fetchone() or (0,)
        _check_store(con, engine, key)
        con.execute(CHANGED_SQL, {"key": key})
        counts = dict(con.execute("SELECT kind, count(*) FROM p_changed GROUP BY kind").fetchall())
        parts = max(1, -(-sum(counts.values()) // PARTITION))
        seq0, n = 0, 0
        if counts:
            with engine.begin() as conn:
                seq0, n = _write(conn, con, parts, run_id, now)
        con.execute("BEGIN")
        for sql in REMEMBER_SQL:
            con.execute(sql, {"key": key, "now": now} if "$now" in sql else {"key": key})
        con.execute("COMMIT")
        for t in ("p_changed", "p_part"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    finally:
        con.close()
    written = int(counts.get("created", 0)) + int(counts.get("updated", 0))
    return PublishResult(
        run_id=run_id,
        written=written,
        deleted=int(counts.get("deleted", 0)),
        unchanged=int(total) - written,
        events=n,
        first_seq=seq0 + 1 if n else None,
        last_seq=seq0 + n if n else None,
        seconds=round(time.perf_counter() - started, 3),
    )
