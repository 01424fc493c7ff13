"""The review queue: records linking could not decide, and reviewers' decisions on them.

A decision is recorded in ``review_decisions`` and takes effect at once on ``links`` (a 'link'
sets the target with method 'reviewer'; 'not_a_match' clears a link to that target); the next
``link_sources`` run respects it (never relinks a reviewed record elsewhere, never proposes a
rejected pair again).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ndc.link.engine_profiles import BUSINESS, POPULATION
from ndc.link.engine_store import ensure_tables
from ndc.link.schemas import Candidate, Decision, ReviewItem
from ndc.pipeline.store import connect

DECISIONS = ("link", "not_a_match")
REGISTERS = {"person": POPULATION, "enterprise": BUSINESS}


class ReviewError(ValueError):
    """A decision that cannot be recorded (unknown record, bad decision, missing target)."""


def review_queue(
    data_dir: Path, source: str | None = None, entity: str | None = None, limit: int = 100
) -> list[ReviewItem]:
    """Records with status 'review', each with its candidates by rank."""
    con = connect(data_dir)
    try:
        ensure_tables(con)
        return list_queue(con, source, entity, limit)
    finally:
        con.close()


def list_queue(
    con: duckdb.DuckDBPyConnection, source: str | None, entity: str | None, limit: int
) -> list[ReviewItem]:
    where, params = ["l.status = 'review'"], []
    if source:
        where.append("l.source_id = ?")
        params.append(source)
    if entity:
        where.append("l.entity = ?")
        params.append(entity)
    rows = con.execute(
        f"""SELECT l.source_id, l.record_key, l.entity,
                   list(struct_pack(t := c.target_id, p := c.match_probability, r := c.rank)
                        ORDER BY c.rank) FILTER (c.target_id IS NOT NULL)
            FROM links l LEFT JOIN link_candidates c USING (source_id, record_key, entity)
            WHERE {" AND ".join(where)} GROUP BY ALL ORDER BY 1, 2, 3 LIMIT {int(limit)}""",
        params,
    ).fetchall()
    return [
        ReviewItem(
            source_id=s,
            record_key=k,
            entity=e,
            candidates=[
                Candidate(target_id=c["t"], match_probability=c["p"], rank=c["r"])
                for c in cands or []
            ],
        )
        for s, k, e, cands in rows
    ]


def record_decision(
    data_dir: Path,
    source_id: str,
    record_key: str,
    decision: str,
    target_id: str | None,
    reviewer: str,
    entity: str = "person",
    note: str | None = None,
) -> Decision:
    """Record a reviewer's decision and apply it to ``links`` at once."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not target_id:
        raise ReviewError("a decision names the register record (target_id) it is about")
    con = connect(data_dir)
    try:
        ensure_tables(con)
        found = con.execute(
            "SELECT status, target_id FROM links WHERE source_id = ? AND record_key = ? "
            "AND entity = ?",
            [source_id, record_key, entity],
        ).fetchall()
        if not found:
            raise ReviewError(f"no {entity} link record for {source_id}/{record_key}")
        register = REGISTERS.get(entity)
        if (
            decision == "link"
            and register
            and not con.execute(
                f"SELECT 1 FROM links WHERE source_id = '{register}' AND entity = ? "
                "AND method = 'master' AND target_id = ?",
                [entity, target_id],
            ).fetchall()
        ):
            raise ReviewError(f"{target_id} is not in the {register} register")
        now = datetime.now(UTC).replace(tzinfo=None)
        con.execute("BEGIN")
        con.execute(
            "INSERT INTO review_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, record_key, entity, target_id, decision, reviewer, now, note],
        )
        key = [source_id, record_key, entity]
        if decision == "link":
            con.execute(
                "UPDATE links SET target_id = ?, status = 'linked', method = 'reviewer', "
                "match_probability = 1.0, linked_at = ? "
                "WHERE source_id = ? AND record_key = ? AND entity = ?",
                [target_id, now, *key],
            )
        else:
            con.execute(
                "DELETE FROM link_candidates WHERE source_id = ? AND record_key = ? "
                "AND entity = ? AND target_id = ?",
                [*key, target_id],
            )
            if found[0][1] == target_id:
                con.execute(
                    "UPDATE links SET target_id = NULL, status = 'review', linked_at = ? "
                    "WHERE source_id = ? AND record_key = ? AND entity = ?",
                    [now, *key],
                )
        con.execute("COMMIT")
        return Decision(
            source_id=source_id,
            record_key=record_key,
            entity=entity,
            target_id=target_id,
            decision=decision,
            reviewer=reviewer,
            decided_at=now,
            note=note,
        )
    finally:
        con.close()
