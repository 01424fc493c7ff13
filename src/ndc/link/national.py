"""National linking: every person-bearing record to the population register, every enterprise-
bearing record to the business register, written to ``links`` and ``link_candidates``.

Incremental by construction: ``link_inputs`` holds a fingerprint of what linking read from each
record; a run links only records that are new, changed, or not yet linked (review, unmatched),
against the whole register, and reuses the saved Splink model. Reviewers' decisions are applied
first and never overridden: a 'link' decision fixes the target, 'not_a_match' removes the pair.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ndc.link.config import LinkConfig
from ndc.link.engine import canonical_view, decide_sql, link_canonical
from ndc.link.engine_enterprise import link_enterprises
from ndc.link.engine_profiles import BUSINESS, POPULATION, Profile, person_select, profile
from ndc.link.engine_store import (
    ensure_tables,
    latest_decisions_sql,
    load_model,
    load_state,
    save_model,
    save_state,
)
from ndc.link.engine_util import count
from ndc.link.schemas import LinkRunReport, SourceLinkCounts
from ndc.pipeline.store import connect, table_exists


class LinkError(RuntimeError):
    """Linking cannot run (e.g. the population register has not been loaded)."""


def pipeline_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'std\\_%' "
        "ESCAPE '\\' ORDER BY 1"
    ).fetchall()
    return [r[0][4:] for r in rows]


def _in(values: list[str]) -> str:
    return (
        "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"
        if values
        else "(NULL)"
    )


def refresh_masters(
    con: duckdb.DuckDBPyConnection, source_id: str, entity: str, reg: str, run_id: str
) -> None:
    """A register's own rows are linked to themselves (method 'master')."""
    con.execute(
        f"""DELETE FROM links WHERE source_id = '{source_id}' AND entity = '{entity}'
            AND (record_key, target_id) NOT IN (SELECT record_key, uid FROM {reg})"""
    )
    con.execute(
        f"""INSERT INTO links SELECT '{source_id}', record_key, '{entity}', uid, 'linked',
                   'master', 1.0, ?, now() FROM {reg}
            WHERE record_key NOT IN (SELECT record_key FROM links
                                     WHERE source_id = '{source_id}' AND entity = '{entity}')""",
        [run_id],
    )


