"""Exact-identifier links, for fixtures and benchmarks until ``ndc.link`` provides real ones.

Writes the shared ``links`` table of the linking contract (docs/golden-records.md): each
register row linked to itself (method ``master``), and each other record whose subject
identifier equals a register key exactly (method ``deterministic``); the rest ``unmatched``.
Real linking (valid identifier plus name and birth date, then Splink) belongs to ``ndc.link``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ndc.dictionary import load_dictionary
from ndc.golden.contributions import Contribution, contributions
from ndc.pipeline.fields import resolve
from ndc.pipeline.store import connect, std_table, table_columns, table_exists
from ndc.sources.schemas import SourceConfig
from ndc.sources.service import load_configs

LINKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    source_id VARCHAR, record_key VARCHAR, entity VARCHAR, target_id VARCHAR, status VARCHAR,
    method VARCHAR, match_probability DOUBLE, run_id VARCHAR, linked_at TIMESTAMP,
    PRIMARY KEY (source_id, record_key, entity)
)
"""
REGISTERS = {"person": "population", "enterprise": "business_registry"}


def subject_column(cfg: SourceConfig, entity: str) -> str | None:
    """The std column naming the record's subject: the register key for the register itself,
    else the first mapped field (config order) that references that key or is checked as one."""
    key = load_dictionary().entity(entity).primary_key
    check = {"person": "cccd", "enterprise": "mst"}[entity]
    for mf in resolve(cfg):
        f = mf.field
        if f is None:
            continue
        if mf.entity == entity and f.name == key:
            return mf.column
        if f.references == f"{entity}.{key}" or (f.check == check and f.name.endswith("holder_id")):
            return mf.column
    return None


def _link_source(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    entity: str,
    run_id: str,
    offers: list[Contribution],
) -> None:
    register = REGISTERS[entity]
    if cfg.id != register and not any(c.entity == entity for c in offers):
        return  # carries no attribute of that entity (an employer's MST is not a subject)
    col = subject_column(cfg, entity)
    if col is None or col not in table_columns(con, std_table(cfg.id)):
        return
    key = load_dictionary().entity(entity).primary_key
    method = "master" if cfg.id == register else "deterministic"
    con.execute(
        f"""INSERT INTO links
        SELECT '{cfg.id}', s._record_key, '{entity}', r.k,
               CASE WHEN r.k IS NULL THEN 'unmatched' ELSE 'linked' END,
               CASE WHEN r.k IS NULL THEN NULL ELSE '{method}' END,
               CASE WHEN r.k IS NULL THEN NULL ELSE 1.0 END, ?, now()
        FROM {std_table(cfg.id)} s
        LEFT JOIN (SELECT DISTINCT "{key}" AS k FROM {std_table(register)}
                   WHERE _status = 'accepted' AND NOT coalesce(_deleted, false)) r
               ON r.k = s."{col}"
        WHERE s._status = 'accepted' AND NOT coalesce(s._deleted, false)""",
        [run_id],
    )


def build_exact_links(data_dir: Path, run_id: str = "exact-links") -> int:
    """Replace ``links`` with exact-identifier links; return the number of linked records."""
    con = connect(data_dir)
    try:
        con.execute("BEGIN")
        # Dropped, not emptied: DuckDB re-inserting deleted primary keys in one transaction is
        # very slow (a 100,000-citizen nation: 100 s instead of 1 s).
        con.execute("DROP TABLE IF EXISTS links")
        con.execute(LINKS_SCHEMA)
        offered = contributions(con, data_dir)
        for entity, register in REGISTERS.items():
            if not table_exists(con, std_table(register)):
                continue
            for cfg in load_configs(data_dir):
                if table_exists(con, std_table(cfg.id)):
                    offers = [c for c in offered if c.source_id == cfg.id]
                    _link_source(con, cfg, entity, run_id, offers)
        con.execute("COMMIT")
        row = con.execute("SELECT count(*) FROM links WHERE status = 'linked'").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()
