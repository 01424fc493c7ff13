"""Run the integration pipeline for a source: ingest -> standardise -> validate, in one
transaction, ending with a run report whose counts reconcile (rows in = accepted + quarantined).

Bulk and incremental work share this one code path: a first run loads everything, later runs
only what changed.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ndc.dictionary import load_dictionary
from ndc.pipeline.fields import MappedField, resolve
from ndc.pipeline.ingest import IngestResult, ingest, read_changed, read_plan
from ndc.pipeline.standardize import build_std
from ndc.pipeline.store import (
    connect,
    current_table,
    drop_temp,
    drop_temps,
    raw_table,
    std_table,
    table_columns,
)
from ndc.quality.engine import Outcome, check_batch, merge_batch, write_scorecard
from ndc.quality.rules import Rule, connected_rules, field_rules
from ndc.quality.source_checks import source_checks
from ndc.sources.connectors import RawBatch, resolve_files
from ndc.sources.exceptions import SourceError
from ndc.sources.schemas import FileConnection, SourceConfig
from ndc.standardize.distinct import quote_identifier as q


@dataclass
class RunReport:
    run_id: str
    source_id: str
    status: str  # ok | failed
    rows_read: int = 0  # rows the source gave in this run
    unchanged: int = 0  # ... already loaded in the same version
    new: int = 0
    changed: int = 0
    rejected: int = 0  # ... quarantined at the door (unreadable, no key, duplicate key)
    accepted: int = 0  # processed rows accepted (maybe with warnings)
    quarantined: int = 0  # processed rows quarantined by a rule
    warned: int = 0
    tombstoned: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    message: str = ""
    drift: list[dict[str, str]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Rows that entered this run: new and changed versions, and rows refused at the door."""
        return self.new + self.changed + self.rejected

    @property
    def processed(self) -> int:
        return self.accepted + self.quarantined

    @property
    def quarantined_total(self) -> int:
        return self.quarantined + self.rejected

    @property
    def reconciled(self) -> bool:
        """Every row read is accounted for exactly once (a run that also processed rows left
        pending by an earlier ingest-only run may process more than it read)."""
        return self.rows_read == self.unchanged + self.rows_in and (
            self.processed >= self.new + self.changed or self.processed == 0
        )


Progress = Callable[[str, int], None]  # (source about to run, sources done)
# Source data read ahead of the source running, at most (by size on disk; a SQL source counts
# as SQL_SOURCE_BYTES): the batches wait in memory, as Arrow tables about that size.
READ_AHEAD_BYTES = 1 << 30
SQL_SOURCE_BYTES = 256 << 20


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _todo_from_delta(con: duckdb.DuckDBPyConnection, cfg: SourceConfig) -> None:
    """``_todo`` = the versions this run just landed (when nothing else was pending)."""
    have = set(table_columns(con, "_delta"))
    cols = ", ".join(
        q(c) if c in have else f"NULL::VARCHAR AS {q(c)}"
        for c in table_columns(con, raw_table(cfg.id))
    )
    drop_temp(con, "_todo")
    con.execute(f"CREATE TEMP VIEW _todo AS SELECT {cols} FROM _delta")


def _todo_pending(con: duckdb.DuckDBPyConnection, cfg: SourceConfig, scope: str) -> None:
    """``_todo`` = versions in force not yet standardised (``pending``), or to re-process
    (``quarantined`` rows after a fix or a rule change, or ``all``)."""
    if scope == "delta":
        _todo_from_delta(con, cfg)
        return
    raw, cur, std = raw_table(cfg.id), current_table(cfg.id), std_table(cfg.id)
    has_std = bool(table_columns(con, std))
    if scope == "all" or not has_std:
        extra = ""
    elif scope == "quarantined":
        extra = (
            f"AND c._record_key IN (SELECT _record_key FROM {std} WHERE _status = 'quarantined')"
        )
    else:
        extra = (
            f"AND NOT EXISTS (SELECT 1 FROM {std} s WHERE s._record_key = c._record_key "
            "AND s._load_id = c._load_id AND s._file = c._file AND s._row_number = c._row_number)"
        )
    drop_temp(con, "_todo")
    con.execute(
        f"""
        CREATE TEMP TABLE _todo AS SELECT r.*
        FROM {raw} r JOIN {cur} c ON c._record_key = r._record_key AND c._load_id = r._load_id
            AND c._file = r._file AND c._row_number = r._row_number
        WHERE NOT c._deleted {extra}
        """
    )


