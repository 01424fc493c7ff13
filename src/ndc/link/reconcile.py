"""Reconciliation (đối soát) of every agency source against the registers.

For each source: how many records in force are linked to a register person or enterprise,
waiting for review, or unmatched; and the lists each agency must act on — values that differ
from the register's (with both values), identifiers that look wrong (with the likely correct
one), records of people who have died and of enterprises that were dissolved that the agency
still holds in force. Everything is computed set-based in DuckDB from the std tables and the
``links`` table, then written per agency as CSV and XLSX and summarised in one HTML page
(:mod:`ndc.link.reconcile_report`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ndc.link import reconcile_pairs as pairs
from ndc.link import reconcile_sql as sql
from ndc.link.reconcile_fields import ENTERPRISE, PERSON, profile
from ndc.pipeline.store import connect, drop_temp, table_exists
from ndc.sources.schemas import SourceConfig
from ndc.sources.service import load_configs

MASTERS = ("population",)  # a register reconciled against itself has nothing to report
# How each finding kind is broken down in the summaries: (first, second) column.
BREAKDOWN = {
    "field_discrepancies": ("field", "kind"),
    "wrong_identifiers": ("entity", "kind"),
    "deceased_active": ("rule", "status"),
    "dissolved_active": ("role", "register_status"),
}


class ReconcileError(Exception):
    """Reconciliation cannot run (no links yet, unknown source): terminal, not retryable."""


@dataclass(frozen=True)
class LinkCounts:
    """Link outcome of a source's records in force for one register (person or enterprise)."""

    entity: str
    linked: int = 0
    review: int = 0
    unmatched: int = 0
    methods: dict[str, int] = field(default_factory=dict)  # linked records by method

    @property
    def records(self) -> int:
        return self.linked + self.review + self.unmatched


@dataclass
class SourceReconciliation:
    """One agency source's reconciliation: counts, finding counts and the files written."""

    source_id: str
    title_vi: str
    title_en: str
    owner_vi: str
    owner_en: str
    records: int  # in force: accepted and not deleted
    quarantined: int
    links: list[LinkCounts]
    findings: dict[str, int]  # finding kind -> rows
    breakdown: dict[str, list[tuple[str, str, int]]]  # finding kind -> (field/role, kind, rows)
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: compute, csv, xlsx

    @property
    def matched(self) -> int:
        return sum(c.linked for c in self.links)

    @property
    def unmatched(self) -> int:
        return sum(c.unmatched for c in self.links)

    @property
    def ambiguous(self) -> int:
        return sum(c.review for c in self.links)


Progress = Callable[[str, int], None]  # (source about to be reconciled, sources done)


