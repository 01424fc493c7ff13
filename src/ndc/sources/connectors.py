"""Connectors: read an agency database into raw string columns, row by row accounted for.

Every connector yields ``RawBatch`` objects: the rows it could read, as strings exactly as the
source holds them (after decoding to NFC Unicode), each with its file and row number, plus the
rows it could not read (``Reject``) with a reason code, the line number and the raw text.
"""

from __future__ import annotations

import csv
import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ndc.sources import csv_fast
from ndc.sources.exceptions import SourceReadError, SourceUnavailable
from ndc.sources.schemas import FileConnection, SourceConfig, SqlConnection
from ndc.standardize.encodings import decode_legacy, detect_encoding

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE = 256 * 1024


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that could not be read: kept with where it was and why."""

    file: str
    row_number: int  # physical line in the file (1-based), or record position
    reason: str  # stable reason code, e.g. 'ingest.column_count'
    message: str
    raw: str


@dataclass
class RawBatch:
    """Rows read from one file or query; ``rows`` columns are all strings (or null)."""

    file: str
    rows: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    fingerprint: str = ""
    types: dict[str, str] = field(default_factory=dict)  # native type of typed sources

    @property
    def rows_in(self) -> int:
        """Every row the file or query gave: read or refused."""
        return int(self.rows.num_rows) + len(self.rejects)


def resolve_files(conn: FileConnection, data_dir: Path) -> list[Path]:
    pattern = conn.path if Path(conn.path).is_absolute() else str(data_dir / conn.path)
    return sorted(Path(p) for p in glob.glob(pattern))


def file_fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def read_source(cfg: SourceConfig, data_dir: Path, since: str | None = None) -> Iterator[RawBatch]:
    """Read every file (or the query) of a source; ``since`` filters on the watermark column."""
    conn = cfg.connection
    if isinstance(conn, SqlConnection):
        yield _read_sql(cfg, conn, data_dir, since)
        return
    files = resolve_files(conn, data_dir)
    if not files:
        raise SourceUnavailable(f"source '{cfg.id}': no file matches '{conn.path}'")
    for path in files:
        if conn.format == "csv":
            batch = _read_csv(path, conn)
        elif conn.format == "jsonl":
            batch = _read_jsonl(path, conn)
        else:
            batch = _read_parquet(path)
        batch.fingerprint = file_fingerprint(path)
        yield batch


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str]:
    if encoding == "auto":
        detected = detect_encoding(data[:_SAMPLE])
        encoding = detected.encoding
    try:
        if encoding == "utf-8":
            # Raw rows land as the agency wrote them (NFC is a standardisation step); bytes that
            # are not UTF-8 become U+FFFD, which the encoding-damage rule then quarantines.
            return data.decode("utf-8", errors="replace").removeprefix("\ufeff"), encoding
        return decode_legacy(data, encoding), encoding
    except (UnicodeDecodeError, ValueError, LookupError) as exc:
        raise SourceReadError(f"{path}: cannot decode as {encoding}: {exc}") from exc


def detect_delimiter(sample: str) -> str:
    """The candidate delimiter that splits the first lines into the same, largest field count."""
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if not counts or counts[0] < 2:
            continue
        agree = sum(1 for c in counts if c == counts[0])
        score = (agree, counts[0])
        if score > best_score:
            best, best_score = d, score
    return best


def _read_csv(path: Path, conn: FileConnection, *, fast: bool = True) -> RawBatch:
    """Decode, find the delimiter, read the header; ``fast=False`` forces the pure Python loop."""
    content, encoding = _decode(path, path.read_bytes(), conn.encoding)
    if content.startswith("\ufeff"):
        content = content[1:]
    delimiter = conn.delimiter or detect_delimiter(content[:_SAMPLE])
    try:
        first, header_lines = csv_fast.read_header(content, delimiter)
        header = [h.strip() for h in first]
    except (StopIteration, csv.Error) as exc:
        raise SourceReadError(f"{path}: no readable header line") from exc
    if len(header) < 2:
        likely = detect_delimiter(content[:_SAMPLE])
        hint = f"; the file looks {likely!r}-delimited" if likely != delimiter else ""
        raise SourceReadError(
            f"{path}, line 1: the header splits into one column with delimiter {delimiter!r}"
            f"{hint}: wrong delimiter, or not a CSV file"
        )
    # Python reads the header (its checks and errors above); the body goes to csv_fast.
    names = _dedupe(header)
    table, found = csv_fast.read_body(content, delimiter, names, header_lines, fast=fast)
    rejects = [Reject(str(path), *r) for r in found]
    return RawBatch(str(path), table, rejects, encoding, delimiter)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n or "column"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _read_jsonl(path: Path, conn: FileConnection) -> RawBatch:
    """JSON Lines, parsed set-based in DuckDB; Python only explains the lines it refuses."""
    content, encoding = _decode(path, path.read_bytes(), conn.encoding)
    # Split on "\n" only (U+2028 may stand inside a JSON string), in Arrow rather than Python.
    whole = pa.array([content], pa.large_string())
    if "\r" in content:
        whole = pc.replace_substring(whole, "\r\n", "\n")
    lines = pc.split_pattern(whole, "\n").flatten()
    db = duckdb.connect()
    try:
        db.execute("SET enable_progress_bar = false")
        numbers = pa.array(np.arange(1, len(lines) + 1, dtype=np.int64))
        db.register("_lines", pa.table({"n": numbers, "line": lines}))
        db.execute(
            "CREATE TEMP TABLE k AS SELECT n, line, CASE WHEN json_valid(line) "
            "THEN json_type(line) = 'OBJECT' ELSE false END AS ok FROM _lines WHERE line <> ''"
        )
        refused = db.execute("SELECT n, line FROM k WHERE NOT ok ORDER BY n").fetchall()
        rejects = [r for n, line in refused if (r := _json_reject(path, n, line))]
        names = [r[0] for r in db.execute(
            "SELECT key FROM (SELECT unnest(json_keys(line)) AS key, n FROM k WHERE ok) "
            "GROUP BY key ORDER BY min(n), key"
        ).fetchall()]  # fmt: skip
        # One parse per line: every key extracted at once as a list, then spread into columns.
        paths = "[" + ", ".join(_json_path(name) for name in names) + "]"
        cols = "".join(f", v[{i + 1}] AS {_ident(name)}" for i, name in enumerate(names))
        inner = f"SELECT n, json_extract_string(line, {paths}) AS v FROM k WHERE ok"
        # No ORDER BY: rows carry their line number, and nothing downstream relies on order.
        table = db.sql(
            f"SELECT n AS _row_number{cols} FROM ({inner})"
            if names
            else "SELECT n AS _row_number FROM k WHERE ok"
        ).to_arrow_table()
    finally:
        db.close()
    return RawBatch(str(path), table, rejects, encoding)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_path(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"').replace("'", "''")
    return f"'$.\"{escaped}\"'"


def _json_reject(path: Path, line_no: int, line: str) -> Reject | None:
    if not line.strip():
        return None  # a blank line holds no record
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return Reject(str(path), line_no, "ingest.invalid_json", str(exc), line)
    kind = type(obj).__name__
    return Reject(
        str(path), line_no, "ingest.not_an_object", f"a line must hold one JSON object, not {kind}",
        line,
    )  # fmt: skip


def _read_parquet(path: Path) -> RawBatch:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise SourceReadError(f"{path}: not a readable Parquet file: {exc}") from exc
    cols = {name: _stringify(table.column(name)) for name in table.column_names}
    numbers = pa.array(range(1, table.num_rows + 1), pa.int64())
    types = {f.name: str(f.type) for f in table.schema}
    return RawBatch(str(path), pa.table({"_row_number": numbers} | cols), types=types)


def _stringify(col: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col.cast(pa.string())
    if pa.types.is_nested(col.type):
        return pa.array([_as_text(v) for v in col.to_pylist()], pa.string())
    return col.cast(pa.string())


def _text_column(values: list[Any]) -> pa.Array:
    """A column of database values as text, converted by Arrow when the values share a type."""
    try:
        arr = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        return pa.array([_as_text(v) for v in values], pa.string())
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_null(t) or pa.types.is_integer(t) or t == pa.date32():
        return arr.cast(pa.string())  # same text as str() gives
    return pa.array([_as_text(v) for v in values], pa.string())


def _read_sql(
    cfg: SourceConfig, conn: SqlConnection, data_dir: Path, since: str | None
) -> RawBatch:
    url = conn.url.replace("{data_dir}", str(data_dir.resolve()))
    base = conn.query or f'SELECT * FROM "{conn.table}"'
    params: dict[str, Any] = {}
    if since is not None and cfg.sync.watermark:
        base = f'SELECT * FROM ({base}) AS src WHERE "{cfg.sync.watermark}" > :since'
        params["since"] = since
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            result = db.execute(text(base), params)
            names = list(result.keys())
            # Plain tuples straight from the driver: no per-row objects for millions of rows.
            cursor = result.cursor
            rows = cursor.fetchall() if cursor is not None else [tuple(r) for r in result]
    except SQLAlchemyError as exc:
        raise SourceUnavailable(
            f"source '{cfg.id}': database not reachable or query failed: "
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        ) from exc
    finally:
        engine.dispose()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    cols = {n: _text_column(list(values)) for n, values in zip(names, columns, strict=True)}
    numbers = pa.array(range(1, len(rows) + 1), pa.int64())
    safe_url = engine.url.render_as_string(hide_password=True)
    types = {
        n: next((type(r[i]).__name__ for r in rows if r[i] is not None), "null")
        for i, n in enumerate(names)
    }
    return RawBatch(
        f"{safe_url}#{conn.table or 'query'}",
        pa.table({"_row_number": numbers} | cols),
        types=types,
    )
