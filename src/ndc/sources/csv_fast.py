"""CSV body reading: DuckDB parses the lines every CSV reader reads alike, Python the rest.

The reference is Python's ``csv.reader(strict=True)`` over the whole text. The fast path gives
the same rows, line numbers and rejects, and is taken only when that follows by construction:

- lines are split on ``\\n`` (a lone ``\\r`` would also end a line for Python: such files fall
  back); ``\\r\\n`` is read as ``\\n``, which changes no value since Python drops it too;
- a line made of exactly ``width`` fields, each plain (no quote, no delimiter) or a whole
  RFC 4180 quoted field (doubled quotes inside), splits the same in every RFC 4180 reader:
  those lines (and the blank ones, which both skip) go to DuckDB through a temporary file, and
  DuckDB must give back exactly one row per such line, or the whole file falls back;
- every other non-blank line (wrong width, stray or broken quotes, spaces around quotes) is
  read by Python on its own, which matches the whole-file reading unless the line ends inside
  a quoted field (a field running on over the next line): then the whole file falls back.

Other fallbacks: a header over several lines, NUL characters, lines longer than the csv field
size limit, a delimiter that is not one ASCII character, any DuckDB error.

``state`` records which path the last read took, for tests and benchmarks.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from _csv import Reader

# (physical line, reason code, message, raw line text): the caller builds its Reject objects.
RejectRow = tuple[int, str, str, str]
_MAX_WIDTH = 500  # RE2 refuses repetition counts above 1000


@dataclass
class ReadState:
    """Which path the last read took ('fast' or 'python') and why it fell back, if it did."""

    path: str = ""
    reason: str = ""


state = ReadState()


class _Fallback(Exception):
    """The fast path cannot prove it reads this file as Python does."""


def read_header(content: str, delimiter: str) -> tuple[list[str], int]:
    """The first record as the whole-file reader reads it, and how many lines it took.

    Only the first line is handed to ``csv`` when it holds the whole record: a reader over the
    whole text would copy all of it (four bytes a character) just to read the header.
    Raises ``StopIteration`` or ``csv.Error`` as that reader would.
    """
    end = content.find("\n")
    if end >= 0:
        reader = _reader(content[: end + 1], delimiter)
        try:
            row = next(reader)
        except (StopIteration, csv.Error):
            pass  # the full reading below decides, and raises
        else:
            if reader.line_num == 1:
                return row, 1
    reader = _reader(content, delimiter)
    return next(reader), reader.line_num


def _reader(text: str, delimiter: str) -> Reader:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def read_body(
    content: str, delimiter: str, names: list[str], header_lines: int, *, fast: bool = True
) -> tuple[pa.Table, list[RejectRow]]:
    """Rows after the header: ``_row_number`` + one string column per name; rejects by line."""
    if fast:
        try:
            result = _fast_body(content, delimiter, names, header_lines)
        except _Fallback as exc:
            state.path, state.reason = "python", str(exc)
        else:
            state.path, state.reason = "fast", ""
            return result
    else:
        state.path, state.reason = "python", "fast path not asked for"
    return python_body(content, delimiter, names)


def python_body(content: str, delimiter: str, names: list[str]) -> tuple[pa.Table, list[RejectRow]]:
    """The reference reading: ``csv.reader`` over the whole text, row by row after the header."""
    reader = _reader(content, delimiter)
    next(reader)  # the header, read without error before
    width = len(names)
    cols: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    rejects: list[RejectRow] = []
    lines: list[str] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            lines = lines or content.splitlines()
            line_no = reader.line_num
            raw = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
            rejects.append((line_no, "ingest.broken_quoting", str(exc), raw))
            continue
        line_no = reader.line_num
        if not row or row == [""]:
            continue
        if len(row) != width:
            lines = lines or content.splitlines()
            raw = lines[line_no - 1] if 0 < line_no <= len(lines) else delimiter.join(row)
            msg = f"expected {width} columns, found {len(row)}"
            rejects.append((line_no, "ingest.column_count", msg, raw))
            continue
        numbers.append(line_no)
        for i, value in enumerate(row):
            cols[i].append(value if value != "" else None)
    return _table(numbers, cols, names), rejects


def _table(numbers: list[int], cols: list[list[str | None]], names: list[str]) -> pa.Table:
    return pa.table(
        {"_row_number": pa.array(numbers, pa.int64())}
        | {name: pa.array(col, pa.string()) for name, col in zip(names, cols, strict=True)}
    )


def _fast_body(
    content: str, delimiter: str, names: list[str], header_lines: int
) -> tuple[pa.Table, list[RejectRow]]:
    width = len(names)
    if header_lines != 1:
        raise _Fallback("the header runs over several lines")
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00':
        raise _Fallback(f"delimiter {delimiter!r}")
    if width > _MAX_WIDTH:
        raise _Fallback(f"{width} columns")
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Fallback("text not encodable as UTF-8") from exc
    if b"\x00" in data:
        raise _Fallback("NUL character")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            raise _Fallback("a carriage return that does not end a line")
    start = data.find(b"\n") + 1
    lines = _lines(data, start) if start else pa.array([], pa.large_string())
    if len(lines) == 0:
        return _table([], [[] for _ in names], names), []
    lengths = pc.binary_length(lines)
    if pc.max(lengths).as_py() >= csv.field_size_limit():
        raise _Fallback("a line longer than the csv field size limit")
    plain = np.asarray(pc.match_substring_regex(lines, _line_pattern(delimiter, width)))
    suspects = np.flatnonzero(~(plain | np.asarray(pc.equal(lengths, 0))))
    keep = np.flatnonzero(plain)

    if len(keep):
        # Blank lines stay (DuckDB skips them, as Python does); the count check below holds it.
        table = _duckdb_rows(_without(data, start, lines, suspects), delimiter, names)
        if table.num_rows != len(keep):
            raise _Fallback(f"DuckDB read {table.num_rows} rows where {len(keep)} were expected")
        table = table.add_column(0, "_row_number", pa.array(keep + 2, pa.int64()))
    else:
        table = _table([], [[] for _ in names], names)

    texts = lines.take(pa.array(suspects)).to_pylist() if len(suspects) else []
    extra, rejects = _python_lines(content, texts, suspects, len(lines), delimiter, width)
    if extra[0]:
        table = pa.concat_tables([table, _table(*extra, names)]).sort_by("_row_number")
    return table, rejects


def _lines(data: bytes, start: int) -> pa.Array:
    """The physical lines after the header, as Python's reader counts them (no final empty one)."""
    size = len(data) - start
    offsets = pa.py_buffer(np.array([0, size], np.int64))
    whole = pa.Array.from_buffers(
        pa.large_string(), 1, [None, offsets, pa.py_buffer(data).slice(start, size)]
    )
    lines = pc.split_pattern(whole, "\n").flatten()
    return lines.slice(0, len(lines) - 1) if data.endswith(b"\n") else lines