def _rules(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, fields: list[MappedField]
) -> list[Rule]:
    entity = load_dictionary().entity(cfg.entity)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    rules = field_rules(cfg, fields, entity.primary_key) + connected_rules(
        cfg.entity, fields, tables
    )
    rules = [
        r
        for r in rules
        if r.id not in cfg.disabled_rules and r.id.split(":")[0] not in cfg.disabled_rules
    ]
    return rules


class _Clock:
    """Accumulates wall time per pipeline step (reported so the dominant step is known)."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into, self.last = into, time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.into[step] = self.into.get(step, 0.0) + now - self.last
        self.last = now


def _process(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    run_id: str,
    now: datetime,
    scope: str,
    clock: _Clock,
) -> tuple[Outcome, list[Rule]]:
    """Standardise and validate the rows in ``scope`` and merge them into the std table."""
    fields = resolve(cfg)
    rules = _rules(con, cfg, fields)
    std = std_table(cfg.id)
    natives = table_columns(con, raw_table(cfg.id))
    if not natives:
        return Outcome(0, 0, 0), rules
    _todo_pending(con, cfg, scope)
    clock.lap("select")
    present = build_std(con, fields, natives)
    clock.lap("standardise")
    # Rules that only test a flag no value of this batch carries cannot fail: not evaluated.
    active = [r for r in rules if r.flag is None or r.flag in present]
    check_batch(con, active)
    clock.lap("validate")
    have = table_columns(con, std)
    if have and have != [*table_columns(con, "_checked"), "_deleted"]:
        # The mapping changed: rebuild the std table from every version in force.
        con.execute(f"DROP TABLE {std}")
        _todo_pending(con, cfg, "all")
        present = build_std(con, fields, natives)
        active = [r for r in rules if r.flag is None or r.flag in present]
        check_batch(con, active)
        have = []
    if not have:
        con.execute(f"CREATE TABLE {std} AS SELECT *, false AS _deleted FROM _checked LIMIT 0")
    outcome = merge_batch(con, cfg.id, std, run_id, active, now)
    clock.lap("merge")
    return outcome, rules


def _finish(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    run_id: str,
    rules: list[Rule],
    now: datetime,
) -> None:
    """Apply tombstones to the std table and score the source's current state."""
    std, cur = std_table(cfg.id), current_table(cfg.id)
    if not table_columns(con, std):
        return
    con.execute(
        f"UPDATE {std} SET _deleted = true WHERE _record_key IN "
        f"(SELECT _record_key FROM {cur} WHERE _deleted)"
    )
    con.execute(
        "UPDATE quarantine SET status = 'withdrawn' WHERE source_id = ? AND status = 'open' "
        f"AND record_key IN (SELECT _record_key FROM {cur} WHERE _deleted)",
        [cfg.id],
    )
    write_scorecard(con, cfg.id, std, run_id, rules, source_checks(con, cfg, std, now), now)


def run_source(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    data_dir: Path,
    steps: tuple[str, ...] = ("ingest", "process"),
    scope: str = "pending",
    prefetched: Future[list[RawBatch] | None] | None = None,
) -> RunReport:
    """One pipeline run of one source, in one transaction.

    ``steps``: ingest (land and diff), process (standardise + validate), or both. ``scope`` of
    process: ``pending`` (versions not yet processed), ``quarantined`` or ``all`` (re-process).
    """
    started = time.perf_counter()
    now = _now()
    run_id = f"{cfg.id}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    report = RunReport(run_id, cfg.id, "ok")
    con.execute("BEGIN TRANSACTION")
    clock = _Clock(report.timings)
    try:
        pending_before = _pending(con, cfg)
        if "ingest" in steps:
            res = ingest(con, cfg, data_dir, run_id, prefetched)
            clock.lap("ingest")
            report.rows_read, report.unchanged = res.rows_read, res.unchanged
            report.new, report.changed = res.new, res.changed
            report.tombstoned, report.rejected = res.tombstoned, res.rejected
            report.drift = [asdict(d) for d in res.drift]
            _save_state(con, cfg, res, run_id, now, pending="process" not in steps)
        if "process" in steps:
            if "ingest" in steps and scope == "pending" and not pending_before:
                scope = "delta"  # what this run landed is all there is to process
            outcome, rules = _process(con, cfg, run_id, now, scope, clock)
            if scope != "quarantined":  # every version in force has now been processed
                con.execute("UPDATE sync_state SET pending = false WHERE source_id = ?", [cfg.id])
            report.accepted, report.warned = outcome.accepted, outcome.warned
            report.quarantined = outcome.quarantined
            _finish(con, cfg, run_id, rules, now)
            clock.lap("score")
        report.seconds = time.perf_counter() - started
        _save_run(con, report, now)
        con.execute("COMMIT")
        clock.lap("commit")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if not isinstance(exc, (SourceError, ValueError)):
            raise
        report.status, report.message = "failed", str(exc)
        report.seconds = time.perf_counter() - started
        _save_run(con, report, now)
    finally:
        with contextlib.suppress(duckdb.Error):  # never hide the error that ended the run
            drop_temps(con)
    return report


