"""Publish golden records into the serving store: only what changed, with change events.

The diff runs in DuckDB: each record's fingerprint against the one last published *to this
store* (``golden_published``, keyed by the store URL), so a re-publish over unchanged records
reads one join and writes nothing. Changed records are serialised to JSON by DuckDB and streamed
to the store in chunks of bulk inserts, in one store transaction with their events. The DuckDB
bookkeeping is committed after the store: a crash in between re-publishes those records once
more (events are at-least-once; versions stay increasing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Connection, Engine, Table, delete, func, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from ndc.dictionary import load_dictionary
from ndc.golden.contributions import GOLDEN_ENTITIES
from ndc.golden.models import TABLES, ChangeEventRow, GoldenRecordRow
from ndc.golden.schemas import PublishResult
from ndc.golden.service import new_run_id
from ndc.golden.state import open_state
from ndc.store.engine import Base

CHUNK = 20_000
_OLD_STATE = (
    "{'value': old_value, 'source_id': old_source_id, 'record_key': old_record_key, "
    "'as_of': strftime(old_as_of, '%Y-%m-%dT%H:%M:%S.%f'), 'verified': old_verified}"
)

_TS = "coalesce('\"' || strftime(as_of, '%Y-%m-%dT%H:%M:%S.%f') || '\"', 'null')"

# One pass over the changed records' attributes builds their JSON documents. Provenance is
# compact: ``record`` is the register record most attributes cite; ``from`` lists the others.
# A record with several register records (rare) lists its register attributes too (second pass).
_DOCS_SQL = f"""
CREATE OR REPLACE TEMP TABLE p_docs AS
WITH v AS (SELECT *, $register_case AS reg,
                  '[' || to_json(source_id)::VARCHAR || ',' || to_json(record_key)::VARCHAR || ','
                  || {_TS} || ']' AS rec
           FROM golden_values SEMI JOIN p_changed USING (entity, entity_id))
SELECT entity, entity_id,
       '{{' || string_agg('"' || attribute || '":' || to_json(value)::VARCHAR, ',') || '}}' AS vals,
       arg_max(rec, {{'reg': source_id = reg, 'k': record_key}}) AS dflt,
       string_agg(CASE WHEN source_id <> reg THEN '"' || attribute || '":' || rec END, ',')
           AS from_other,
       min(record_key) FILTER (WHERE source_id = reg)
           <> max(record_key) FILTER (WHERE source_id = reg) AS multi,
       coalesce(string_agg(CASE WHEN NOT verified THEN '"' || attribute || '"' END, ','), '')
           AS unv,
       to_json(list(DISTINCT source_id ORDER BY source_id))::VARCHAR AS srcs
FROM v GROUP BY entity, entity_id;
CREATE OR REPLACE TEMP TABLE p_multi AS
SELECT entity, entity_id,
       string_agg('"' || attribute || '":[' || to_json(source_id)::VARCHAR || ','
                  || to_json(record_key)::VARCHAR || ',' || {_TS} || ']', ',') AS from_reg
FROM golden_values SEMI JOIN (SELECT entity, entity_id FROM p_docs WHERE multi)
     USING (entity, entity_id)
WHERE source_id = $register_case
GROUP BY entity, entity_id;
"""

_OLD_STATE = (
    "{'value': old_value, 'source_id': old_source_id, 'record_key': old_record_key, "
    "'as_of': strftime(old_as_of, '%Y-%m-%dT%H:%M:%S.%f'), 'verified': old_verified}"
)

# The records to write with their events, in event order.
_ROWS_SQL = f"""
WITH h AS (SELECT h.entity, h.entity_id, h.attribute,
                  arg_min({_OLD_STATE}, h.changed_at) AS old,
                  arg_min(h.old_value, h.changed_at) AS ov,
                  arg_min(h.old_source_id, h.changed_at) AS os,
                  arg_min(h.old_record_key, h.changed_at) AS ok,
                  arg_min(h.old_verified, h.changed_at) AS overi
           FROM golden_history h JOIN p_changed c USING (entity, entity_id)
           WHERE c.published_at IS NOT NULL AND h.changed_at > c.published_at
           GROUP BY h.entity, h.entity_id, h.attribute),
hd AS (SELECT h.entity, h.entity_id,
              to_json(list(h.attribute ORDER BY h.attribute))::VARCHAR AS attrs,
              to_json(map_from_entries(list(
                  {{'k': h.attribute, 'v': CASE WHEN h.ov IS NOT NULL THEN h.old END}}
              )))::VARCHAR AS prev,
              to_json(coalesce(list(DISTINCT g.source_id ORDER BY g.source_id)
                               FILTER (WHERE g.source_id IS NOT NULL), []))::VARCHAR AS srcs
       FROM h LEFT JOIN golden_values g USING (entity, entity_id, attribute)
       WHERE (h.ov, h.os, h.ok, h.overi)
             IS DISTINCT FROM (g.value, g.source_id, g.record_key, g.verified)
       GROUP BY h.entity, h.entity_id)
SELECT c.entity, c.entity_id, c.version, c.kind, d.vals,
       '{{"record":' || d.dflt || ',"from":{{' || concat_ws(',', d.from_other, m.from_reg)
       || '}},"unverified":[' || d.unv || ']}}' AS prov,
       CASE WHEN c.kind = 'created' THEN NULL ELSE coalesce(hd.attrs, '[]') END AS attrs,
       CASE WHEN c.kind = 'created' THEN NULL ELSE hd.prev END AS prev,
       CASE WHEN c.kind = 'created' THEN d.srcs ELSE coalesce(hd.srcs, '[]') END AS srcs
