"""Dates as written by Vietnamese agencies: many formats, day-first by convention.

``parse_date`` returns the date, its precision (day, month or year: a birth year alone is kept as a
partial date, not invented into 1 January) and flags. Without a hint, numeric dates are read
day-first (dd/mm/yyyy is the Vietnamese convention); a source's declared format (``hint``) or the
column-level inference of ``infer_order`` can say otherwise. An impossible day/month pair that is
valid once swapped (``03/25/1990``) is swapped and flagged, never silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import duckdb
import pyarrow as pa

from ndc.standardize.distinct import FLAGS, build_lookup, distinct_values
from ndc.standardize.text import fold_accents, nfc

Precision = Literal["day", "month", "year"]
Order = Literal["dmy", "mdy", "ymd"]

# Flags (reason codes); docs/standardisation.md explains each.
EMPTY = "date.empty"
UNPARSED = "date.unparsed"
INVALID = "date.invalid"
SWAPPED = "date.swapped_day_month"
YEAR_ONLY = "date.year_only"
MONTH_ONLY = "date.month_only"
TWO_DIGIT_YEAR = "date.two_digit_year"
EXCEL_SERIAL = "date.excel_serial"
FUTURE = "date.future"
IMPLAUSIBLE_YEAR = "date.implausible_year"
ORDER_INFERRED = "date.order_inferred"

MIN_YEAR = 1800  # earlier years are kept but flagged: no living person or firm is that old
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 past Excel's phantom 1900-02-29
_EXCEL_RANGE = (10000, 73050)  # 1927-05-18 .. 2099-12-31; shorter numbers are years or codes
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_TIME = re.compile(r"(?:[t\s]+|^)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:z|[+-]\d{2}:?\d{2})?$")
_VI_WORDS = re.compile(r"\b(?:ngay|thang|nam)\b")
_ALLOWED = re.compile(r"^[\d\s/\-.,]+$")
_GROUPS = re.compile(r"\d+")
_FLOAT_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


@dataclass(frozen=True, slots=True)
class DateResult:
    original: str
    value: date | None
    precision: Precision | None
    flags: tuple[str, ...]


def order_from_hint(hint: str | None) -> Order | None:
    """``"dmy"``/``"mdy"``/``"ymd"`` or a strptime format such as ``"%d/%m/%Y"``."""
    if not hint:
        return None
    h = hint.lower()
    if h in ("dmy", "mdy", "ymd"):
        return h  # type: ignore[return-value]
    pos = {k: h.find(k) for k in ("%d", "%m", "%y")}
    if min(pos.values()) < 0:
        return None
    ordered = "".join(k[1] for k in sorted(pos, key=pos.__getitem__))
    return ordered if ordered in ("dmy", "mdy", "ymd") else None  # type: ignore[return-value]


def pivot_year(yy: int, today: date) -> int:
    """Two-digit year: above this year's two digits means the 1900s (``45`` -> 1945 in 2025)."""
    return 1900 + yy if yy > today.year % 100 else 2000 + yy


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _result(
    raw: str, value: date | None, precision: Precision | None, flags: list[str], today: date
) -> DateResult:
    if value is None:
        return DateResult(raw, None, None, (*flags, UNPARSED))
    if value > today:
        flags.append(FUTURE)
    if value.year < MIN_YEAR:
        flags.append(IMPLAUSIBLE_YEAR)
    return DateResult(raw, value, precision, tuple(flags))


def _year(group: str, flags: list[str], today: date) -> int | None:
    if len(group) == 4:
        return int(group)
    if len(group) == 2:
        flags.append(TWO_DIGIT_YEAR)
        return pivot_year(int(group), today)
    return None


def _three(
    groups: list[str], order: Order, flags: list[str], today: date
) -> tuple[date | None, Precision | None]:
    if len(groups[0]) == 4:
        order = "ymd"
    if order == "ymd":
        ys, ms, ds = groups
    else:
        ds, ms, ys = groups if order == "dmy" else (groups[1], groups[0], groups[2])
    y = _year(ys, flags, today)
    if y is None or len(ds) > 2 or len(ms) > 2:
        flags.append(INVALID)
        return None, None
    value = _make(y, int(ms), int(ds))
    if value is None:
        value = _make(y, int(ds), int(ms))
        flags.append(SWAPPED if value is not None else INVALID)
    return value, "day"


