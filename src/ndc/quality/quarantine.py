"""Quarantined rows for the people who fix them: listing, per-reason counts, and a CSV export
that the owner agency can open in Excel (Vietnamese headers and reason texts).

Reason codes are stable ('<principle>.<check>[:<field>]', or 'ingest.*' for unreadable lines);
the descriptions here are keyed by the code without its field, so a new field needs no new text.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

STATUSES = ("open", "superseded", "withdrawn", "resolved")

# Reason code (without ':<field>') -> (Vietnamese, English).
REASONS: dict[str, tuple[str, str]] = {
    "ingest.column_count": ("Sai số cột", "Wrong number of columns"),
    "ingest.broken_quoting": ("Lỗi dấu ngoặc kép", "Broken quoting"),
    "ingest.invalid_json": ("Dòng JSON không hợp lệ", "Invalid JSON line"),
    "ingest.not_an_object": ("Dòng JSON không phải một đối tượng", "JSON line is not an object"),
    "complete.record_key": ("Thiếu khóa bản ghi", "Record key missing"),
    "complete.required": ("Thiếu trường bắt buộc", "Required field missing"),
    "complete.date_partial": ("Ngày tháng chỉ có năm hoặc tháng", "Only year or month known"),
    "clean.duplicate_key": ("Trùng khóa bản ghi", "Duplicate record key"),
    "clean.encoding_damage": ("Lỗi mã hóa ký tự", "Text damaged by a wrong encoding"),
    "clean.name_characters": ("Họ tên chứa chữ số hoặc ký tự lạ", "Name held stray characters"),
    "correct.identifier": ("Số định danh không hợp lệ", "Invalid identifier"),
    "correct.pattern": ("Giá trị không đúng mẫu quy định", "Value does not match the pattern"),
    "correct.date": ("Không đọc được ngày tháng", "Date cannot be read"),
    "correct.date_swapped": ("Ngày và tháng bị đảo", "Day and month swapped"),
    "correct.date_future": ("Ngày tháng ở tương lai", "Date in the future"),
    "correct.phone": ("Số điện thoại di động không hợp lệ", "Invalid mobile number"),
    "correct.number": ("Không phải là số", "Not a number"),
    "correct.cccd_birth_year": ("Số CCCD không khớp năm sinh", "CCCD disagrees with birth year"),
    "correct.cccd_sex": ("Số CCCD không khớp giới tính", "CCCD disagrees with sex"),
    "unified.address": ("Địa chỉ không xác định được xã/phường", "Address without a commune"),
    "unified.legacy_address": ("Địa chỉ theo đơn vị hành chính cũ", "Address uses pre-2025 units"),
    "unified.identifier_kind": ("Loại giấy tờ cũ (CMND thay vì CCCD)", "Old identifier kind"),
    "unified.phone_migrated": ("Số điện thoại 11 số cũ", "Pre-2018 11-digit phone number"),
    "unified.code_list": ("Giá trị không có trong danh mục", "Value not in the code list"),
    "connected.reference": ("Không có trong cơ sở dữ liệu gốc", "Not found in the master register"),
    "live.freshness": ("Dữ liệu không được cập nhật kịp thời", "Data is not fresh"),
    "shared.owner": ("Chưa khai báo cơ quan chủ quản", "Owner agency not declared"),
    "shared.licence": ("Chưa khai báo giấy phép chia sẻ", "Sharing licence not declared"),
    "shared.description": ("Thiếu tên tiếng Việt hoặc tiếng Anh", "Title missing in vi or en"),
}

HEADERS = (
    "Khóa bản ghi / Record key",
    "Tệp / File",
    "Dòng số / Row number",
    "Mã lỗi / Reason codes",
    "Mô tả lỗi / Reason description",
    "Giá trị sai / Offending values",
    "Dòng gốc / Raw line",
    "Ngày phát hiện / Detected at",
)

EMPTY = "(trống)"


def describe_reason(code: str, lang: str = "vi") -> str:
    """Human text for a reason code, naming the field if the code has one; unknown -> the code."""
    base, _, field = code.partition(":")
    texts = REASONS.get(base)
    if texts is None:
        return code
    text = texts[0] if lang == "vi" else texts[1]
    return f"{text} ({field})" if field else text


@dataclass(frozen=True)
class QuarantineRow:
    source_id: str
    record_key: str | None  # None: rejected at the door (unreadable line, no key, duplicate)
    run_id: str
    file: str | None
    row_number: int | None
    reasons: list[str]
    values: str  # offending values as 'column=value; ...', or the reader's message
    raw: str | None  # the line as read, for door rejects
    status: str
    created_at: datetime


def _flatten(details: Any) -> tuple[str, str | None]:
    """(offending values as text, raw line) from a quarantine ``details`` JSON value."""
    if isinstance(details, dict):  # door reject: {row_hash, raw, message}
        raw = details.get("raw")
        return str(details.get("message") or ""), None if raw is None else str(raw)
    parts: list[str] = []
    for item in details if isinstance(details, list) else []:
        values = item.get("values") if isinstance(item, dict) else None
        for column, value in (values or {}).items():
            if column == "-":  # placeholder of a rule that names no column
                continue
            part = f"{column}={EMPTY if value is None else value}"
            if part not in parts:
                parts.append(part)
    return "; ".join(parts), None


def _row(r: tuple[Any, ...]) -> QuarantineRow:
    details = json.loads(r[6]) if isinstance(r[6], str) else r[6]
    values, raw = _flatten(details)
    return QuarantineRow(
        source_id=r[0],
        record_key=r[1],
        run_id=r[2],
        file=r[3],
        row_number=r[4],
        reasons=list(r[5] or []),
        values=values,
        raw=raw,
        status=r[7],
        created_at=r[8],
    )


_SELECT = (
    "SELECT source_id, record_key, run_id, file, row_number, reasons, details, status, created_at "
    "FROM quarantine"
)
_ORDER = " ORDER BY source_id, file NULLS LAST, row_number NULLS LAST, created_at"


def list_quarantine(
    con: duckdb.DuckDBPyConnection,
    source_id: str | None = None,
    status: str = "open",
    reason: str | None = None,
    limit: int = 100,
) -> list[QuarantineRow]:
    """Quarantine entries, in file order. ``status='all'`` lists every status; ``reason`` is a
    code or a prefix of one ('complete', 'complete.required', 'complete.required:full_name')."""
    if status != "all" and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}, all")
    where: list[str] = []
    params: list[object] = []
    if source_id is not None:
        where.append("source_id = ?")
        params.append(source_id)
    if status != "all":
        where.append("status = ?")
        params.append(status)
    if reason:
        where.append(
            "len(list_filter(reasons, lambda r: r = ? OR starts_with(r, ?) OR starts_with(r, ?)))"
            " > 0"
        )
        params += [reason, reason + ":", reason + "."]
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + _ORDER + " LIMIT ?"
    return [_row(r) for r in con.execute(sql, [*params, max(limit, 0)]).fetchall()]


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas in untrusted text (CSV injection, OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_quarantine(
    con: duckdb.DuckDBPyConnection, source_id: str, out_path: Path, delimiter: str = ","
) -> int:
    """Write the source's open quarantine as a CSV for its owner agency; returns the row count.

    UTF-8 with a byte-order mark, so Excel shows Vietnamese correctly when the file is opened
    by double-click. Use ``delimiter=';'`` for Excel set to a Vietnamese list separator.
    """
    rows = con.execute(
        _SELECT + " WHERE source_id = ? AND status = 'open'" + _ORDER, [source_id]
    ).fetchall()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(HEADERS)
        for r in map(_row, rows):
            writer.writerow(
                [
                    _cell(r.record_key or ""),
                    _cell(r.file or ""),
                    "" if r.row_number is None else r.row_number,
                    "; ".join(r.reasons),
                    "; ".join(describe_reason(c) for c in r.reasons),
                    _cell(r.values),
                    _cell(r.raw or ""),
                    r.created_at.isoformat(sep=" ", timespec="seconds"),
                ]
            )
    return len(rows)


def quarantine_summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(source, reason code, open entries) — an entry with several reasons counts for each."""
    rows = con.execute(
        "SELECT source_id, reason, count(*) AS n FROM "
        "(SELECT source_id, unnest(reasons) AS reason FROM quarantine WHERE status = 'open') "
        "GROUP BY source_id, reason ORDER BY source_id, n DESC, reason"
    ).fetchall()
    return [(str(s), str(r), int(n)) for s, r, n in rows]
