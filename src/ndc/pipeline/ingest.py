"""Ingest: land raw rows unchanged, diff them against the versions in force, and account for
every row read (new, changed, unchanged, or quarantined at the door).

A full-mode source is a snapshot: keys that disappear become tombstones. An incremental source
sends only rows past its watermark. A re-run over unchanged files reads nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ndc.pipeline.store import current_table, one, raw_table, table_columns, table_exists
from ndc.sources.connectors import (
    RawBatch,
    Reject,
    file_fingerprint,
    read_source,
    resolve_files,
)
from ndc.sources.schemas import FileConnection, SourceConfig
from ndc.standardize.distinct import quote_identifier as q

META = ("_load_id", "_file", "_row_number", "_record_key", "_row_hash")


@dataclass
class Drift:
    kind: str  # new_column | missing_column | missing_mapped_column
    column: str
    detail: str = ""


@dataclass(frozen=True)
class ReadPlan:
    since: str | None  # watermark of an incremental source
    fingerprints: dict[str, str]  # files as they were at the last load


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
    types: dict[str, str] = field(default_factory=dict)
    drift: list[Drift] = field(default_factory=list)

    @property
    def to_process(self) -> int:
        return self.new + self.changed


def _state(con: duckdb.DuckDBPyConnection, source_id: str) -> Any:
    return one(
        con,
        "SELECT watermark, fingerprints, columns FROM sync_state WHERE source_id = ?",
        [source_id],
    )


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


def _drift(
    cfg: SourceConfig,
    previous: list[str] | None,
    now: list[str],
    types_before: dict[str, str],
    types_now: dict[str, str],
) -> list[Drift]:
    out: list[Drift] = []
    mapped = {m.column for m in cfg.mapping.values()} | set(cfg.key)
    for col in sorted(mapped - set(now)):
        out.append(Drift("missing_mapped_column", col, "mapped in the source config"))
    if previous is not None:
        for col in sorted(set(now) - set(previous)):
            out.append(Drift("new_column", col, "kept in the raw table; not mapped"))
        for col in sorted(set(previous) - set(now) - mapped):
            out.append(Drift("missing_column", col, "earlier loads had it"))
    for col in sorted(set(types_before) & set(types_now)):
        if types_before[col] != types_now[col] and "null" not in (
            types_before[col],
            types_now[col],
        ):
            detail = f"{types_before[col]} -> {types_now[col]}; kept as text in the raw table"
            out.append(Drift("retyped_column", col, detail))
    return out


def _reject_rows(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    run_id: str,
    rejects: list[Reject],
    seen: Counter[str],
) -> int:
    """Quarantine rows refused at the door. Each copy of a text counts: as many copies as are
    already open from earlier runs count as unchanged, the others are quarantined now. Adds
    every text's digest to ``seen``; returns how many were quarantined now."""
    if not rejects:
        return 0
    still_open = Counter(
        h
        for (h,) in con.execute(
            "SELECT json_extract_string(details, '$.row_hash') FROM quarantine "
            "WHERE source_id = ? AND status = 'open' AND record_key IS NULL AND run_id <> ?",
            [cfg.id, run_id],
        ).fetchall()
    )
    rows = []
    for r in rejects:
        digest = hashlib.sha256(r.raw.encode()).hexdigest()
        seen[digest] += 1
        if still_open[digest] > 0:
            still_open[digest] -= 1
            continue
        details = {"row_hash": digest, "raw": r.raw, "message": r.message}
        rows.append((cfg.id, run_id, r.file, r.row_number, [r.reason],
                     json.dumps(details, ensure_ascii=False)))  # fmt: skip
    if rows:
        # One set-based insert: a prepared statement per row costs milliseconds each in DuckDB.
        names = ("source_id", "run_id", "file", "row_number", "reasons", "details")
        columns = [list(c) for c in zip(*rows, strict=True)]
        con.register("_door", pa.table(dict(zip(names, columns, strict=True))))
        con.execute(
            "INSERT INTO quarantine SELECT source_id, NULL, run_id, file, row_number, reasons, "
            "details, 'open', now() FROM _door"
        )
        con.unregister("_door")
    return len(rows)