def _numeric(
    groups: list[str], order: Order, flags: list[str], today: date
) -> tuple[date | None, Precision | None]:
    if len(groups) == 3:
        return _three(groups, order, flags, today)
    if len(groups) == 2:  # mm/yyyy or yyyy-mm
        a, b = groups
        if len(a) == 4 and len(b) <= 2:
            a, b = b, a
        y = _year(b, flags, today)
        if y is None or len(a) > 2 or not 1 <= int(a) <= 12:
            flags.append(INVALID)
            return None, None
        flags.append(MONTH_ONLY)
        return date(y, int(a), 1), "month"
    if len(groups) == 1:
        g = groups[0]
        if len(g) == 4:
            flags.append(YEAR_ONLY)
            return date(int(g), 1, 1), "year"
        if len(g) == 8:  # yyyymmdd, else ddmmyyyy (the two readings never both make sense)
            first = _make(int(g[:4]), int(g[4:6]), int(g[6:]))
            if first is not None and first.year >= MIN_YEAR:
                return first, "day"
            return _make(int(g[4:]), int(g[2:4]), int(g[:2])), "day"
    return None, None


def _words(folded: str) -> tuple[str, Order | None]:
    """Replace English month names by numbers; their position tells the order."""
    tokens = re.findall(r"[a-z]+|\d+", folded)
    out: list[str] = []
    order: Order | None = None
    for i, tok in enumerate(tokens):
        if tok.isdigit():
            out.append(tok)
        elif tok in _MONTHS:
            out.append(str(_MONTHS[tok]))
            order = "mdy" if i == 0 else "dmy"
        elif tok not in ("st", "nd", "rd", "th", "of"):
            return "", None
    return " ".join(out), order


def parse_date(raw: str, hint: str | None = None, today: date | None = None) -> DateResult:
    """Parse one date; ``hint`` is the source's declared format (``"%d/%m/%Y"``, ``"mdy"``...)."""
    today = today or date.today()
    text = nfc(raw).strip()
    if not text:
        return DateResult(raw, None, None, (EMPTY,))
    flags: list[str] = []
    if hint and "%" in hint and "%y" not in hint:
        try:
            parsed = datetime.strptime(text, hint).date()
        except ValueError:
            pass
        else:
            declared: Precision = "day" if "%d" in hint else "month" if "%m" in hint else "year"
            return _result(raw, parsed, declared, flags, today)
    order: Order = order_from_hint(hint) or "dmy"
    folded = _TIME.sub("", fold_accents(text)).strip()
    serial = _FLOAT_SERIAL.match(folded)
    if serial and (hint == "excel" or hint is None):
        n = int(serial.group(1))
        if _EXCEL_RANGE[0] <= n <= _EXCEL_RANGE[1]:
            flags.append(EXCEL_SERIAL)
            return _result(raw, _EXCEL_EPOCH + timedelta(days=n), "day", flags, today)
    if _VI_WORDS.search(folded):  # "ngày 5 tháng 3 năm 1990", "05 tháng 03, 1990", "năm 1990"
        folded = _VI_WORDS.sub(" ", folded)
        order = "dmy"
    if not _ALLOWED.match(folded):
        folded, word_order = _words(folded)
        if word_order is None:
            return _result(raw, None, None, flags, today)
        order = word_order
    groups = _GROUPS.findall(folded)
    value, precision = _numeric(groups, order, flags, today)
    return _result(raw, value, precision, flags, today)


def infer_order(values: list[str]) -> Order:
    """Column-level day/month order: ``mdy`` only if some values need it and none contradict it.

    A value such as ``25/03/1990`` proves day-first, ``03/25/1990`` month-first; values that fit
    both say nothing. With no evidence the Vietnamese day-first convention wins.
    """
    day_first = month_first = 0
    for v in values:
        groups = _GROUPS.findall(v)
        if len(groups) != 3 or len(groups[0]) > 2 or not _ALLOWED.match(v.strip()):
            continue
        a, b = int(groups[0]), int(groups[1])
        day_first += a > 12 >= b
        month_first += b > 12 >= a
    return "mdy" if month_first and not day_first else "dmy"


DATES_SCHEMA = pa.schema(
    [("raw", pa.string()), ("value", pa.date32()), ("precision", pa.string()), ("flags", FLAGS)]
)


def parse_dates_table(
    con: duckdb.DuckDBPyConnection, table: str, column: str, hint: str | None = None
) -> str:
    """Lookup table (raw, value, precision, flags) over distinct dates; infers order if no hint."""
    values = distinct_values(con, table, column)
    inferred = hint is None and infer_order(values) == "mdy"
    use = "mdy" if inferred else hint

    def row(raw: str) -> dict[str, object]:
        r = parse_date(raw, use)
        flags = list(r.flags)
        if inferred and r.value is not None:
            flags.append(ORDER_INFERRED)
        return {"value": r.value, "precision": r.precision, "flags": flags}

    return build_lookup(con, table, column, "date", DATES_SCHEMA, row, values)