def _sizes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Source id -> estimated rows of its std table (sources without one are left out)."""
    rows = con.execute(
        "SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT temporary "
        "AND table_name LIKE 'std\\_%' ESCAPE '\\'"
    ).fetchall()
    return {str(name)[4:]: int(n or 0) for name, n in rows}


def _timed(fn: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def _select(configs: list[SourceConfig], sources: list[str] | None) -> list[SourceConfig]:
    if not sources:
        return [c for c in configs if c.id not in MASTERS]
    known = {c.id for c in configs}
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise ReconcileError(f"unknown source(s): {', '.join(unknown)}")
    return [c for c in configs if c.id in sources]


def _counts(rows: list[tuple[str, str, str, int]]) -> list[LinkCounts]:
    by: dict[str, dict[str, int]] = {}
    methods: dict[str, dict[str, int]] = {}
    for entity, status, method, n in rows:
        by.setdefault(entity, {})
        by[entity][status] = by[entity].get(status, 0) + n
        if status == "linked":
            m = methods.setdefault(entity, {})
            m[method] = m.get(method, 0) + n
    order = {PERSON: 0, ENTERPRISE: 1}
    return [
        LinkCounts(
            e, v.get("linked", 0), v.get("review", 0), v.get("unmatched", 0), methods.get(e, {})
        )
        for e, v in sorted(by.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))
    ]


def reconcile_source(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, registers: set[str]
) -> SourceReconciliation:
    """One source's counts, and its findings into the ``_rc_*`` temp tables."""
    started = time.perf_counter()
    p = profile(cfg)
    records, quarantined = pairs.in_force_counts(con, cfg.id)
    counts = _counts(pairs.link_counts(con, p))
    for entity in (PERSON, ENTERPRISE):
        if entity not in registers or not pairs.create_pairs(con, p, entity):
            continue
        sql.field_discrepancies(con, p, entity)
        sql.wrong_identifiers(con, p, entity)
        if entity == PERSON:
            sql.deceased_active(con, p)
        else:
            sql.dissolved_self(con, p)
    if ENTERPRISE in registers:
        sql.dissolved_employers(con, p)
    sql.drop_tone_only(con, cfg.id)
    drop_temp(con, "_rc_pairs")
    findings: dict[str, int] = {}
    breakdown: dict[str, list[tuple[str, str, int]]] = {}
    for kind in pairs.KINDS:
        first, second = BREAKDOWN[kind]
        rows = con.execute(
            f"SELECT coalesce({first}, ''), coalesce({second}, ''), count(*) "
            f"FROM _rc_{kind} WHERE source_id = ? GROUP BY ALL ORDER BY 3 DESC, 1, 2",
            [cfg.id],
        ).fetchall()
        breakdown[kind] = [(str(a), str(b), int(n)) for a, b, n in rows]
        findings[kind] = sum(n for _, _, n in breakdown[kind])
    return SourceReconciliation(
        source_id=cfg.id,
        title_vi=cfg.title_vi,
        title_en=cfg.title_en,
        owner_vi=cfg.owner.name_vi,
        owner_en=cfg.owner.name_en,
        records=records,
        quarantined=quarantined,
        links=counts,
        findings=findings,
        breakdown=breakdown,
        seconds=time.perf_counter() - started,
    )


def reconcile(
    data_dir: Path,
    sources: list[str] | None = None,
    out: Path | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    progress: Progress | None = None,
) -> list[SourceReconciliation]:
    """Reconcile the sources (default: every agency source with a std table) and write, under
    ``out`` (default ``<data_dir>/reports/reconciliation``), one folder per source with CSV files
    and an XLSX workbook, plus ``reconciliation.html`` and ``reconciliation.json``.

    Needs the ``links`` table written by linking; raises :class:`ReconcileError` without it.
    """
    from ndc.link.reconcile_report import export_source, write_summary, write_workbook

    out = out or data_dir / "reports" / "reconciliation"
    own = con is None
    db = connect(data_dir) if con is None else con
    pool: ThreadPoolExecutor | None = None
    try:
        if not table_exists(db, "links"):
            raise ReconcileError(
                "no 'links' table in the pipeline database: run linking before reconciliation"
            )
        sizes = _sizes(db)
        configs = [c for c in _select(load_configs(data_dir), sources) if c.id in sizes]
        # Workbooks (pure Python, the slowest part) are written in a thread while DuckDB
        # computes the next source: smallest source first, so the thread starts early.
        configs.sort(key=lambda c: (sizes[c.id], c.id))
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ndc-xlsx")
        pairs.create_tables(db)
        registers = pairs.create_masters(db)
        results: list[tuple[SourceReconciliation, Future[float]]] = []
        for i, cfg in enumerate(configs):
            if progress:
                progress(cfg.id, i)
            result = reconcile_source(db, cfg, registers)
            started = time.perf_counter()
            tables = export_source(db, result, out / cfg.id)
            result.timings = {"compute": result.seconds, "csv": time.perf_counter() - started}
            for kind in pairs.KINDS:
                db.execute(f"DELETE FROM _rc_{kind}")
            results.append((result, pool.submit(_timed, write_workbook, result, tables)))
        for result, done in results:
            result.timings["xlsx"] = done.result()
            result.seconds = sum(result.timings.values())
        done_results = sorted((r for r, _ in results), key=lambda r: r.source_id)
        write_summary(done_results, out)
        return done_results
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        for name in (
            "_rc_m_person",
            "_rc_m_enterprise",
            "_rc_communes",
            *(f"_rc_{k}" for k in pairs.KINDS),
        ):
            drop_temp(db, name)
        if own:
            db.close()