def _pending(con: duckdb.DuckDBPyConnection, cfg: SourceConfig) -> bool:
    row = con.execute("SELECT pending FROM sync_state WHERE source_id = ?", [cfg.id]).fetchall()
    return bool(row and row[0][0])


def _save_state(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    res: IngestResult,
    run_id: str,
    now: datetime,
    pending: bool,
) -> None:
    con.execute(
        """
        INSERT INTO sync_state VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (source_id) DO UPDATE SET watermark = excluded.watermark,
            last_run_id = excluded.last_run_id, last_success = excluded.last_success,
            fingerprints = excluded.fingerprints, columns = excluded.columns,
            pending = excluded.pending OR sync_state.pending
        """,
        [cfg.id, res.watermark, run_id, now, json.dumps(res.fingerprints),
         json.dumps({"names": res.columns, "types": res.types}), pending],
    )  # fmt: skip
    for d in res.drift:
        con.execute(
            "INSERT INTO schema_drift VALUES (?, ?, ?, ?, ?)",
            [run_id, cfg.id, d.kind, d.column, d.detail],
        )


def _save_run(con: duckdb.DuckDBPyConnection, r: RunReport, started: datetime) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            r.run_id, r.source_id, started, _now(), r.status, r.rows_read, r.unchanged,
            r.rows_in, r.accepted, r.quarantined_total, r.tombstoned, r.warned, r.reconciled,
            r.message, json.dumps({"new": r.new, "changed": r.changed, "rejected": r.rejected,
                                   "processed": r.processed, "drift": r.drift,
                                   "timings": r.timings,
                                   "seconds": r.seconds}),
        ],
    )  # fmt: skip


def _source_bytes(cfg: SourceConfig, data_dir: Path) -> int:
    if isinstance(cfg.connection, FileConnection):
        return sum(p.stat().st_size for p in resolve_files(cfg.connection, data_dir))
    return SQL_SOURCE_BYTES


def run_pipeline(
    data_dir: Path,
    configs: list[SourceConfig],
    steps: tuple[str, ...] = ("ingest", "process"),
    scope: str = "pending",
    progress: Progress | None = None,
) -> list[RunReport]:
    """Run every source, master registers first so references can be checked."""
    order = {"population": 0, "business_registry": 1}
    ordered = sorted(configs, key=lambda c: (order.get(c.id, 9), c.id))
    con = connect(data_dir)
    # Sources ahead are read (Python, mostly) while this one runs in DuckDB (no GIL): on two
    # cores the reading is hidden behind the database work. Reading as far ahead as the memory
    # budget allows (at least the next source) keeps the second core busy through the long
    # runs of the large registers.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ndc-read")
    reads: dict[int, Future[list[RawBatch] | None]] = {}
    sizes = [_source_bytes(cfg, data_dir) for cfg in ordered] if "ingest" in steps else []
    submitted = 0

    def prefetch(running: int) -> None:
        nonlocal submitted
        while "ingest" in steps and submitted < len(ordered):
            held = sum(sizes[running:submitted])
            if submitted > running + 1 and held + sizes[submitted] > READ_AHEAD_BYTES:
                return
            cfg = ordered[submitted]
            reads[submitted] = pool.submit(read_changed, cfg, data_dir, read_plan(con, cfg))
            submitted += 1

    try:
        reports = []
        for i, cfg in enumerate(ordered):
            prefetch(i)
            if progress:
                progress(cfg.id, i)
            reports.append(run_source(con, cfg, data_dir, steps, scope, reads.pop(i, None)))
        con.execute("CHECKPOINT")
        return reports
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        con.close()
