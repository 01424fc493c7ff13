"""Scorecard reports: scores a data engineer can trust, and an HTML page safe to mail around."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ndc.pipeline.store import connect, std_table
from ndc.quality.report import (
    history,
    latest_runs,
    principle_scores,
    scorecard_json,
    write_reports,
)
from ndc.quality.rules import PRINCIPLE_VI, Principle

T0 = datetime(2025, 7, 1, 8, 0, 0)
EVIL = "<script>alert('x')</script>"


def _std(con: duckdb.DuckDBPyConnection, source_id: str, rows: list[dict[str, object]]) -> None:
    """A std table shaped like the pipeline's: ids and names with their raw values and outcome."""
    con.execute(
        f"CREATE TABLE {std_table(source_id)} (_record_key VARCHAR, _load_id VARCHAR, "
        "_file VARCHAR, _row_number BIGINT, person_id__raw VARCHAR, person_id VARCHAR, "
        "full_name__raw VARCHAR, full_name VARCHAR, _flags VARCHAR[], _errors VARCHAR[], "
        "_warnings VARCHAR[], _status VARCHAR, _deleted BOOLEAN)"
    )
    for i, r in enumerate(rows, start=1):
        errors = list(r.get("errors", []))  # type: ignore[call-overload]
        pid = str(r.get("pid", f"0011900{i:05d}"))
        con.execute(
            f"INSERT INTO {std_table(source_id)} VALUES (?, 'load-1', 'nhan_khau.csv', ?, ?, ?, "
            "?, ?, [], ?, ?, ?, ?)",
            [pid, i + 1, pid, pid, f"Nguyễn Văn {i}", f"Nguyễn Văn {i}", errors,
             list(r.get("warnings", [])), "quarantined" if errors else "accepted",  # type: ignore[call-overload]
             bool(r.get("deleted", False))],
        )  # fmt: skip


def _run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    source_id: str,
    at: datetime,
    counts: tuple[int, int, int, int],
    status: str = "ok",
    reconciled: bool = True,
) -> None:
    read, unchanged, accepted, quarantined = counts
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, '', ?)",
        [run_id, source_id, at, at + timedelta(seconds=3), status, read, unchanged,
         accepted + quarantined, accepted, quarantined, reconciled,
         json.dumps({"new": accepted + quarantined, "changed": 0, "drift": [], "seconds": 3.0})],
    )  # fmt: skip


