"""Ingest: land raw rows unchanged, diff them against the versions in force, and account for
every row read (new, changed, unchanged, or quarantined at the door).

A full-mode source is a snapshot: keys that disappear become tombstones. An incremental source
sends only rows past its watermark. A re-run over unchanged files reads nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ndc.pipeline.store import current_table, raw_table, table_columns, table_exists
from ndc.sources.connectors import RawBatch, Reject, read_source
from ndc.sources.schemas import FileConnection, SourceConfig
from ndc.standardize.distinct import quote_identifier as q

META = ("_load_id", "_file", "_row_number", "_record_key", "_row_hash")


@dataclass
class Drift:
    kind: str  # new_column | missing_column | missing_mapped_column
    column: str
    detail: str = ""


@dataclass
class IngestResult:
    source_id: str
    run_id: str
    skipped: bool = False
    rows_read: int = 0
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    tombstoned: int = 0
    rejected: int = 0  # quarantined at the door (unreadable, no key, duplicate key)
    watermark: str | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    encodings: dict[str, str | None] = field(default_factory=dict)

    @property
    def to_process(self) -> int:
        return self.new + self.changed


def _state(con: duckdb.DuckDBPyConnection, source_id: str) -> tuple[Any, ...] | None:
    return con.execute(
        "SELECT watermark, fingerprints, columns FROM sync_state WHERE source_id = ?", [source_id]
    ).fetchone()


def _combine(batches: list[RawBatch]) -> pa.Table:
    names: dict[str, None] = {}
    for b in batches:
        names.update(dict.fromkeys(c for c in b.rows.column_names if c != "_row_number"))
    parts = []
    for b in batches:
        n = b.rows.num_rows
        cols: dict[str, Any] = {
            "_file": pa.array([b.file] * n, pa.string()),
            "_row_number": b.rows.column("_row_number"),
        }
        for name in names:
            cols[name] = (
                b.rows.column(name) if name in b.rows.column_names else pa.nulls(n, pa.string())
            )
        parts.append(pa.table(cols))
    if not parts:
        return pa.table(
            {"_file": pa.array([], pa.string()), "_row_number": pa.array([], pa.int64())}
        )
    return pa.concat_tables(parts)


def _drift(cfg: SourceConfig, previous: list[str] | None, now: list[str]) -> list[Drift]:
    out: list[Drift] = []
    mapped = {m.column for m in cfg.mapping.values()} | set(cfg.key)
    for col in sorted(mapped - set(now)):
        out.append(Drift("missing_mapped_column", col, "mapped in the source config"))
    if previous is not None:
        for col in sorted(set(now) - set(previous)):
            out.append(Drift("new_column", col, "kept in the raw table; not mapped"))
        for col in sorted(set(previous) - set(now) - mapped):
            out.append(Drift("missing_column", col, "earlier loads had it"))
    return out


def _reject_rows(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, run_id: str, rejects: list[Reject]
) -> int:
    """Quarantine unreadable rows; one already open for the same line text counts as unchanged."""
    fresh = 0
    for r in rejects:
        digest = hashlib.sha256(r.raw.encode()).hexdigest()
        seen = con.execute(
            "SELECT 1 FROM quarantine WHERE source_id = ? AND status = 'open' "
            "AND json_extract_string(details, '$.row_hash') = ?",
            [cfg.id, digest],
        ).fetchone()
        if seen:
            continue
        details = {"row_hash": digest, "raw": r.raw, "message": r.message}
        con.execute(
            "INSERT INTO quarantine VALUES (?, NULL, ?, ?, ?, ?, ?, 'open', now())",
            [
                cfg.id,
                run_id,
                r.file,
                r.row_number,
                [r.reason],
                json.dumps(details, ensure_ascii=False),
            ],
        )
        fresh += 1
    return fresh


def ingest(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, data_dir: Path, run_id: str
) -> IngestResult:
    """Read the source and land its new and changed rows; the caller owns the transaction.

    Leaves a temporary table ``_delta`` with the new and changed versions it landed.
    """
    result = IngestResult(cfg.id, run_id)
    state = _state(con, cfg.id)
    previous_watermark = state[0] if state else None
    previous_fp = json.loads(state[1]) if state and state[1] else {}
    previous_cols = json.loads(state[2]) if state and state[2] else None
    since = previous_watermark if cfg.sync.mode == "incremental" else None

    batches = list(read_source(cfg, data_dir, since=since))
    result.fingerprints = {b.file: b.fingerprint for b in batches}
    result.encodings = {b.file: b.encoding for b in batches}
    if (
        isinstance(cfg.connection, FileConnection)
        and previous_fp
        and result.fingerprints == previous_fp
    ):
        result.skipped = True
        result.watermark = previous_watermark
        result.columns = previous_cols or []
        con.execute("CREATE OR REPLACE TEMP TABLE _delta AS SELECT NULL AS _record_key LIMIT 0")
        return result

    table = _combine(batches)
    natives = [c for c in table.column_names if c not in ("_file", "_row_number")]
    result.columns = natives
    result.drift = _drift(cfg, previous_cols, natives)
    all_rejects = [r for b in batches for r in b.rejects]
    result.rows_read = table.num_rows + len(all_rejects)

    con.register("_batch", table)
    key_cols = [c for c in cfg.key if c in natives]
    key_expr = (
        "CASE WHEN "
        + " OR ".join(f"{q(c)} IS NULL" for c in key_cols)
        + " THEN NULL ELSE "
        + "concat_ws('|', "
        + ", ".join(q(c) for c in key_cols)
        + ") END"
        if len(key_cols) == len(cfg.key)
        else "NULL"
    )
    struct = ", ".join(f"{q(c)} := {q(c)}" for c in natives)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _in AS
        SELECT ? AS _load_id, _file, _row_number,
               {key_expr} AS _record_key,
               md5(CAST(to_json(struct_pack({struct})) AS VARCHAR)) AS _row_hash,
               {", ".join(q(c) for c in natives)}
        FROM _batch
        """,
        [run_id],
    )
    con.unregister("_batch")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ranked AS SELECT *, row_number() OVER "
        "(PARTITION BY _record_key ORDER BY _file, _row_number) AS _dup FROM _in"
    )

    raw, cur = raw_table(cfg.id), current_table(cfg.id)
    _ensure_tables(con, raw, cur, natives)

    # Door checks: rows without a key, and second occurrences of a key within the batch.
    door = con.execute(
        "SELECT _record_key, _file, _row_number, _row_hash, "
        "CASE WHEN _record_key IS NULL THEN 'complete.record_key' ELSE 'clean.duplicate_key' END "
        "FROM _ranked WHERE _record_key IS NULL OR _dup > 1"
    ).fetchall()
    result.rejected = _reject_rows(
        con,
        cfg,
        run_id,
        [
            Reject(f, n, reason, f"record key {k!r}" if k else "record key missing", h)
            for k, f, n, h, reason in door
        ],
    )
    result.unchanged += len(door) - result.rejected
    fresh_rejects = _reject_rows(con, cfg, run_id, all_rejects)
    result.unchanged += len(all_rejects) - fresh_rejects
    result.rejected += fresh_rejects

    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _delta AS
        SELECT r.* EXCLUDE (_dup), c._record_key IS NOT NULL AND NOT c._deleted AS _is_change
        FROM _ranked r LEFT JOIN {cur} c ON c._record_key = r._record_key
        WHERE r._record_key IS NOT NULL AND r._dup = 1
          AND (c._record_key IS NULL OR c._deleted OR c._row_hash <> r._row_hash)
        """
    )
    counts = con.execute(
        "SELECT count(*) FILTER (WHERE _is_change), count(*) FILTER (WHERE NOT _is_change) "
        "FROM _delta"
    ).fetchone()
    assert counts is not None
    result.changed, result.new = int(counts[0]), int(counts[1])
    good = con.execute("SELECT count(*) FROM _ranked WHERE _record_key IS NOT NULL AND _dup = 1")
    good_row = good.fetchone()
    result.unchanged += int(good_row[0] if good_row else 0) - result.new - result.changed

    cols = ", ".join(q(c) for c in (*META, *natives))
    con.execute(f"INSERT INTO {raw} ({cols}) SELECT {cols} FROM _delta")
    con.execute(
        f"""
        INSERT INTO {cur} (_record_key, _row_hash, _load_id, _file, _row_number, _deleted, _version)
        SELECT _record_key, _row_hash, _load_id, _file, _row_number, false, 1 FROM _delta
        ON CONFLICT (_record_key) DO UPDATE SET _row_hash = excluded._row_hash,
            _load_id = excluded._load_id, _file = excluded._file,
            _row_number = excluded._row_number, _deleted = false, _version = _version + 1
        """
    )
    if cfg.sync.mode == "full":
        row = con.execute(
            f"""
            UPDATE {cur} SET _deleted = true, _load_id = ?, _version = _version + 1
            WHERE NOT _deleted AND _record_key NOT IN
                (SELECT _record_key FROM _in WHERE _record_key IS NOT NULL)
            RETURNING _record_key
            """,
            [run_id],
        ).fetchall()
        result.tombstoned = len(row)
        con.execute(
            "UPDATE quarantine SET status = 'superseded' WHERE source_id = ? AND status = 'open' "
            "AND record_key IS NULL AND run_id <> ? AND json_extract_string(details, '$.row_hash') "
            "NOT IN (SELECT _row_hash FROM _ranked WHERE _record_key IS NULL OR _dup > 1)",
            [cfg.id, run_id],
        )
    result.watermark = _watermark(con, cfg, previous_watermark)
    return result


def _ensure_tables(con: duckdb.DuckDBPyConnection, raw: str, cur: str, natives: list[str]) -> None:
    if not table_exists(con, raw):
        cols = ", ".join(f"{q(c)} VARCHAR" for c in natives)
        con.execute(
            f"CREATE TABLE {raw} (_load_id VARCHAR, _file VARCHAR, _row_number BIGINT, "
            f"_record_key VARCHAR, _row_hash VARCHAR{', ' + cols if cols else ''})"
        )
    else:
        have = set(table_columns(con, raw))
        for c in natives:
            if c not in have:  # schema drift: keep the new column's data
                con.execute(f"ALTER TABLE {raw} ADD COLUMN {q(c)} VARCHAR")
    if not table_exists(con, cur):
        con.execute(
            f"CREATE TABLE {cur} (_record_key VARCHAR PRIMARY KEY, _row_hash VARCHAR, "
            "_load_id VARCHAR, _file VARCHAR, _row_number BIGINT, _deleted BOOLEAN, "
            "_version INTEGER)"
        )


def _watermark(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, previous: str | None
) -> str | None:
    col = cfg.sync.watermark
    if not col:
        return previous
    names = table_columns(con, "_delta")
    if col not in names:
        return previous
    row = con.execute(f"SELECT max({q(col)}) FROM _delta").fetchone()
    newest = row[0] if row else None
    if newest is None:
        return previous
    return newest if previous is None or newest > previous else previous
