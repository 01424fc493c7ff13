"""Publish the land register's parcels into the serving store: only what changed.

Like golden records, the diff runs in DuckDB against the fingerprints last published to this
store (``parcels_published``, keyed by the store URL): an unchanged re-publish is one join and
writes nothing. Changed parcels are upserted or deleted with DBAPI ``executemany`` of plain
tuples in one store transaction; the DuckDB bookkeeping commits after it (a crash in between
rewrites the same rows once more). When the store does not hold what the bookkeeping says
(emptied, recreated, restored), the fingerprints are recomputed from the store's own rows, so
the next diff is exact again: missing parcels come back and stray ones go.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Engine, func, select

from ndc.golden.parcels.models import LandParcelRow, create_parcel_tables
from ndc.golden.parcels.schemas import ParcelPublishResult
from ndc.golden.parcels.sql import (
    CHANGED_SQL,
    REMEMBER_SQL,
    STATE_SCHEMA,
    current_sql,
    has_parcels,
    parcel_source,
)
from ndc.golden.publish import store_key
from ndc.golden.service import new_run_id
from ndc.golden.state import open_state
from ndc.pipeline.store import one

CHUNK = 20_000
_COLS = ("parcel_id", "owner_id", "values", "provenance", "updated_at", "run_id")


def _sql(conn: Connection) -> tuple[str, str]:
    """Upsert and delete statements in the driver's paramstyle."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    cols = ", ".join(f'"{c}"' for c in _COLS)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in _COLS if c != "parcel_id")
    upsert = (
        f"INSERT INTO land_parcels ({cols}) VALUES ({', '.join(mark for _ in _COLS)}) "
        f"ON CONFLICT (parcel_id) DO UPDATE SET {updates}"
    )
    return upsert, f"DELETE FROM land_parcels WHERE parcel_id = {mark}"


def _write(conn: Connection, con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> None:
    # SQLite stores DateTime as text; PostgreSQL takes the datetime itself.
    ts: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dialect.name == "sqlite" else now
    upsert, remove = _sql(conn)
    res = con.execute(
        "SELECT parcel_id, owner_id, vals, prov, kind FROM lp_changed ORDER BY parcel_id"
    )
    while chunk := res.fetchmany(CHUNK):
        live = [(p, o, v, pr, ts, run_id) for p, o, v, pr, k in chunk if k != "deleted"]
        gone = [(p,) for p, *_, k in chunk if k == "deleted"]
        if live:
            conn.exec_driver_sql(upsert, live)
        if gone:
            conn.exec_driver_sql(remove, gone)


def _resync(con: duckdb.DuckDBPyConnection, engine: Engine, key: str) -> None:
    """Make the bookkeeping of this store match its rows when the counts disagree."""
    with engine.connect() as conn:
        held = int(conn.execute(select(func.count()).select_from(LandParcelRow)).scalar_one())
    (known,) = one(con, "SELECT count(*) FROM parcels_published WHERE store_key = ?", [key])
    if held == int(known):
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lp_held "
        "(parcel_id VARCHAR, owner_id VARCHAR, vals VARCHAR, prov VARCHAR)"
    )
    cols = (LandParcelRow.parcel_id, LandParcelRow.owner_id, LandParcelRow.values,
            LandParcelRow.provenance)  # fmt: skip
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=CHUNK).execute(select(*cols))
        names = ("parcel_id", "owner_id", "vals", "prov")
        for part in result.partitions():
            batch = pa.table({n: pa.array([r[i] for r in part], pa.string())
                              for i, n in enumerate(names)})  # fmt: skip
            con.register("lp_batch", batch)
            con.execute("INSERT INTO lp_held SELECT * FROM lp_batch")
            con.unregister("lp_batch")
    con.execute("BEGIN")
    con.execute("DELETE FROM parcels_published WHERE store_key = ?", [key])
    con.execute(
        "INSERT INTO parcels_published "
        "SELECT ?, parcel_id, hash(owner_id, vals, prov) FROM lp_held",
        [key],
    )
    con.execute("COMMIT")
    con.execute("DROP TABLE lp_held")


def publish_parcels(
    data_dir: Path, engine: Engine, run_id: str | None = None
) -> ParcelPublishResult:
    """Write the land parcels that changed since the last publish to this store.

    Reads the land register's accepted, live std rows and the links of their holders to
    persons. Before the land register has been loaded, nothing is written (and nothing that
    was published is withdrawn)."""
    started = time.perf_counter()
    run_id = run_id or new_run_id("publish")
    now = datetime.now(UTC).replace(tzinfo=None)
    key = store_key(engine)
    create_parcel_tables(engine)
    cfg = parcel_source(data_dir)
    con = open_state(data_dir, need_links=False)
    try:
        con.execute(STATE_SCHEMA)
        if cfg is None or not has_parcels(con, cfg):
            return ParcelPublishResult(
                run_id=run_id, source_id=None, parcels=0, owned=0, inserted=0, updated=0,
                deleted=0, unchanged=0, seconds=round(time.perf_counter() - started, 3),
            )  # fmt: skip
        con.execute(current_sql(con, cfg))
        _resync(con, engine, key)
        con.execute(CHANGED_SQL, {"key": key})
        counts = dict(con.execute("SELECT kind, count(*) FROM lp_changed GROUP BY kind").fetchall())
        total, owned = one(con, "SELECT count(*), count(owner_id) FROM lp_cur")
        if counts:
            with engine.begin() as conn:
                _write(conn, con, run_id, now)
            con.execute("BEGIN")
            for sql in REMEMBER_SQL:
                con.execute(sql, {"key": key})
            con.execute("COMMIT")
        for t in ("lp_cur", "lp_changed"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    finally:
        con.close()
    inserted, updated = int(counts.get("inserted", 0)), int(counts.get("updated", 0))
    return ParcelPublishResult(
        run_id=run_id,
        source_id=cfg.id,
        parcels=int(total),
        owned=int(owned),
        inserted=inserted,
        updated=updated,
        deleted=int(counts.get("deleted", 0)),
        unchanged=int(total) - inserted - updated,
        seconds=round(time.perf_counter() - started, 3),
    )
