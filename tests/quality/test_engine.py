"""The rule engine: every row of a batch ends accepted (maybe with warnings) or quarantined with
its reason codes and offending values; merging replaces a key's previous version."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ndc.pipeline.store import connect
from ndc.quality.engine import (
    Outcome,
    check_batch,
    door_principle,
    merge_batch,
    scorecard,
    write_scorecard,
)
from ndc.quality.rules import Principle, Rule, Severity

NOW = datetime(2025, 7, 1, 9, 0)

REQUIRED = Rule(
    "complete.required:full_name", Principle.COMPLETE, Severity.ERROR, "name missing",
    "full_name IS NULL", ("full_name__raw",),
)  # fmt: skip
BAD_ID = Rule(
    "correct.identifier:person_id", Principle.CORRECT, Severity.ERROR, "bad id",
    "length(person_id) <> 12", ("person_id",),
)  # fmt: skip
OLD_PHONE = Rule(
    "unified.phone_migrated:phone", Principle.UNIFIED, Severity.WARNING, "old phone",
    "list_contains(_flags, 'phone:phone.migrated')", ("phone",),
)  # fmt: skip
RULES = [REQUIRED, BAD_ID, OLD_PHONE]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path)


def batch(con: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]]) -> None:
    """``_std`` as the standardise step leaves it."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _std (_record_key VARCHAR, _load_id VARCHAR, "
        "_file VARCHAR, _row_number BIGINT, person_id VARCHAR, full_name__raw VARCHAR, "
        "full_name VARCHAR, phone VARCHAR, _flags VARCHAR[])"
    )
    con.executemany("INSERT INTO _std VALUES (?, 'L1', 'f.csv', ?, ?, ?, ?, ?, ?)", rows)


ROWS = [
    ("k1", 2, "001090000001", "An", "An", "0912345678", []),
    ("k2", 3, "001090000002", "", None, "0321234567", ["phone:phone.migrated"]),
    ("k3", 4, "00109", "  ", None, None, []),
    ("k4", 5, "001090000004", "Dũng", "Dũng", "0321234567", ["phone:phone.migrated"]),
]


def checked(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[str], list[str]]]:
    got = con.execute("SELECT _record_key, _status, _errors, _warnings FROM _checked").fetchall()
    return {k: (s, list(e), list(w)) for k, s, e, w in got}


def test_check_batch_sorts_rows_by_severity(con: duckdb.DuckDBPyConnection) -> None:
    batch(con, ROWS)
    check_batch(con, RULES)
    assert checked(con) == {
        "k1": ("accepted", [], []),
        "k2": ("quarantined", ["complete.required:full_name"], ["unified.phone_migrated:phone"]),
        "k3": (
            "quarantined",
            ["complete.required:full_name", "correct.identifier:person_id"],
            [],
        ),
        "k4": ("accepted", [], ["unified.phone_migrated:phone"]),
    }


def test_null_condition_does_not_fail_a_row(con: duckdb.DuckDBPyConnection) -> None:
    batch(con, [("k1", 2, None, "An", "An", None, [])])
    check_batch(con, [BAD_ID])  # length(NULL) <> 12 is NULL: not a failure
    assert checked(con)["k1"][0] == "accepted"


def test_no_rules_accepts_everything(con: duckdb.DuckDBPyConnection) -> None:
    batch(con, ROWS)
    check_batch(con, [])
    assert {s for s, _, _ in checked(con).values()} == {"accepted"}


def _std_table(con: duckdb.DuckDBPyConnection) -> str:
    con.execute("CREATE TABLE std_t AS SELECT *, false AS _deleted FROM _checked LIMIT 0")
    return "std_t"


