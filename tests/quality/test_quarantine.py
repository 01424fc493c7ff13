"""Quarantine for the people who fix it: listing, counts, and the CSV sent to the owner agency."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ndc.pipeline.store import connect
from ndc.quality.quarantine import (
    HEADERS,
    describe_reason,
    export_quarantine,
    list_quarantine,
    quarantine_summary,
)

T0 = datetime(2025, 7, 1, 8, 0, 0)


def _rule_failure(rules: dict[str, dict[str, str | None]]) -> str:
    """``details`` as the engine writes it for rule failures: [{rule, values: {column: value}}]."""
    return json.dumps([{"rule": r, "values": v} for r, v in rules.items()], ensure_ascii=False)


def _door(raw: str, message: str) -> str:
    return json.dumps({"row_hash": "9f2c", "raw": raw, "message": message}, ensure_ascii=False)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path)
    rows = [
        ("population", "079201000123", "pop-2", "nhan_khau.csv", 7,
         ["complete.required:full_name", "correct.identifier:person_id"],
         _rule_failure({
             "complete.required:full_name": {"full_name__raw": None},
             "correct.identifier:person_id": {"person_id__raw": "07920100012X"},
         }), "open"),
        ("population", None, "pop-2", "nhan_khau.csv", 12, ["ingest.column_count"],
         _door("079201000999;Trần Thị Bích;1990-02-30;Hà Nội;thừa", "5 columns, expected 4"),
         "open"),
        ("population", "079201000456", "pop-2", "nhan_khau.csv", 3,
         ["clean.encoding_damage:full_name"],
         _rule_failure({"clean.encoding_damage:full_name": {"full_name__raw": "Nguyá»…n VÄƒn A"}}),
         "open"),
        ("population", None, "pop-2", "nhan_khau.csv", 20, ["ingest.broken_quoting"],
         _door('=HYPERLINK("http://x");"Lê', "unterminated quote"), "open"),
        # Not open any more: must not reach the agency.
        ("population", "079201000777", "pop-1", "nhan_khau.csv", 9,
         ["correct.identifier:person_id"],
         _rule_failure({"correct.identifier:person_id": {"person_id__raw": "12"}}), "superseded"),
        ("health", "HS-0001", "hl-1", "kham_benh.jsonl", 4, ["ingest.invalid_json"],
         _door('{"ma": "HS-0001", ', "Expecting value"), "open"),
    ]  # fmt: skip
    con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*r, T0) for r in rows])  # fmt: skip
    return con


def test_list_open_entries_in_file_order(con: duckdb.DuckDBPyConnection) -> None:
    rows = list_quarantine(con, "population")
    assert [r.row_number for r in rows] == [3, 7, 12, 20]
    first = rows[1]
    assert first.record_key == "079201000123"
    assert first.reasons == ["complete.required:full_name", "correct.identifier:person_id"]
    assert first.values == "full_name__raw=(trống); person_id__raw=07920100012X"
    door = rows[2]
    assert door.record_key is None and door.raw is not None and door.raw.startswith("079201000999")
    assert door.values == "5 columns, expected 4"


def test_list_filters(con: duckdb.DuckDBPyConnection) -> None:
    assert len(list_quarantine(con, None)) == 5
    assert [r.source_id for r in list_quarantine(con, None, limit=1)] == ["health"]
    by_prefix = list_quarantine(con, "population", reason="correct")
    assert [r.row_number for r in by_prefix] == [7]
    assert [r.row_number for r in list_quarantine(con, None, reason="ingest")] == [4, 12, 20]
    exact = list_quarantine(con, None, reason="correct.identifier:person_id", status="all")
    assert sorted(r.status for r in exact) == ["open", "superseded"]
    assert list_quarantine(con, None, reason="correct.ident") == []  # no partial words
    with pytest.raises(ValueError, match="status"):
        list_quarantine(con, None, status="closed")


def test_summary_counts_open_entries_per_reason(con: duckdb.DuckDBPyConnection) -> None:
    summary = quarantine_summary(con)
    assert ("health", "ingest.invalid_json", 1) in summary
    assert ("population", "correct.identifier:person_id", 1) in summary  # superseded not counted
    assert sum(n for s, _, n in summary if s == "population") == 5


def test_export_for_the_agency(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "export" / "population.csv"
    assert export_quarantine(con, "population", out) == 4
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == HEADERS
    assert "Khóa bản ghi / Record key" in table[0] and "Mô tả lỗi / Reason description" in table[0]
    body = table[1:]
    assert len(body) == 4  # one line per open entry, the superseded one left out
    by_row = {int(r[2]): dict(zip(HEADERS, r, strict=True)) for r in body}
    assert set(by_row) == {3, 7, 12, 20}
    r7 = by_row[7]
    assert (
        r7["Mã lỗi / Reason codes"] == "complete.required:full_name; correct.identifier:person_id"
    )
    assert r7["Mô tả lỗi / Reason description"] == (
        "Thiếu trường bắt buộc (full_name); Số định danh không hợp lệ (person_id)"
    )
    assert "person_id__raw=07920100012X" in r7["Giá trị sai / Offending values"]
    assert by_row[3]["Giá trị sai / Offending values"] == "full_name__raw=Nguyá»…n VÄƒn A"
    r12 = by_row[12]
    assert r12["Mô tả lỗi / Reason description"] == "Sai số cột"
    assert r12["Dòng gốc / Raw line"] == "079201000999;Trần Thị Bích;1990-02-30;Hà Nội;thừa"
    assert r12["Khóa bản ghi / Record key"] == ""
    # A line that looks like a spreadsheet formula is shown, never evaluated.
    assert by_row[20]["Dòng gốc / Raw line"].startswith("'=HYPERLINK")


def test_export_semicolon_and_empty(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "health.csv"
    assert export_quarantine(con, "health", out, delimiter=";") == 1
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Khóa bản ghi / Record key;Tệp / File;")
    assert "Dòng JSON không hợp lệ" in lines[1]
    assert export_quarantine(con, "land", tmp_path / "land.csv") == 0
    assert len((tmp_path / "land.csv").read_text(encoding="utf-8-sig").splitlines()) == 1


def test_describe_reason() -> None:
    assert describe_reason("clean.duplicate_key") == "Trùng khóa bản ghi"
    assert describe_reason("complete.required:date_of_birth") == (
        "Thiếu trường bắt buộc (date_of_birth)"
    )
    assert describe_reason("complete.required", lang="en") == "Required field missing"
    assert describe_reason("something.new:x") == "something.new:x"
