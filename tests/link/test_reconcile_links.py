"""The ``links`` table built per the shared contract, for the reconciliation tests and benchmark:
exact identifier matches (CCCD, or the old CMND, against the population register; MST against the
business register), the registers' own rows as ``master``, and a few hand-made probabilistic and
review links taken from the synthetic ground truth (records whose identifier is faulty)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ndc.link.reconcile_fields import ENTERPRISE, PERSON, profile
from ndc.pipeline.store import std_table, table_exists
from ndc.sources.schemas import SourceConfig
from ndc.standardize.distinct import quote_identifier as q

LINKS = """
CREATE OR REPLACE TABLE links (
    source_id VARCHAR, record_key VARCHAR, entity VARCHAR, target_id VARCHAR, status VARCHAR,
    method VARCHAR, match_probability DOUBLE, run_id VARCHAR, linked_at TIMESTAMP,
    PRIMARY KEY (source_id, record_key, entity))
"""
IN_FORCE = "s._status = 'accepted' AND NOT s._deleted"
ID_FAULTS = ("id_digit_error", "id_digit_dropped", "id_missing")


def _insert(con: duckdb.DuckDBPyConnection, select: str) -> None:
    con.execute(f"INSERT INTO links {select}")


def build_links(
    con: duckdb.DuckDBPyConnection,
    configs: list[SourceConfig],
    truth_dir: Path | None = None,
    probabilistic: int = 0,
    review: int = 0,
) -> None:
    """Write ``links``; with ``truth_dir``, up to ``probabilistic`` unmatched records per source
    whose identifier was faulted become probabilistic links to their true person, and up to
    ``review`` more go to review."""
    con.execute(LINKS)
    pop, biz = std_table("population"), std_table("business_registry")
    tail = "'fixture', TIMESTAMP '2026-01-01'"
    _insert(
        con,
        f"SELECT 'population', _record_key, 'person', person_id, 'linked', 'master', "
        f"1.0, {tail} FROM {pop} s WHERE {IN_FORCE}",
    )
    _insert(
        con,
        f"SELECT 'business_registry', _record_key, 'enterprise', mst, 'linked', "
        f"'master', 1.0, {tail} FROM {biz} s WHERE {IN_FORCE}",
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ids AS SELECT person_id AS k, person_id AS id FROM {pop} "
        f"s WHERE {IN_FORCE} UNION ALL SELECT old_id_number, person_id FROM {pop} s "
        f"WHERE {IN_FORCE} AND old_id_number IS NOT NULL"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _msts AS SELECT DISTINCT mst FROM {biz} s WHERE {IN_FORCE}"
    )
    for cfg in configs:
        if cfg.id == "population" or not table_exists(con, std_table(cfg.id)):
            continue
        p = profile(cfg)
        std = std_table(cfg.id)
        ent_id = p.columns.get(ENTERPRISE, {}).get("id")
        is_ent = "false"  # business_registry: its records also name a person (representative)
        if ent_id and cfg.id != "business_registry":
            _insert(
                con,
                f"SELECT '{cfg.id}', s._record_key, 'enterprise', s.{q(ent_id)}, 'linked', "
                f"'deterministic', 1.0, {tail} FROM {std} s WHERE {IN_FORCE} AND s.{q(ent_id)} "
                "IN (SELECT mst FROM _msts)",
            )
            is_ent = f"coalesce(s.{q(ent_id)} IN (SELECT mst FROM _msts), false)"
        pid = p.columns.get(PERSON, {}).get("id")
        if pid is None:
            continue
        _insert(
            con,
            f"SELECT '{cfg.id}', s._record_key, 'person', i.id, if(i.id IS NULL, 'unmatched', "
            f"'linked'), if(i.id IS NULL, NULL, 'deterministic'), if(i.id IS NULL, NULL, 1.0), "
            f"{tail} FROM {std} s LEFT JOIN _ids i ON i.k = s.{q(pid)} WHERE {IN_FORCE} "
            f"AND NOT {is_ent} QUALIFY row_number() OVER (PARTITION BY s._record_key) = 1",
        )
        if truth_dir is None or not (probabilistic or review):
            continue
        truth = truth_dir / "truth" / f"{_synth_name(cfg)}.parquet"
        if not truth.exists():
            continue
        faulty = con.execute(
            f"SELECT l.record_key, t.true_id FROM links l JOIN '{truth}' t ON t.record_key = "
            f"l.record_key WHERE l.source_id = ? AND l.status = 'unmatched' AND l.entity = "
            f"'person' AND list_has_any(t.faults, {list(ID_FAULTS)}) AND t.true_id IN "
            "(SELECT id FROM _ids) ORDER BY l.record_key LIMIT ?",
            [cfg.id, probabilistic + review],
        ).fetchall()
        for i, (key, true_id) in enumerate(faulty):
            status, method = ("linked", "probabilistic") if i < probabilistic else ("review", None)
            con.execute(
                "UPDATE links SET target_id = ?, status = ?, method = ?, match_probability = ? "
                "WHERE source_id = ? AND record_key = ? AND entity = 'person'",
                [
                    true_id if status == "linked" else None,
                    status,
                    method,
                    0.97 if status == "linked" else None,
                    cfg.id,
                    key,
                ],
            )
    con.execute("DROP TABLE _ids")
    con.execute("DROP TABLE _msts")


SYNTH_NAMES = {
    "business_registry": "business_registration",
    "land_registry": "land_parcels",
}


def _synth_name(cfg: SourceConfig) -> str:
    """The synthetic generator's name of a source (its truth file)."""
    return SYNTH_NAMES.get(cfg.id, cfg.id)