def prepare_todo(con: duckdb.DuckDBPyConnection, entity: str, selected: list[str]) -> None:
    """From ``lk_in`` (this run's active records): drop links of records gone from the sources,
    apply reviewers' 'link' decisions, and leave in ``lk_todo`` what must be (re)linked."""
    sel = _in(selected)
    for table in ("links", "link_candidates", "link_inputs"):
        con.execute(
            f"""DELETE FROM {table} WHERE entity = '{entity}' AND source_id IN {sel}
                AND (source_id, record_key) NOT IN (SELECT source_id, record_key FROM lk_in)"""
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE lk_dec AS {latest_decisions_sql(entity)}")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE lk_reviewed AS
           SELECT * FROM (
               SELECT DISTINCT ON (i.source_id, i.record_key) i.source_id, i.record_key,
                      d.target_id, i.fingerprint, d.decision
               FROM lk_in i JOIN lk_dec d USING (source_id, record_key)
               ORDER BY i.source_id, i.record_key, d.decided_at DESC)
           WHERE decision = 'link'"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE lk_todo AS SELECT i.* FROM lk_in i
            LEFT JOIN link_inputs s ON s.source_id = i.source_id
                 AND s.record_key = i.record_key AND s.entity = '{entity}'
            LEFT JOIN links k ON k.source_id = i.source_id
                 AND k.record_key = i.record_key AND k.entity = '{entity}'
            WHERE (s.fingerprint IS DISTINCT FROM i.fingerprint
                   OR k.status IS DISTINCT FROM 'linked' OR k.method = 'reviewer')
              AND (i.source_id, i.record_key) NOT IN
                  (SELECT source_id, record_key FROM lk_reviewed)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE lk_excl AS
           SELECT source_id || '|' || record_key AS uid_l, target_id AS uid_r FROM lk_dec
           WHERE decision = 'not_a_match' AND target_id IS NOT NULL"""
    )


def write_decided(
    con: duckdb.DuckDBPyConnection, entity: str, cfg: LinkConfig, run_id: str
) -> None:
    """Write links, candidates and fingerprints for ``lk_todo`` (scored pairs in ``lk_pairs``)
    and reviewer links for ``lk_reviewed``."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE lk_decided AS {decide_sql('lk_pairs', cfg)}")
    keys = (
        "(SELECT source_id, record_key FROM lk_todo UNION ALL "
        "SELECT source_id, record_key FROM lk_reviewed)"
    )
    for table in ("links", "link_candidates", "link_inputs"):
        con.execute(
            f"DELETE FROM {table} WHERE entity = '{entity}' AND (source_id, record_key) IN {keys}"
        )
    con.execute(
        f"""INSERT INTO links
            SELECT t.source_id, t.record_key, '{entity}',
                   CASE WHEN d.status = 'linked' THEN d.uid_r END,
                   coalesce(d.status, 'unmatched'), coalesce(d.method, 'probabilistic'),
                   coalesce(d.match_probability, 0.0), ?, now()
            FROM lk_todo t LEFT JOIN lk_decided d ON d.uid_l = t.uid AND d.rank = 1""",
        [run_id],
    )
    con.execute(
        f"""INSERT INTO links SELECT source_id, record_key, '{entity}', target_id, 'linked',
                   'reviewer', 1.0, ?, now() FROM lk_reviewed""",
        [run_id],
    )
    con.execute(
        f"""INSERT INTO link_candidates
            SELECT t.source_id, t.record_key, '{entity}', d.uid_r, d.match_probability, d.rank
            FROM lk_todo t JOIN lk_decided d ON d.uid_l = t.uid
            WHERE d.method <> 'deterministic'"""
    )
    con.execute(
        f"""INSERT INTO link_inputs SELECT source_id, record_key, '{entity}', fingerprint
            FROM (SELECT source_id, record_key, fingerprint FROM lk_todo
                  UNION ALL SELECT source_id, record_key, fingerprint FROM lk_reviewed)"""
    )


REGISTER = "link_register"


def refresh_register(con: duckdb.DuckDBPyConnection, reg: Profile) -> bool:
    """Keep the register's canonical rows in ``link_register``, rebuilt only when the register's
    linked columns changed (a hash over their fingerprints); True when rebuilt."""
    full = person_select(reg)
    version = hashlib.md5(full.encode()).hexdigest()[:12]  # the canonical form itself
    state = con.execute(
        f"SELECT '{version}:' || count(*) || ':' || coalesce(bit_xor(hash(fingerprint)), 0) "
        f"FROM ({person_select(reg, fingerprint_only=True)})"
    ).fetchall()[0][0]
    if table_exists(con, REGISTER) and load_state(con, REGISTER) == state:
        return False
    canonical_view(con, REGISTER, full, temp=False)
    save_state(con, REGISTER, state)
    return True


