"""Connectors: every file format and database kind an agency may send, read into string columns
with every row accounted for (read, or rejected with its line number and raw text)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from ndc.sources.connectors import RawBatch, detect_delimiter, read_source
from ndc.sources.exceptions import SourceReadError, SourceUnavailable
from ndc.sources.schemas import SourceConfig
from ndc.standardize.encodings import encode_legacy

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

HEADER = ["cccd", "ho_ten", "ngay_sinh", "que_quan"]
ROWS = [
    ["001090000001", "Nguyễn Văn An", "15/03/1990", "Thành phố Hà Nội"],
    ["079185000002", "Trần Thị Bình", "02/11/1985", "Thành phố Hồ Chí Minh"],
    ["048200000003", "Lê Văn Cường", "01/01/2000", "Thành phố Đà Nẵng"],
    ["001085000004", "Phạm Thị Dung", "20/07/1985", "Tỉnh Hưng Yên"],
    ["079195000005", "Hồ Thị Én", "05/05/1995", "Tỉnh Đồng Nai"],
    ["038170000006", "Đặng Quốc Việt", "11/12/1970", "Tỉnh Thanh Hóa"],
]


def config(connection: dict[str, Any], **extra: Any) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "id": "people",
            "title_vi": "Thử",
            "title_en": "Test",
            "owner": {"code": "t", "name_vi": "Thử", "name_en": "Test"},
            "entity": "person",
            "connection": connection,
            "key": ["cccd"],
            "mapping": {"person_id": {"column": "cccd", "transform": "identifier"}},
            **extra,
        }
    )


def csv_config(path: str = "people.csv", **conn: Any) -> SourceConfig:
    return config({"kind": "file", "format": "csv", "path": path, **conn})


def read_one(cfg: SourceConfig, data_dir: Path, since: str | None = None) -> RawBatch:
    batches = list(read_source(cfg, data_dir, since=since))
    assert len(batches) == 1
    return batches[0]


def records(batch: RawBatch) -> list[dict[str, Any]]:
    return batch.rows.drop(["_row_number"]).to_pylist()


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *rows])
    return buf.getvalue()


# --------------------------------------------------------------------------- CSV encodings


def test_utf8_with_bom_keeps_first_column_name(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_bytes(b"\xef\xbb\xbf" + csv_text(ROWS).encode("utf-8"))
    batch = read_one(csv_config(), tmp_path)
    assert batch.rows.column_names == ["_row_number", *HEADER]
    assert records(batch) == [dict(zip(HEADER, r, strict=True)) for r in ROWS]
    assert batch.rows.column("_row_number").to_pylist() == list(range(2, len(ROWS) + 2))


@pytest.mark.parametrize("encoding", ["cp1258", "tcvn3", "vni"])
@pytest.mark.parametrize("declared", [True, False], ids=["declared", "detected"])
def test_legacy_encodings_decode_to_unicode(tmp_path: Path, encoding: str, declared: bool) -> None:
    (tmp_path / "people.csv").write_bytes(encode_legacy(csv_text(ROWS), encoding))
    cfg = csv_config(encoding=encoding if declared else "auto")
    batch = read_one(cfg, tmp_path)
    assert batch.encoding == encoding
    assert records(batch) == [dict(zip(HEADER, r, strict=True)) for r in ROWS]


# --------------------------------------------------------------------------- CSV structure


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semi", "tab", "pipe"])
def test_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    # Values containing the other candidates must not mislead the detection.
    rows = [[*r[:3], "Xã A, Huyện B; Tỉnh C"] for r in ROWS]
    (tmp_path / "people.csv").write_text(csv_text(rows, delimiter), encoding="utf-8")
    batch = read_one(csv_config(), tmp_path)
    assert batch.delimiter == delimiter
    assert records(batch) == [dict(zip(HEADER, r, strict=True)) for r in rows]


def test_broken_rows_are_rejected_with_line_and_text_and_others_load(tmp_path: Path) -> None:
    lines = [
        ",".join(HEADER),
        ",".join(ROWS[0]),
        '079185000002,"Trần "Thị" Bình",02/11/1985,Hà Nội',  # broken quoting
        ",".join(ROWS[2]) + ",thừa",  # one column too many
        "001085000004,Phạm Thị Dung,20/07/1985",  # one column too few
        ",".join(ROWS[4]),
    ]
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = read_one(csv_config(), tmp_path)
    assert [r["cccd"] for r in records(batch)] == ["001090000001", "079195000005"]
    assert batch.rows.column("_row_number").to_pylist() == [2, 6]
    got = [(r.row_number, r.reason, r.raw) for r in batch.rejects]
    assert got == [
        (3, "ingest.broken_quoting", lines[2]),
        (4, "ingest.column_count", lines[3]),
        (5, "ingest.column_count", lines[4]),
    ]
    assert all(r.file == str(tmp_path / "people.csv") for r in batch.rejects)
    assert "expected 4 columns, found 5" in batch.rejects[1].message
    assert batch.rows_in == 5


@pytest.mark.parametrize(
    "tail", ['038170000006,"Đặng Quốc', "038170000006,Đặng Quốc"], ids=["in-quotes", "in-field"]
)
def test_truncated_last_line_is_rejected_not_lost(tmp_path: Path, tail: str) -> None:
    body = csv_text(ROWS[:3]) + tail  # the transfer stopped mid-row: no final newline
    (tmp_path / "people.csv").write_text(body, encoding="utf-8")
    batch = read_one(csv_config(), tmp_path)
    assert len(records(batch)) == 3
    assert [(r.row_number, r.raw) for r in batch.rejects] == [(5, tail)]
    assert batch.rows_in == 4


def test_empty_values_become_null_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    body = csv_text([["001090000001", "", "15/03/1990", "Hà Nội"]]) + "\n\n"
    (tmp_path / "people.csv").write_text(body, encoding="utf-8")
    batch = read_one(csv_config(), tmp_path)
    assert records(batch) == [
        {"cccd": "001090000001", "ho_ten": None, "ngay_sinh": "15/03/1990", "que_quan": "Hà Nội"}
    ]
    assert batch.rejects == []


def test_wrong_declared_delimiter_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(csv_text(ROWS, ";"), encoding="utf-8")
    with pytest.raises(SourceReadError, match=r"people\.csv.*delimiter"):
        read_one(csv_config(delimiter=","), tmp_path)


def test_semicolon_declared_for_a_comma_file_is_refused(tmp_path: Path) -> None:
    """The one-column-header check must not depend on which delimiter was declared: a comma
    file read with ';' has one column, so every row would lose its key."""
    (tmp_path / "people.csv").write_text(csv_text(ROWS, ","), encoding="utf-8")
    with pytest.raises(SourceReadError, match=r"people\.csv"):
        read_one(csv_config(delimiter=";"), tmp_path)


def test_several_files_are_read_in_order(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "b.csv").write_text(csv_text(ROWS[3:]), encoding="utf-8")
    (tmp_path / "in" / "a.csv").write_text(csv_text(ROWS[:3]), encoding="utf-8")
    batches = list(read_source(csv_config("in/*.csv"), tmp_path))
    assert [Path(b.file).name for b in batches] == ["a.csv", "b.csv"]
    assert sum(b.rows.num_rows for b in batches) == len(ROWS)
    assert all(b.fingerprint for b in batches)


def test_missing_file_is_unavailable_naming_the_source(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match=r"'people'.*nowhere\.csv"):
        list(read_source(csv_config("nowhere.csv"), tmp_path))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    values=st.lists(
        st.lists(
            st.text(
                alphabet=st.sampled_from(list("aăâđêôơưAĐ0 9,;|\"'ạấ\tế")),
                min_size=1,
                max_size=8,
            ).filter(lambda s: s.strip() == s and s.strip()),
            min_size=4,
            max_size=4,
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_any_properly_quoted_csv_reads_back_exactly(
    tmp_path: Path, delimiter: str, values: list[list[str]]
) -> None:
    """Property: what a standard CSV writer produces (declared delimiter) is read back unchanged,
    and every row is accounted for."""
    path = tmp_path / "people.csv"
    path.write_text(csv_text(values, delimiter), encoding="utf-8")
    batch = read_one(csv_config(delimiter=delimiter, encoding="utf-8"), tmp_path)
    assert batch.rejects == []
    assert records(batch) == [dict(zip(HEADER, r, strict=True)) for r in values]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_detect_delimiter_on_plain_lines(delimiter: str) -> None:
    sample = "\n".join(delimiter.join(r) for r in [HEADER, *ROWS])
    assert detect_delimiter(sample) == delimiter


# --------------------------------------------------------------------------- JSONL, Parquet


def test_jsonl_invalid_lines_are_rejected_and_others_load(tmp_path: Path) -> None:
    lines = [
        json.dumps({"cccd": "001090000001", "ho_ten": "Nguyễn Văn An"}, ensure_ascii=False),
        '{"cccd": "079185000002", "ho_ten": "Trần',  # truncated
        "[1, 2]",
        "",
        json.dumps({"cccd": "048200000003", "tuoi": 25, "the": {"so": "HS1"}, "ho_ten": None}),
    ]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = config({"kind": "file", "format": "jsonl", "path": "p.jsonl"})
    batch = read_one(cfg, tmp_path)
    got = records(batch)
    assert got[0] == {"cccd": "001090000001", "ho_ten": "Nguyễn Văn An", "tuoi": None, "the": None}
    nested = got[1].pop("the")
    assert got[1] == {"cccd": "048200000003", "ho_ten": None, "tuoi": "25"}
    assert json.loads(nested) == {"so": "HS1"}  # nested values kept as JSON text
    assert batch.rows.column("_row_number").to_pylist() == [1, 5]
    assert [(r.row_number, r.reason, r.raw) for r in batch.rejects] == [
        (2, "ingest.invalid_json", lines[1]),
        (3, "ingest.not_an_object", lines[2]),
    ]


def test_parquet_values_become_strings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "cccd": ["001090000001", "079185000002", None],
            "so_nha": pa.array([12, None, 7], pa.int64()),
            "ngay": pa.array([19000, 19001, None], pa.date32()),
            "ds": pa.array([["a", "b"], None, []], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, tmp_path / "p.parquet")
    cfg = config({"kind": "file", "format": "parquet", "path": "p.parquet"})
    batch = read_one(cfg, tmp_path)
    assert all(pa.types.is_string(t) for t in batch.rows.drop(["_row_number"]).schema.types)
    got = records(batch)
    lists = [None if r["ds"] is None else json.loads(r.pop("ds")) for r in got]
    assert lists == [["a", "b"], None, []]  # nested values kept as JSON text
    assert [{k: v for k, v in r.items() if k != "ds"} for r in got] == [
        {"cccd": "001090000001", "so_nha": "12", "ngay": "2022-01-08"},
        {"cccd": "079185000002", "so_nha": None, "ngay": "2022-01-09"},
        {"cccd": None, "so_nha": "7", "ngay": None},
    ]
    assert batch.rows.column("_row_number").to_pylist() == [1, 2, 3]


def test_damaged_parquet_is_a_read_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "p.parquet").write_bytes(b"PAR1 this is not parquet")
    cfg = config({"kind": "file", "format": "parquet", "path": "p.parquet"})
    with pytest.raises(SourceReadError, match=r"p\.parquet"):
        read_one(cfg, tmp_path)


# --------------------------------------------------------------------------- SQL


def _sqlite_db(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE nguoi (cccd TEXT, ho_ten TEXT, so INTEGER, cap_nhat TEXT)")
    db.executemany(
        "INSERT INTO nguoi VALUES (?, ?, ?, ?)",
        [
            ("001090000001", "Nguyễn Văn An", 1, "2025-01-01 08:00:00"),
            ("079185000002", "Trần Thị Bình", None, "2025-02-01 08:00:00"),
            ("048200000003", "Lê Văn Cường", 3, "2025-03-01 08:00:00"),
        ],
    )
    db.commit()
    db.close()


def test_sqlite_table_with_data_dir_placeholder(tmp_path: Path) -> None:
    _sqlite_db(tmp_path / "src.sqlite")
    cfg = config({"kind": "sql", "url": "sqlite:///{data_dir}/src.sqlite", "table": "nguoi"})
    batch = read_one(cfg, tmp_path)
    assert records(batch)[1] == {
        "cccd": "079185000002",
        "ho_ten": "Trần Thị Bình",
        "so": None,
        "cap_nhat": "2025-02-01 08:00:00",
    }
    assert records(batch)[0]["so"] == "1"
    assert batch.rows.column("_row_number").to_pylist() == [1, 2, 3]
    assert batch.file.endswith("#nguoi")


def test_sqlite_query_and_watermark_filter(tmp_path: Path) -> None:
    _sqlite_db(tmp_path / "src.sqlite")
    cfg = config(
        {
            "kind": "sql",
            "url": "sqlite:///{data_dir}/src.sqlite",
            "query": "SELECT cccd, cap_nhat FROM nguoi WHERE so IS NOT NULL",
        },
        sync={"mode": "incremental", "watermark": "cap_nhat"},
    )
    assert [r["cccd"] for r in records(read_one(cfg, tmp_path))] == [
        "001090000001",
        "048200000003",
    ]
    newer = read_one(cfg, tmp_path, since="2025-01-01 08:00:00")
    assert [r["cccd"] for r in records(newer)] == ["048200000003"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=3",
        "sqlite:////nonexistent-dir/sub/db.sqlite",
    ],
    ids=["postgres-port-closed", "sqlite-no-dir"],
)
def test_unreachable_database_is_unavailable_naming_the_source(tmp_path: Path, url: str) -> None:
    cfg = config({"kind": "sql", "url": url, "table": "nguoi"})
    with pytest.raises(SourceUnavailable, match="'people'"):
        read_one(cfg, tmp_path)


def test_missing_table_is_reported_naming_the_source(tmp_path: Path) -> None:
    _sqlite_db(tmp_path / "src.sqlite")
    cfg = config({"kind": "sql", "url": "sqlite:///{data_dir}/src.sqlite", "table": "khong_co"})
    with pytest.raises(SourceUnavailable, match=r"'people'.*khong_co"):
        read_one(cfg, tmp_path)


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"ndc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_table_and_incremental_query(tmp_path: Path, pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as db:
        db.execute(
            text(
                "CREATE TABLE gplx (so_gplx TEXT PRIMARY KEY, ho_ten TEXT, diem INTEGER, "
                "cap_nhat TIMESTAMP)"
            )
        )
        db.execute(
            text(
                "INSERT INTO gplx VALUES ('790000000001', 'Nguyễn Văn An', 12, "
                "'2025-01-01 08:00'), ('790000000002', 'Trần Thị Bình', NULL, '2025-03-01 08:00')"
            )
        )
    engine.dispose()
    cfg = SourceConfig.model_validate(
        {
            **config({"kind": "file", "format": "csv", "path": "x"}).model_dump(),
            "connection": {"kind": "sql", "url": pg_url, "table": "gplx"},
            "key": ["so_gplx"],
            "sync": {"mode": "incremental", "watermark": "cap_nhat"},
        }
    )
    batch = read_one(cfg, tmp_path)
    assert records(batch) == [
        {"so_gplx": "790000000001", "ho_ten": "Nguyễn Văn An", "diem": "12",
         "cap_nhat": "2025-01-01 08:00:00"},
        {"so_gplx": "790000000002", "ho_ten": "Trần Thị Bình", "diem": None,
         "cap_nhat": "2025-03-01 08:00:00"},
    ]  # fmt: skip
    newer = read_one(cfg, tmp_path, since="2025-02-01 00:00:00")
    assert [r["so_gplx"] for r in records(newer)] == ["790000000002"]