def _line_pattern(delimiter: str, width: int) -> str:
    """A whole line of ``width`` plain or properly quoted fields (RE2 syntax)."""
    d = f"\\x{ord(delimiter):02x}"
    field = f'(?:[^"{d}]*|"(?:[^"]|"")*")'
    return f"^{field}(?:{d}{field}){{{width - 1}}}$"


def _without(data: bytes, start: int, lines: pa.Array, drop: np.ndarray) -> memoryview | bytes:
    """The text after the header less the ``drop`` lines: a few slices joined, no per-line work."""
    body = memoryview(data)[start:]
    if not len(drop):
        return body
    offsets = np.frombuffer(lines.buffers()[1], np.int64)[lines.offset :]
    # split_pattern dropped one newline per line: line i starts at offsets[i] - offsets[0] + i.
    begins = offsets[drop] - offsets[0] + drop
    ends = offsets[drop + 1] - offsets[0] + drop + 1  # with its newline
    cuts = [0, *np.column_stack([begins, ends]).ravel().tolist(), len(body)]
    return b"".join(body[a:b] for a, b in zip(cuts[::2], cuts[1::2], strict=True))


def _duckdb_rows(body: memoryview | bytes, delimiter: str, names: list[str]) -> pa.Table:
    """Parse lines known to be well-formed; any DuckDB complaint means the proof failed."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
    fd, tmp = tempfile.mkstemp(prefix="ndc-csv-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(memoryview(body))
        quoted, delim = tmp.replace("'", "''"), delimiter.replace("'", "''")
        db = duckdb.connect()
        try:
            db.execute("SET enable_progress_bar = false")
            db.execute("SET preserve_insertion_order = true")  # rows in file order
            table = db.sql(
                f"SELECT * FROM read_csv('{quoted}', delim='{delim}', quote='\"', escape='\"', "
                f"header=false, columns={{{cols}}}, auto_detect=false, strict_mode=true, "
                "null_padding=false, parallel=true)"
            ).to_arrow_table()
        finally:
            db.close()
    except duckdb.Error as exc:
        raise _Fallback(f"DuckDB: {exc}") from exc
    finally:
        os.unlink(tmp)
    return pa.table({name: table.column(i).cast(pa.string()) for i, name in enumerate(names)})


# What str.splitlines() also breaks on, besides \n and \r: only when one is present do the
# Python path's raw texts (content.splitlines()[line - 1]) differ from the physical lines.
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _python_lines(
    content: str,
    texts: list[str],
    suspects: np.ndarray,
    n_lines: int,
    delimiter: str,
    width: int,
) -> tuple[tuple[list[int], list[list[str | None]]], list[RejectRow]]:
    """Read the lines the pattern refused one by one, as the whole-file reader would."""
    numbers: list[int] = []
    cols: list[list[str | None]] = [[] for _ in range(width)]
    rejects: list[RejectRow] = []
    if not texts:
        return (numbers, cols), rejects
    split = content.splitlines() if any(c in content for c in _OTHER_BREAKS) else None

    def raw(line_no: int, text: str, default: str) -> str:
        if split is None:
            return text  # the physical line, \r\n already read as \n
        return split[line_no - 1] if 0 < line_no <= len(split) else default

    last = n_lines - 1
    for i, text in zip(suspects.tolist(), texts, strict=True):
        line_no = i + 2
        # A second, empty line shows whether the reader wanted more: a quoted field still open.
        reader = csv.reader([text, ""], delimiter=delimiter, strict=True)
        try:
            row = next(reader)
        except csv.Error as exc:
            if reader.line_num > 1 and i != last:
                raise _Fallback(f"a quoted field runs over line {line_no}") from exc
            rejects.append((line_no, "ingest.broken_quoting", str(exc), raw(line_no, text, "")))
            continue
        if reader.line_num > 1:
            raise _Fallback(f"a quoted field runs over line {line_no}")
        if not row or row == [""]:
            continue
        if len(row) != width:
            msg = f"expected {width} columns, found {len(row)}"
            joined = delimiter.join(row)
            rejects.append((line_no, "ingest.column_count", msg, raw(line_no, text, joined)))
            continue
        numbers.append(line_no)
        for k, value in enumerate(row):
            cols[k].append(value if value != "" else None)
    return (numbers, cols), rejects