def _supersede_door(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, run_id: str, seen: Counter[str]
) -> None:
    """Refused rows of earlier runs that the snapshot no longer holds (as many copies as are
    gone) were fixed or withdrawn by the agency: their quarantine entries are closed."""
    allowance = Counter(seen)
    gone = []
    for rowid, digest in con.execute(
        "SELECT rowid, json_extract_string(details, '$.row_hash') FROM quarantine "
        "WHERE source_id = ? AND status = 'open' AND record_key IS NULL AND run_id <> ? "
        "ORDER BY created_at, rowid",
        [cfg.id, run_id],
    ).fetchall():
        if allowance[digest] > 0:
            allowance[digest] -= 1
        else:
            gone.append(rowid)
    if gone:
        con.execute(
            "UPDATE quarantine SET status = 'superseded' WHERE list_contains(?, rowid)", [gone]
        )


def read_plan(con: duckdb.DuckDBPyConnection, cfg: SourceConfig) -> ReadPlan:
    """What the next read of the source needs to know from its sync state."""
    state = _state(con, cfg.id)
    watermark = state[0] if state else None
    fingerprints = json.loads(state[1]) if state and state[1] else {}
    return ReadPlan(watermark if cfg.sync.mode == "incremental" else None, fingerprints)


def read_changed(cfg: SourceConfig, data_dir: Path, plan: ReadPlan) -> list[RawBatch] | None:
    """The source's batches, or None when its files are as they were at the last load (they are
    then not read at all). Safe to run in another thread: it does not touch the database."""
    if isinstance(cfg.connection, FileConnection) and plan.fingerprints:
        files = resolve_files(cfg.connection, data_dir)
        if files and {str(p): file_fingerprint(p) for p in files} == plan.fingerprints:
            return None
    return list(read_source(cfg, data_dir, since=plan.since))