FROM p_changed c
LEFT JOIN p_docs d USING (entity, entity_id)
LEFT JOIN p_multi m USING (entity, entity_id)
LEFT JOIN hd USING (entity, entity_id)
ORDER BY c.kind = 'deleted', c.entity, c.entity_id
"""


def _register_case() -> str:
    """SQL naming each golden entity's register (its master source) for a row's ``entity``."""
    dictionary = load_dictionary()
    whens = " ".join(
        f"WHEN '{e}' THEN '{dictionary.entity(e).master_source}'" for e in GOLDEN_ENTITIES
    )
    return f"(CASE entity {whens} END)"


def store_key(engine: Engine) -> str:
    """Which store a published state belongs to (the URL without its password)."""
    return engine.url.render_as_string(hide_password=True)


def create_tables(engine: Engine) -> None:
    Base.metadata.create_all(engine, tables=TABLES)


def _changed(con: duckdb.DuckDBPyConnection, key: str) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE p_changed AS
        SELECT coalesce(e.entity, p.entity) AS entity,
               coalesce(e.entity_id, p.entity_id) AS entity_id,
               e.fingerprint, coalesce(p.version, 0) + 1 AS version,
               CASE WHEN e.fingerprint IS NULL THEN 'deleted'
                    WHEN p.fingerprint IS NULL THEN 'created' ELSE 'updated' END AS kind,
               CASE WHEN p.fingerprint IS NULL THEN NULL ELSE p.published_at END AS published_at
        FROM golden_entities e
        FULL JOIN (SELECT * FROM golden_published WHERE store_key = $key) p
             USING (entity, entity_id)
        WHERE e.fingerprint IS DISTINCT FROM p.fingerprint""",
        {"key": key},
    )


def _upsert(conn: Connection, table: Table) -> Any:
    ins: Any = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
    keep = {"entity", "entity_id", "created_at"}
    return ins.on_conflict_do_update(
        index_elements=["entity", "entity_id"],
        set_={c.name: ins.excluded[c.name] for c in table.columns if c.name not in keep},
    )


def _rows(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    con.execute(_DOCS_SQL.replace("$register_case", _register_case()))
    res = con.execute(_ROWS_SQL)
    while chunk := res.fetchmany(CHUNK):
        yield chunk


def _write(
    conn: Connection, con: duckdb.DuckDBPyConnection, run_id: str, now: datetime
) -> tuple[int, int]:
    """Upsert changed records, delete removed ones, append one event each.

    Returns the last sequence number before this publish and the number of events."""
    if conn.dialect.name == "postgresql":  # one publisher at a time keeps seq gap-free
        conn.execute(text("LOCK TABLE change_events IN SHARE ROW EXCLUSIVE MODE"))
    seq = int(conn.execute(select(func.coalesce(func.max(ChangeEventRow.seq), 0))).scalar_one())
    records: Table = GoldenRecordRow.__table__  # type: ignore[assignment]
    events: Table = ChangeEventRow.__table__  # type: ignore[assignment]
    upsert = _upsert(conn, records)
    n = 0
    for chunk in _rows(con):
        live = [r for r in chunk if r[3] != "deleted"]
        gone = [(r[0], r[1]) for r in chunk if r[3] == "deleted"]
        if live:
            conn.execute(upsert, [
                {"entity": e, "entity_id": i, "version": v, "values": vals, "provenance": prov,
                 "created_at": now, "updated_at": now, "run_id": run_id}
                for e, i, v, _k, vals, prov, _a, _p, _s in live
            ])  # fmt: skip
        if gone:
            key = tuple_(records.c.entity, records.c.entity_id)
            conn.execute(delete(records).where(key.in_(gone)))
        conn.execute(events.insert(), [
            {"seq": seq + n + j + 1, "entity": e, "entity_id": i, "version": v, "kind": k,
             "attributes": a, "previous": p, "sources": s, "run_id": run_id, "created_at": now}
            for j, (e, i, v, k, _vals, _prov, a, p, s) in enumerate(chunk)
        ])  # fmt: skip
        n += len(chunk)
    return seq, n


def _remember(con: duckdb.DuckDBPyConnection, key: str, now: datetime) -> None:
    con.execute("BEGIN")
    con.execute(
        """DELETE FROM golden_published p USING p_changed c
        WHERE p.store_key = $key AND p.entity = c.entity AND p.entity_id = c.entity_id""",
        {"key": key},
    )
    con.execute(
        """INSERT INTO golden_published
        SELECT $key, entity, entity_id, fingerprint, version, $now FROM p_changed""",
        {"key": key, "now": now},
    )
    con.execute("COMMIT")


def publish(data_dir: Path, engine: Engine, run_id: str | None = None) -> PublishResult:
    """Write the records that changed since the last publish to this store, with their events."""
    started = time.perf_counter()
    run_id = run_id or new_run_id("publish")
    now = datetime.now(UTC).replace(tzinfo=None)
    key = store_key(engine)
    create_tables(engine)
    con = open_state(data_dir, need_links=False)
    try:
        _changed(con, key)
        counts = dict(con.execute("SELECT kind, count(*) FROM p_changed GROUP BY kind").fetchall())
        total = con.execute("SELECT count(*) FROM golden_entities").fetchone()
        with engine.begin() as conn:
            seq0, n = _write(conn, con, run_id, now)
        _remember(con, key, now)
        for t in ("p_changed", "p_docs", "p_multi"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    finally:
        con.close()
    written = int(counts.get("created", 0)) + int(counts.get("updated", 0))
    return PublishResult(
        run_id=run_id,
        written=written,
        deleted=int(counts.get("deleted", 0)),
        unchanged=int(total[0] if total else 0) - written,
        events=n,
        first_seq=seq0 + 1 if n else None,
        last_seq=seq0 + n if n else None,
        seconds=round(time.perf_counter() - started, 3),
    )
