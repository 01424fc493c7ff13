"""The fast CSV path (DuckDB for well-formed lines, Python for the rest) reads every file exactly
as the reference Python loop does: same rows, values, line numbers and rejects."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ndc.sources import csv_fast
from ndc.sources.connectors import RawBatch, _read_csv
from ndc.sources.schemas import FileConnection

HEADER = ["cccd", "ho_ten", "que_quan"]


def read(path: Path, delimiter: str, *, fast: bool) -> RawBatch:
    conn = FileConnection(format="csv", path=path.name, encoding="utf-8", delimiter=delimiter)
    return _read_csv(path, conn, fast=fast)


def rows(batch: RawBatch) -> list[dict[str, Any]]:
    return sorted(batch.rows.to_pylist(), key=lambda r: r["_row_number"])


def assert_same(path: Path, delimiter: str) -> str:
    """Both readings agree; returns the path the fast reading took."""
    reference = read(path, delimiter, fast=False)
    batch = read(path, delimiter, fast=True)
    taken = csv_fast.state.path
    assert batch.rows.column_names == reference.rows.column_names
    assert batch.rows.schema == reference.rows.schema
    assert rows(batch) == rows(reference)
    assert batch.rejects == reference.rejects
    return taken


TEXT = st.text(alphabet=st.sampled_from(list("aăđêơư Nguyễn Hồ0;,\t|\x0c\x85\u2028")), max_size=6)
QUOTABLE = st.text(alphabet=st.sampled_from(list('aễ ,;\t|"\n\r')), max_size=6)


@st.composite
def field(draw: st.DrawFn, delimiter: str) -> str:
    kind = draw(st.sampled_from(["plain", "plain", "empty", "quoted", "odd"]))
    if kind == "plain":
        return draw(TEXT).replace(delimiter, "").replace("\r", "").replace("\n", "")
    if kind == "empty":
        return draw(st.sampled_from(["", '""', " "]))
    if kind == "quoted":  # what a CSV writer makes, perhaps with a newline inside
        inner = draw(QUOTABLE).replace('"', '""')
        if draw(st.booleans()):
            inner = inner.replace("\r", "").replace("\n", "")
        return f'"{inner}"'
    # Hand-made damage: stray quotes, spaces around quotes, unclosed or early-closed quotes.
    return draw(
        st.sampled_from(
            ['"abc', 'a"b', '"a"b', ' "a"', '"a" ', '"a""', '""a', '"', '"x\ny', '"ạ""ễ"']
        )
    )


@st.composite
def csv_file(draw: st.DrawFn) -> tuple[str, str]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    lines = [delimiter.join(HEADER)]
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 6)) == 0:
            lines.append("")
            continue
        width = draw(st.sampled_from([3, 3, 3, 3, 2, 4, 1]))
        lines.append(delimiter.join(draw(field(delimiter)) for _ in range(width)))
    ends = [draw(st.sampled_from(["\n", "\n", "\r\n", "\r"])) for _ in lines]
    if draw(st.booleans()):
        ends = ["\n"] * len(lines)  # keep clean files common
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final newline (a transfer cut short)
    return text, delimiter


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=csv_file())
def test_fast_path_reads_any_csv_as_python_does(tmp_path: Path, case: tuple[str, str]) -> None:
    text, delimiter = case
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode("utf-8"))
    assert_same(path, delimiter)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('ab,; "\n\r')), max_size=12))
def test_header_is_read_as_a_reader_over_the_whole_text_reads_it(text: str) -> None:
    whole = csv.reader(io.StringIO(text, newline=""), delimiter=",", strict=True)
    try:
        expected: tuple[list[str], int] | str = (next(whole), whole.line_num)
    except (StopIteration, csv.Error) as exc:
        expected = type(exc).__name__
    try:
        got: tuple[list[str], int] | str = csv_fast.read_header(text, ",")
    except (StopIteration, csv.Error) as exc:
        got = type(exc).__name__
    assert got == expected


def write(tmp_path: Path, lines: list[str], end: str = "\n") -> Path:
    path = tmp_path / "people.csv"
    path.write_bytes("".join(line + end for line in lines).encode("utf-8"))
    return path


def people(n: int, delimiter: str = ",") -> list[str]:
    return [
        delimiter.join([f"{i:012d}", f"Nguyễn Văn {i}", f'"Số {i}, Phường Hà Đông, Hà Nội"'])
        for i in range(n)
    ]


def test_clean_file_takes_the_fast_path(tmp_path: Path) -> None:
    path = write(tmp_path, [",".join(HEADER), *people(50)], end="\r\n")
    assert assert_same(path, ",") == "fast"
    batch = read(path, ",", fast=True)
    assert batch.rows.num_rows == 50 and batch.rejects == []
    assert batch.rows.column("_row_number").to_pylist() == list(range(2, 52))
    assert batch.rows.slice(3, 1).to_pylist()[0]["que_quan"] == "Số 3, Phường Hà Đông, Hà Nội"


def test_rows_with_wrong_width_or_broken_quotes_stay_on_the_fast_path(tmp_path: Path) -> None:
    body = people(20, ";")
    body[4] = "001;only two"
    body[9] = '002;"a" ;spaces after a quote'
    body[12] = "003;a;b;c"
    body[15] = ""
    path = write(tmp_path, [";".join(HEADER), *body])
    assert assert_same(path, ";") == "fast"
    batch = read(path, ";", fast=True)
    assert [(r.row_number, r.reason) for r in batch.rejects] == [
        (6, "ingest.column_count"),
        (11, "ingest.broken_quoting"),
        (14, "ingest.column_count"),
    ]
    assert batch.rejects[0].message == "expected 3 columns, found 2"
    assert batch.rejects[0].raw == "001;only two"
    assert batch.rows.num_rows == 16


def test_field_over_several_lines_falls_back_to_python(tmp_path: Path) -> None:
    body = [*people(3), '9,"Lê\nVăn",Huế', *people(2)]
    path = write(tmp_path, [",".join(HEADER), *body])
    assert assert_same(path, ",") == "python"
    assert "runs over" in csv_fast.state.reason
    assert read(path, ",", fast=True).rows.column("ho_ten").to_pylist()[3] == "Lê\nVăn"


def test_lone_carriage_return_falls_back_to_python(tmp_path: Path) -> None:
    path = write(tmp_path, [",".join(HEADER), *people(3)], end="\r")
    assert assert_same(path, ",") == "python"
