"""Apply the rules to a standardised batch, set-based, and account for every row: accepted (with
warnings) or quarantined (with reason codes and the offending values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from ndc.pipeline.store import one
from ndc.quality.rules import Principle, Rule, Severity
from ndc.standardize.distinct import quote_identifier as q


@dataclass
class Outcome:
    accepted: int
    quarantined: int
    warned: int  # accepted rows that carry at least one warning


def _list(rules: list[Rule]) -> str:
    if not rules:
        return "[]::VARCHAR[]"
    items = ", ".join(
        f"CASE WHEN coalesce(({r.condition}), false) THEN '{r.id}' END" for r in rules
    )
    return f"list_filter([{items}], lambda x: x IS NOT NULL)"


def _details(rules: list[Rule]) -> str:
    """Offending values of each failed error rule, as a list of {rule, values} structs."""
    parts = []
    for r in rules:
        if r.severity is not Severity.ERROR:
            continue
        pairs = ", ".join(f"'{c}': CAST({q(c)} AS VARCHAR)" for c in r.columns) or "'-': NULL"
        parts.append(
            f"CASE WHEN list_contains(_errors, '{r.id}') THEN "
            f"{{'rule': '{r.id}', 'values': MAP {{{pairs}}}}} END"
        )
    if not parts:
        return "NULL"
    return f"to_json(list_filter([{', '.join(parts)}], lambda x: x IS NOT NULL))"


def check_batch(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> str:
    """Create ``_checked``: ``_std`` with ``_errors``, ``_warnings`` and ``_status``.

    Only the verdicts are materialised (a narrow table); ``_checked`` is a view joining them to
    the standardised rows, so the wide rows are copied once, into the std table, not twice."""
    errors = [r for r in rules if r.severity is Severity.ERROR]
    warnings = [r for r in rules if r.severity is Severity.WARNING]
    for r in rules:
        if r.prepare:
            con.execute(r.prepare)
    con.execute("DROP VIEW IF EXISTS _checked")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _verdict AS SELECT _record_key, _errors, _warnings, "
        f"CASE WHEN len(_errors) > 0 THEN 'quarantined' ELSE 'accepted' END AS _status "
        f"FROM (SELECT _record_key, CAST({_list(errors)} AS VARCHAR[]) AS _errors, "
        f"CAST({_list(warnings)} AS VARCHAR[]) AS _warnings FROM _std)"
    )
    con.execute(
        "CREATE TEMP VIEW _checked AS SELECT s.*, v._errors, v._warnings, v._status "
        "FROM _std s JOIN _verdict v ON v._record_key = s._record_key"
    )
    return "_checked"


def merge_batch(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    std: str,
    run_id: str,
    rules: list[Rule],
    now: datetime,
) -> Outcome:
    """Replace the batch's record keys in the std table and quarantine its failed rows."""
    con.execute(
        "UPDATE quarantine SET status = 'superseded' WHERE source_id = ? AND status = 'open' "
        "AND record_key IN (SELECT _record_key FROM _verdict)",
        [source_id],
    )
    con.execute(
        f"""
        INSERT INTO quarantine
        SELECT ?, _record_key, ?, _file, _row_number, _errors, {_details(rules)}, 'open', ?
        FROM _checked WHERE _status = 'quarantined'
        """,
        [source_id, run_id, now],
    )
    con.execute(f"DELETE FROM {std} WHERE _record_key IN (SELECT _record_key FROM _verdict)")
    con.execute(f"INSERT INTO {std} BY NAME SELECT *, false AS _deleted FROM _checked")
    row = one(
        con,
        "SELECT count(*) FILTER (WHERE _status = 'accepted'), "
        "count(*) FILTER (WHERE _status = 'quarantined'), "
        "count(*) FILTER (WHERE _status = 'accepted' AND len(_warnings) > 0) FROM _verdict",
    )
    return Outcome(int(row[0]), int(row[1]), int(row[2]))


DOOR_PRINCIPLE = {
    "complete.record_key": Principle.COMPLETE,
}


def door_principle(reason: str) -> Principle:
    """Principle of a reason code given at ingest (structural damage counts as not clean)."""
    head = reason.split(".", 1)[0]
    if reason in DOOR_PRINCIPLE:
        return DOOR_PRINCIPLE[reason]
    try:
        return Principle(head)
    except ValueError:
        return Principle.CLEAN


def write_scorecard(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    std: str,
    run_id: str,
    rules: list[Rule],
    source_checks: list[tuple[Rule, bool]],
    now: datetime,
) -> None:
    """Score the source's current state, per rule, for this run (kept for every run)."""
    total_row = one(con, f"SELECT count(*) FROM {std} WHERE NOT _deleted")
    total = int(total_row[0]) if total_row else 0
    counts = dict(
        con.execute(
            f"SELECT r, count(*) FROM (SELECT unnest(list_concat(_errors, _warnings)) AS r "
            f"FROM {std} WHERE NOT _deleted) GROUP BY r"
        ).fetchall()
    )
    door = con.execute(
        "SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM quarantine "
        "WHERE source_id = ? AND status = 'open' AND record_key IS NULL) GROUP BY r",
        [source_id],
    ).fetchall()
    door_total = sum(int(n) for _, n in door)
    rows = [
        (run_id, source_id, r.principle.value, r.id, r.severity.value, total + door_total,
         int(counts.get(r.id, 0)), now)
        for r in rules
    ]  # fmt: skip
    rows += [
        (run_id, source_id, door_principle(reason).value, reason, "error", total + door_total,
         int(n), now)
        for reason, n in door
    ]  # fmt: skip
    rows += [
        (run_id, source_id, r.principle.value, r.id, r.severity.value, 1, 0 if ok else 1, now)
        for r, ok in source_checks
    ]  # fmt: skip
    if rows:
        con.executemany("INSERT INTO scorecards VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def scorecard(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, object]]:
    """The scorecard rows of one run, as dictionaries (for tables, JSON and HTML)."""
    cur = con.execute(
        "SELECT source_id, principle, rule_id, severity, checked, failed FROM scorecards "
        "WHERE run_id = ? ORDER BY principle, rule_id",
        [run_id],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