def ingest(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    data_dir: Path,
    run_id: str,
    prefetched: Future[list[RawBatch] | None] | None = None,
) -> IngestResult:
    """Read the source (or take what a prefetch read) and land its new and changed rows; the
    caller owns the transaction. Leaves a temporary table ``_delta`` with what it landed."""
    result = IngestResult(cfg.id, run_id)
    state = _state(con, cfg.id)
    previous_watermark = state[0] if state else None
    columns_state = json.loads(state[2]) if state and state[2] else {}
    previous_cols: list[str] | None = columns_state.get("names")
    previous_types: dict[str, str] = columns_state.get("types", {})

    got = prefetched.result() if prefetched else read_changed(cfg, data_dir, read_plan(con, cfg))
    if got is None:
        result.skipped = True
        result.fingerprints = json.loads(state[1]) if state and state[1] else {}
        result.watermark = previous_watermark
        result.columns = previous_cols or []
        result.types = previous_types
        con.execute("CREATE OR REPLACE TEMP TABLE _delta AS SELECT NULL AS _record_key LIMIT 0")
        return result
    batches = got
    result.fingerprints = {b.file: b.fingerprint for b in batches}
    table = _combine(batches)
    natives = [c for c in table.column_names if c not in ("_file", "_row_number")]
    result.columns = natives
    result.types = {k: v for b in batches for k, v in b.types.items()}
    result.drift = _drift(cfg, previous_cols, natives, previous_types, result.types)
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
    # 64-bit hash of every native value, for change detection on the same key.
    hashed = ", ".join(f"coalesce({q(c)}, '\x00')" for c in natives) or "''"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW _in AS
        SELECT {"'" + run_id.replace("'", "''") + "'"} AS _load_id, _file, _row_number,
               {key_expr} AS _record_key,
               CAST(hash({hashed}) AS VARCHAR) AS _row_hash,
               {", ".join(q(c) for c in natives)}
        FROM _batch
        """
    )
    # Keys seen more than once: the first occurrence (file order, then line) is the record.
    # (Counting first and taking the first position only for repeated keys is cheaper than a
    # struct minimum over every key.)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dupkeys AS SELECT _record_key, "
        "min({'f': _file, 'n': _row_number}) AS _first FROM _in WHERE _record_key IN "
        "(SELECT _record_key FROM _in WHERE _record_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"
        " GROUP BY _record_key"
    )
    extra = "(d._first IS NOT NULL AND {'f': i._file, 'n': i._row_number} <> d._first)"
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _ranked AS SELECT i.*, "
        f"CASE WHEN i._record_key IS NULL OR {extra} THEN 2 ELSE 1 END AS _dup "
        "FROM _in i LEFT JOIN _dupkeys d ON d._record_key = i._record_key"
    )

    raw, cur = raw_table(cfg.id), current_table(cfg.id)
    _ensure_tables(con, raw, cur, natives)

    # Door checks: rows without a key, and second occurrences of a key within the batch.
    row_json = (
        f"CAST(to_json(struct_pack({', '.join(f'{q(c)} := {q(c)}' for c in natives)})) AS VARCHAR)"
    )
    door = con.execute(
        f"SELECT _record_key, _file, _row_number, {row_json}, "
        "CASE WHEN _record_key IS NULL THEN 'complete.record_key' ELSE 'clean.duplicate_key' END "
        "FROM _ranked WHERE _record_key IS NULL OR _dup > 1"
    ).fetchall()
    door_rejects = [
        Reject(f, n, reason, f"record key {k!r} seen earlier" if k else "record key missing", raw)
        for k, f, n, raw, reason in door
    ]
    seen: Counter[str] = Counter()
    for batch in (door_rejects, all_rejects):
        fresh = _reject_rows(con, cfg, run_id, batch, seen)
        result.rejected += fresh
        result.unchanged += len(batch) - fresh

    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _delta AS
        SELECT r.* EXCLUDE (_dup), c._record_key IS NOT NULL AND NOT c._deleted AS _is_change,
            coalesce(c._version, 0) + 1 AS _version
        FROM _ranked r LEFT JOIN {cur} c ON c._record_key = r._record_key
        WHERE r._record_key IS NOT NULL AND r._dup = 1
          AND (c._record_key IS NULL OR c._deleted OR c._row_hash <> r._row_hash)
        """
    )
    counts = one(
        con,
        "SELECT count(*) FILTER (WHERE _is_change), count(*) FILTER (WHERE NOT _is_change) "
        "FROM _delta",
    )
    result.changed, result.new = int(counts[0]), int(counts[1])
    # Rows with a key, first of their key: every row of the batch but those refused at the door.
    result.unchanged += table.num_rows - len(door_rejects) - result.new - result.changed

    cols = ", ".join(q(c) for c in (*META, *natives))
    con.execute(f"INSERT INTO {raw} ({cols}) SELECT {cols} FROM _delta")
    con.execute(f"DELETE FROM {cur} WHERE _record_key IN (SELECT _record_key FROM _delta)")
    con.execute(
        f"INSERT INTO {cur} SELECT _record_key, _row_hash, _load_id, _file, _row_number, false, "
        "_version FROM _delta"
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
        _supersede_door(con, cfg, run_id, seen)
    result.watermark = _watermark(con, cfg, previous_watermark)
    con.execute("DROP VIEW IF EXISTS _ranked; DROP VIEW IF EXISTS _in")
    con.unregister("_batch")
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
            f"CREATE TABLE {cur} (_record_key VARCHAR, _row_hash VARCHAR, "
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
    row = one(con, f"SELECT max({q(col)}) FROM _delta")
    newest = row[0] if row else None
    if newest is None:
        return previous
    return newest if previous is None or newest > previous else previous