class _Lap:
    """Records the time since the previous lap under a step name."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into, self.t = into, time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.into[step] = self.into.get(step, 0.0) + now - self.t
        self.t = now


def link_persons(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, Profile],
    selected: list[str],
    cfg: LinkConfig,
    run_id: str,
    retrain: bool,
    report: LinkRunReport,
) -> None:
    lap = _Lap(report.timings)
    reg = profiles[POPULATION]
    if refresh_register(con, reg) or POPULATION in selected:
        refresh_masters(con, POPULATION, "person", REGISTER, run_id)
    lap("person_register")
    people = [profiles[s] for s in selected if s != POPULATION and s in profiles]
    people = [p for p in people if p.name]
    if not people:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_in AS "
        + " UNION ALL ".join(person_select(p, fingerprint_only=True) for p in people)
    )
    prepare_todo(con, "person", [p.source_id for p in people])
    con.execute("CREATE OR REPLACE TEMP TABLE lk_todo_keys AS SELECT * FROM lk_todo")
    sel = " UNION ALL ".join(person_select(p, "lk_todo_keys") for p in people)
    canonical_view(con, "lk_todo", sel)
    model = None if retrain else load_model(con, "person")
    if model is None:  # training also sees settled records: a sample of those not in this run
        con.execute(
            "CREATE OR REPLACE TEMP TABLE lk_pool_keys AS SELECT * FROM (SELECT source_id, "
            "record_key FROM lk_in EXCEPT SELECT source_id, record_key FROM lk_todo_keys) "
            f"USING SAMPLE reservoir({cfg.training.sample} ROWS) REPEATABLE ({cfg.training.seed})"
        )
        sel = " UNION ALL ".join(person_select(p, "lk_pool_keys") for p in people)
        canonical_view(con, "lk_pool_extra", sel)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW lk_pool AS SELECT * FROM lk_todo "
            "UNION ALL BY NAME SELECT * FROM lk_pool_extra"
        )
    lap("person_inputs")
    res = link_canonical(
        con, "lk_todo", REGISTER, cfg, model=model, exclude="lk_excl", pool="lk_pool"
    )
    report.residue = res.residue
    report.timings.update({f"person_{k}": v for k, v in res.timings.items()})
    if res.model is not None and res.model is not model and model is None:
        save_model(con, "person", res.model, run_id)
        report.trained = True
    lap("person_link")
    con.register("lk_pairs", res.pairs)
    write_decided(con, "person", cfg, run_id)
    con.unregister("lk_pairs")
    lap("person_write")


def source_counts(con: duckdb.DuckDBPyConnection, selected: list[str]) -> list[SourceLinkCounts]:
    rows = con.execute(
        f"""SELECT source_id, entity, count(*),
                   count(*) FILTER (status = 'linked'), count(*) FILTER (status = 'review'),
                   count(*) FILTER (status = 'unmatched'),
                   count(*) FILTER (status = 'linked' AND method = 'master'),
                   count(*) FILTER (status = 'linked' AND method = 'deterministic'),
                   count(*) FILTER (status = 'linked' AND method = 'probabilistic'),
                   count(*) FILTER (status = 'linked' AND method = 'reviewer')
            FROM links WHERE source_id IN {_in(selected)} GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall()
    names = list(SourceLinkCounts.model_fields)[:-1]
    return [SourceLinkCounts(**dict(zip(names, r, strict=False))) for r in rows]


def link_sources(
    data_dir: Path,
    sources: list[str] | None = None,
    run_id: str | None = None,
    config: LinkConfig | None = None,
    retrain: bool = False,
) -> LinkRunReport:
    """Link the pipeline's accepted records to the registers; see the module docstring.

    ``sources`` limits the run to those sources (the registers' own rows are refreshed when the
    register is among them or when no list is given).
    """
    start = time.perf_counter()
    cfg = config or LinkConfig()
    run_id = run_id or "link-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    con = connect(data_dir)
    try:
        ensure_tables(con)
        available = pipeline_sources(con)
        if POPULATION not in available:
            raise LinkError("the population register (source 'population') has not been loaded")
        selected = [s for s in (sources or available) if s in available]
        unknown = set(sources or []) - set(available)
        if unknown:
            raise LinkError(f"no standardised table for source(s): {', '.join(sorted(unknown))}")
        profiles = {s: p for s in selected if (p := profile(con, s)) is not None}
        for register in (POPULATION, BUSINESS):
            if register not in profiles and (p := profile(con, register)) is not None:
                profiles[register] = p
        report = LinkRunReport(run_id=run_id, seconds=0.0)
        con.execute("BEGIN")
        link_persons(con, profiles, selected, cfg, run_id, retrain, report)
        t = time.perf_counter()
        link_enterprises(con, profiles, selected, cfg, run_id)
        report.timings["enterprise"] = time.perf_counter() - t
        con.execute("COMMIT")
        report.sources = source_counts(con, sorted(set(selected) | {POPULATION}))
        for c in report.sources:
            c.linked_this_run = count(
                con,
                f"SELECT count(*) FROM links WHERE source_id = '{c.source_id}' "
                f"AND entity = '{c.entity}' AND run_id = '{run_id}'",
            )
        report.seconds = time.perf_counter() - start
        return report
    finally:
        con.close()
