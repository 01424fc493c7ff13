"""Build golden records: survivorship over linked std rows, then a diff against the last build.

Only the records whose inputs changed since the last build are recomputed (``inputs``), only
those whose fingerprint moved are rewritten, and every attribute change of an existing record
lands in ``golden_history``: a rebuild over unchanged data reads the inputs and writes nothing.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ndc.golden.contributions import contributions
from ndc.golden.documents import prepare_documents, store_documents
from ndc.golden.inputs import affected, remember, signature
from ndc.golden.schemas import BuildStats
from ndc.golden.state import open_state
from ndc.golden.survivorship import rules_rows, survive

_ROW = "(n.value, n.source_id, n.record_key, n.verified)"
_OLD = "(o.value, o.source_id, o.record_key, o.verified)"


def new_run_id(prefix: str = "golden") -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _changes(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``g_changed``: recomputed records whose fingerprint moved, or that vanished."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE g_fp AS
        SELECT entity, entity_id,
               bit_xor(hash(attribute, value, source_id, record_key, verified)) AS fp
        FROM g_new GROUP BY entity, entity_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE g_changed AS
        SELECT entity, entity_id, n.fp AS new_fp, o.fingerprint AS old_fp, o.created_at
        FROM g_fp n
        FULL JOIN (SELECT * FROM golden_entities SEMI JOIN g_affected USING (entity, entity_id)) o
             USING (entity, entity_id)
        WHERE n.fp IS DISTINCT FROM o.fingerprint"""
    )


def _history(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> int:
    """Append the attribute changes of the changed records that existed before."""
    before = _count(con, "SELECT count(*) FROM golden_history")
    con.execute(
        f"""INSERT INTO golden_history
        SELECT entity, entity_id, attribute,
               CASE WHEN o.value IS NULL THEN 'added' WHEN n.value IS NULL THEN 'removed'
                    WHEN n.value <> o.value THEN 'changed' ELSE 'provenance' END,
               o.value, o.source_id, o.record_key, o.as_of, o.verified,
               n.value, n.source_id, n.record_key, n.as_of, n.verified, $now, $run_id
        FROM (SELECT * FROM g_new SEMI JOIN (SELECT entity, entity_id FROM g_changed
                                             WHERE old_fp IS NOT NULL) USING (entity, entity_id)) n
        FULL JOIN (SELECT * FROM golden_values SEMI JOIN g_changed USING (entity, entity_id)) o
             USING (entity, entity_id, attribute)
        WHERE {_ROW} IS DISTINCT FROM {_OLD}""",
        {"now": now, "run_id": run_id},
    )
    return _count(con, "SELECT count(*) FROM golden_history") - before


def _apply(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> None:
    con.execute(
        """DELETE FROM golden_values v USING g_changed c
        WHERE v.entity = c.entity AND v.entity_id = c.entity_id"""
    )
    con.execute(
        "INSERT INTO golden_values "
        "SELECT * FROM g_new SEMI JOIN g_changed USING (entity, entity_id)"
    )
    con.execute(
        """DELETE FROM golden_entities e USING g_changed c
        WHERE e.entity = c.entity AND e.entity_id = c.entity_id"""
    )
    con.execute(
        """INSERT INTO golden_entities
        SELECT entity, entity_id, new_fp, coalesce(created_at, $now), $now, $run_id
        FROM g_changed WHERE new_fp IS NOT NULL""",
        {"now": now, "run_id": run_id},
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # nothing may be open
        con.execute("ROLLBACK")


def build_golden(data_dir: Path, run_id: str | None = None) -> BuildStats:
    """Compute every golden record from the linked std rows; keep the history of changes."""
    started = time.perf_counter()
    run_id = run_id or new_run_id()
    now = _now()
    con = open_state(data_dir)
    try:
        contribs = contributions(con, data_dir)
        sig = signature(contribs, list(map(tuple, rules_rows())))
        full = affected(con, contribs, sig)
        recomputed = _count(con, "SELECT count(*) FROM g_affected")
        # Survivorship only fills temp tables: outside the transaction, where DuckDB runs faster.
        observations = survive(con, contribs, now, only_affected=not full)
        _changes(con)
        created = _count(con, "SELECT count(*) FROM g_changed WHERE old_fp IS NULL")
        removed = _count(con, "SELECT count(*) FROM g_changed WHERE new_fp IS NULL")
        new_bits = prepare_documents(con)
        con.execute("BEGIN")  # only the writes to the persistent tables
        changed_attrs = _history(con, run_id, now)
        _apply(con, run_id, now)
        store_documents(con, new_bits)
        remember(con, full, sig)
        con.execute("COMMIT")
        entities = dict(
            con.execute(
                "SELECT entity, count(*) FROM golden_entities GROUP BY entity ORDER BY entity"
            ).fetchall()
        )
        attributes = _count(con, "SELECT count(*) FROM golden_values")
        for t in ("g_new", "g_fp", "g_changed", "g_in", "g_affected"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    except BaseException:
        _rollback(con)
        raise
    finally:
        con.close()
    return BuildStats(
        run_id=run_id,
        entities={str(k): int(v) for k, v in entities.items()},
        recomputed=recomputed,
        observations=observations,
        attributes=attributes,
        changed_attributes=changed_attrs,
        created_entities=created,
        removed_entities=removed,
        seconds=round(time.perf_counter() - started, 3),
    )
