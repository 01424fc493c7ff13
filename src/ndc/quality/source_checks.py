"""Source-level rules: live (freshness against the source's target) and shared (metadata)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from ndc.pipeline.store import one
from ndc.quality.rules import Principle, Rule, Severity
from ndc.sources.schemas import SourceConfig
from ndc.standardize.distinct import quote_identifier as q


def source_checks(
    con: duckdb.DuckDBPyConnection, cfg: SourceConfig, std: str, now: datetime
) -> list[tuple[Rule, bool]]:
    """Each check with whether the source passes it now."""
    checks: list[tuple[Rule, bool]] = []
    if cfg.freshness is not None:
        rule = Rule(
            "live.freshness", Principle.LIVE, Severity.WARNING,
            f"Newest record is older than {cfg.freshness.max_age}", "",
        )  # fmt: skip
        col = cfg.freshness.column
        newest = None
        if col:
            row = one(
                con,
                f"SELECT max(CAST({q(col.replace('.', '__'))} AS TIMESTAMP)) FROM {std} "
                "WHERE NOT _deleted",
            )
            newest = row[0] if row else None
        else:
            row = one(
                con,
                "SELECT max(finished_at) FROM runs WHERE source_id = ? AND status = 'ok' "
                "AND rows_in > 0",
                [cfg.id],
            )
            newest = row[0] if row else None
            newest = newest or now
        checks.append((rule, newest is not None and now - newest <= cfg.freshness.max_age))
    meta = [
        ("shared.owner", "Owner agency is declared", bool(cfg.owner.code and cfg.owner.name_vi)),
        ("shared.licence", "Sharing licence is declared", bool(cfg.licence)),
        (
            "shared.description",
            "Title in Vietnamese and English",
            bool(cfg.title_vi and cfg.title_en),
        ),
    ]
    for rule_id, text, ok in meta:
        checks.append((Rule(rule_id, Principle.SHARED, Severity.WARNING, text, ""), ok))
    return checks