def _card(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    source_id: str,
    at: datetime,
    rules: list[tuple[str, str, int, int]],
) -> None:
    """Scorecard rows as the engine writes them: (rule id, severity, checked, failed)."""
    con.executemany(
        "INSERT INTO scorecards VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, source_id, rid.split(".")[0] if not rid.startswith("ingest.") else "clean",
          rid, sev, checked, failed, at) for rid, sev, checked, failed in rules],
    )  # fmt: skip


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Population: 10 rows + 1 unreadable line. Row 1 fails two 'correct' rules, row 2 a third
    'correct' rule, row 3 has damaged encoding; the line has the wrong number of columns."""
    con = connect(tmp_path)
    rows: list[dict[str, object]] = [{} for _ in range(10)]
    rows[0] = {"pid": "0011900001", "errors": ["correct.identifier:person_id"],
               "warnings": ["correct.cccd_birth_year:person_id"]}  # fmt: skip
    rows[1] = {"warnings": ["correct.date:date_of_birth"]}
    rows[2] = {"errors": ["clean.encoding_damage:full_name"]}
    _std(con, "population", rows)
    con.execute(
        "INSERT INTO quarantine VALUES ('population', NULL, 'pop-2', 'nhan_khau.csv', 12, "
        "['ingest.column_count'], ?, 'open', ?)",
        [json.dumps({"row_hash": "ab12", "raw": "001190000099;Lê Thị;X;Y", "message": "5 != 4"}),
         T0 + timedelta(days=1)],
    )  # fmt: skip
    # First run: before the fixes, two rows failed the identifier rule.
    _run(con, "pop-1", "population", T0, (11, 0, 7, 4))
    _card(con, "pop-1", "population", T0, [
        ("correct.identifier:person_id", "error", 11, 2),
        ("correct.date:date_of_birth", "warning", 11, 2),
        ("complete.required:full_name", "error", 11, 1),
        ("clean.encoding_damage:full_name", "error", 11, 1),
        ("live.freshness", "warning", 1, 1),
        ("shared.owner", "warning", 1, 0),
        ("shared.licence", "warning", 1, 1),
    ])  # fmt: skip
    later = T0 + timedelta(days=1)
    _run(con, "pop-2", "population", later, (11, 0, 8, 3))
    _card(con, "pop-2", "population", later, [
        ("correct.identifier:person_id", "error", 11, 1),
        ("correct.cccd_birth_year:person_id", "warning", 11, 1),
        ("correct.date:date_of_birth", "warning", 11, 1),
        ("complete.required:full_name", "error", 11, 0),
        ("clean.encoding_damage:full_name", "error", 11, 1),
        ("ingest.column_count", "error", 11, 1),
        ("live.freshness", "warning", 1, 0),
        ("shared.owner", "warning", 1, 0),
        ("shared.licence", "warning", 1, 1),
    ])  # fmt: skip
    # A second source whose id and rule ids carry markup, and whose std table is gone.
    _run(con, "evil-1", EVIL, later, (5, 1, 3, 1))
    _card(con, "evil-1", EVIL, later, [(f"correct.pattern:{EVIL}", "error", 4, 1)])
    # A source whose last run failed (nothing scored).
    _run(con, "tax-1", "tax", later, (0, 0, 0, 0), status="failed")
    return con


def _by_principle(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float | None]:
    return {s.principle.value: s.score for s in principle_scores(con, run_id)}


def test_row_failing_two_rules_of_a_principle_counts_once(con: duckdb.DuckDBPyConnection) -> None:
    scores = {s.principle: s for s in principle_scores(con, "pop-2")}
    # 11 checked (10 rows + 1 door reject); rows 1 and 2 fail 'correct' -> 9/11, not 10/11.
    assert scores[Principle.CORRECT].checked == 11
    assert scores[Principle.CORRECT].failed == 2
    assert scores[Principle.CORRECT].exact
    # 'clean': row 3 (encoding) and the unreadable line (structural damage is not clean).
    assert scores[Principle.CLEAN].failed == 2
    assert scores[Principle.COMPLETE].score == 100.0
    # Source-level principles: share of checks passed.
    assert scores[Principle.LIVE].score == 100.0
    assert scores[Principle.SHARED].score == 50.0
    # Nothing checked for these: no score rather than a fake 100 %.
    assert scores[Principle.CONNECTED].score is None
    assert scores[Principle.UNIFIED].score is None


def test_ten_rows_two_failing_correct_score_80(tmp_path: Path) -> None:
    con = connect(tmp_path)
    rows: list[dict[str, object]] = [{} for _ in range(10)]
    rows[0] = {"errors": ["correct.identifier:person_id"],
               "warnings": ["correct.cccd_sex:person_id"]}  # fmt: skip
    rows[5] = {"errors": ["correct.identifier:person_id"]}
    rows[7] = {"deleted": True, "errors": ["correct.identifier:person_id"]}  # tombstoned: ignored
    _std(con, "population", rows)
    _run(con, "r1", "population", T0, (10, 0, 8, 2))
    _card(con, "r1", "population", T0, [
        ("correct.identifier:person_id", "error", 10, 2),
        ("correct.cccd_sex:person_id", "warning", 10, 1),
    ])  # fmt: skip
    score = _by_principle(con, "r1")["correct"]
    assert score == pytest.approx(80.0)


def test_past_runs_are_estimated_from_rule_counts(con: duckdb.DuckDBPyConnection) -> None:
    scores = {s.principle: s for s in principle_scores(con, "pop-1")}
    assert not scores[Principle.CORRECT].exact
    assert scores[Principle.CORRECT].failed == 2  # largest rule count, a lower bound
    assert scores[Principle.LIVE].score == 0.0


def test_history_is_oldest_first_with_overall(con: duckdb.DuckDBPyConnection) -> None:
    points = history(con, "population")
    assert [p.run_id for p in points] == ["pop-1", "pop-2"]
    last = _by_principle(con, "pop-2")
    assert points[-1].scores == last
    checked = [v for v in last.values() if v is not None]
    assert points[-1].overall == pytest.approx(sum(checked) / len(checked))
    assert points[0].overall is not None and points[0].overall < points[-1].overall
    assert history(con, "tax") == []


def test_latest_runs_one_per_source(con: duckdb.DuckDBPyConnection) -> None:
    runs = {r.source_id: r for r in latest_runs(con)}
    assert set(runs) == {"population", EVIL, "tax"}
    assert runs["population"].run_id == "pop-2"
    assert runs["tax"].status == "failed"


def test_json_reconciliation_matches_runs_table(con: duckdb.DuckDBPyConnection) -> None:
    ids = [r.run_id for r in latest_runs(con)]
    card = scorecard_json(con, ids)
    json.dumps(card)  # serialisable as is
    for source in card["sources"]:
        run = source["run"]
        read, unchanged, accepted, quarantined, reconciled = con.execute(
            "SELECT rows_read, unchanged, accepted, quarantined, reconciled FROM runs "
            "WHERE run_id = ?",
            [run["run_id"]],
        ).fetchone()  # type: ignore[misc]
        assert (run["rows_read"], run["unchanged"], run["accepted"], run["quarantined"]) == (
            read, unchanged, accepted, quarantined,
        )  # fmt: skip
        assert run["reconciled"] is reconciled
        assert run["reconciliation"]["holds"] == (read == unchanged + accepted + quarantined)
        assert run["reconciliation"]["text"].startswith(f"{read} = {unchanged} + {accepted}")
    pop = next(s for s in card["sources"] if s["source_id"] == "population")
    assert [p["principle"] for p in pop["principles"]] == [p.value for p in Principle]
    rule = next(r for r in pop["rules"] if r["rule_id"] == "ingest.column_count")
    assert (rule["checked"], rule["failed"], rule["severity"]) == (11, 1, "error")
    assert rule["description_vi"] == "Sai số cột"


def test_unknown_run_id_is_an_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(LookupError, match="nope"):
        scorecard_json(con, ["pop-2", "nope"])


def test_html_is_self_contained_complete_and_escaped(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ids = [r.run_id for r in latest_runs(con)]
    json_path, html_path = write_reports(con, ids, tmp_path / "out")
    html = html_path.read_text(encoding="utf-8")
    assert json.loads(json_path.read_text(encoding="utf-8"))["sources"]
    # Nothing fetched from elsewhere: it must open offline, from a mail or an archive.
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|iframe|img)\b", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    assert "<svg" in html
    assert "Bảng điểm chất lượng dữ liệu" in html and "Data quality scorecard" in html
    for source in ("population", "tax"):
        assert source in html
    for p in Principle:
        assert PRINCIPLE_VI[p] in html
    # Markup in source data is shown as text, never run.
    assert EVIL not in html
    assert "&lt;script&gt;" in html
    assert "11 = 0 + 8 + 3" in html


def test_html_without_scored_runs(tmp_path: Path) -> None:
    con = connect(tmp_path)
    _run(con, "tax-1", "tax", T0, (0, 0, 0, 0), status="failed")
    _, html_path = write_reports(con, ["tax-1"], tmp_path / "out")
    html = html_path.read_text(encoding="utf-8")
    assert "tax" in html and "No scored runs yet" in html