def test_merge_accounts_for_every_row(con: duckdb.DuckDBPyConnection) -> None:
    batch(con, ROWS)
    check_batch(con, RULES)
    std = _std_table(con)
    out = merge_batch(con, "t", std, "run-1", RULES, NOW)
    assert out == Outcome(accepted=2, quarantined=2, warned=1)
    assert out.accepted + out.quarantined == len(ROWS)
    assert con.execute(f"SELECT count(*) FROM {std}").fetchall() == [(4,)]
    q = con.execute(
        "SELECT record_key, run_id, file, row_number, reasons, details, status FROM quarantine "
        "ORDER BY record_key"
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3], list(r[4]), r[6]) for r in q] == [
        ("k2", "run-1", "f.csv", 3, ["complete.required:full_name"], "open"),
        ("k3", "run-1", "f.csv", 4,
         ["complete.required:full_name", "correct.identifier:person_id"], "open"),
    ]  # fmt: skip
    details = json.loads(q[1][5])
    assert details == [
        {"rule": "complete.required:full_name", "values": {"full_name__raw": "  "}},
        {"rule": "correct.identifier:person_id", "values": {"person_id": "00109"}},
    ]


def test_merge_replaces_previous_versions_and_supersedes_quarantine(
    con: duckdb.DuckDBPyConnection,
) -> None:
    batch(con, ROWS)
    check_batch(con, RULES)
    std = _std_table(con)
    merge_batch(con, "t", std, "run-1", RULES, NOW)
    # k2 fixed by the agency, k3 still broken.
    batch(con, [
        ("k2", 3, "001090000002", "Bình", "Bình", None, []),
        ("k3", 4, "00109", "Cường", "Cường", None, []),
    ])  # fmt: skip
    check_batch(con, RULES)
    out = merge_batch(con, "t", std, "run-2", RULES, NOW)
    assert (out.accepted, out.quarantined) == (1, 1)
    per_key = con.execute(f"SELECT _record_key, count(*), any_value(_status) FROM {std} GROUP BY 1")
    assert sorted(per_key.fetchall()) == [
        ("k1", 1, "accepted"), ("k2", 1, "accepted"), ("k3", 1, "quarantined"),
        ("k4", 1, "accepted"),
    ]  # fmt: skip
    q = con.execute(
        "SELECT record_key, run_id, status FROM quarantine ORDER BY record_key, run_id"
    ).fetchall()
    assert q == [
        ("k2", "run-1", "superseded"),
        ("k3", "run-1", "superseded"),
        ("k3", "run-2", "open"),
    ]


def test_scorecard_counts_rows_and_door_rejects(con: duckdb.DuckDBPyConnection) -> None:
    batch(con, ROWS)
    check_batch(con, RULES)
    std = _std_table(con)
    merge_batch(con, "t", std, "run-1", RULES, NOW)
    con.execute(
        "INSERT INTO quarantine VALUES ('t', NULL, 'run-1', 'f.csv', 9, ['ingest.column_count'], "
        "'{}', 'open', ?)",
        [NOW],
    )
    licence = Rule("shared.licence", Principle.SHARED, Severity.WARNING, "licence", "")
    write_scorecard(con, "t", std, "run-1", RULES, [(licence, False)], NOW)
    card = {r["rule_id"]: r for r in scorecard(con, "run-1")}
    assert card["complete.required:full_name"]["failed"] == 2
    assert card["complete.required:full_name"]["checked"] == 5  # 4 rows + 1 unreadable line
    assert card["correct.identifier:person_id"]["failed"] == 1
    assert card["unified.phone_migrated:phone"]["failed"] == 2  # warnings count too
    assert card["ingest.column_count"]["principle"] == "clean"
    assert card["ingest.column_count"]["failed"] == 1
    assert (card["shared.licence"]["checked"], card["shared.licence"]["failed"]) == (1, 1)


@pytest.mark.parametrize(
    ("reason", "principle"),
    [
        ("complete.record_key", Principle.COMPLETE),
        ("clean.duplicate_key", Principle.CLEAN),
        ("ingest.broken_quoting", Principle.CLEAN),
        ("ingest.invalid_json", Principle.CLEAN),
        ("correct.identifier:x", Principle.CORRECT),
    ],
)
def test_door_reasons_map_to_a_principle(reason: str, principle: Principle) -> None:
    assert door_principle(reason) is principle
