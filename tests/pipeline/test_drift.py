"""Schema drift: new, missing or retyped columns are reported and never silently drop data."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ndc.pipeline.store import connect, table_columns
from ndc.quality.quarantine import list_quarantine

from .conftest import HEADER, PEOPLE, Runner, person_config, rows
from .conftest import write_rows as write


def test_new_column_is_reported_and_kept(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    run(person_config())
    phones = ["0912345678", "0987654321", "0901234567", "0934567890"]
    write(
        data_dir / "people.csv",
        [(*r, p) for r, p in zip(PEOPLE, phones, strict=True)],
        header=(*HEADER, "so_dien_thoai"),
    )
    report = run(person_config())
    assert report.status == "ok", report.message
    assert {"kind": "new_column", "column": "so_dien_thoai"} in [
        {k: d[k] for k in ("kind", "column")} for d in report.drift
    ]
    assert report.reconciled
    con = connect(data_dir)
    assert "so_dien_thoai" in table_columns(con, "raw_people")
    kept = rows(
        con,
        "SELECT r.so_dien_thoai FROM raw_people r JOIN cur_people c USING (_record_key, _load_id) "
        "ORDER BY r._row_number",
    )
    assert [k[0] for k in kept] == phones
    assert rows(con, "SELECT kind, column_name FROM schema_drift") == [
        ("new_column", "so_dien_thoai")
    ]
    # Nothing was lost on the way: the same four records, accepted.
    assert rows(
        con, "SELECT count(*) FROM std_people WHERE NOT _deleted AND _status = 'accepted'"
    ) == [(4,)]


def test_missing_mapped_column_quarantines_rather_than_drops(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    run(person_config())
    without_name = ("cccd", "ngay_sinh", "gioi_tinh")
    write(data_dir / "people.csv", [(r[0], r[2], r[3]) for r in PEOPLE], header=without_name)
    report = run(person_config())
    assert report.status == "ok", report.message
    kinds = {(d["kind"], d["column"]) for d in report.drift}
    assert ("missing_mapped_column", "ho_ten") in kinds
    assert report.rows_read == 4 and report.reconciled
    assert report.quarantined == 4
    con = connect(data_dir)
    assert rows(con, "SELECT count(*) FROM std_people WHERE NOT _deleted") == [(4,)]
    entries = list_quarantine(con, "people")
    assert len(entries) == 4
    assert all("complete.required:full_name" in e.reasons for e in entries)


def test_unmapped_column_disappearing_is_reported(data_dir: Path, run: Runner) -> None:
    header = (*HEADER, "ghi_chu")
    write(data_dir / "people.csv", [(*r, "x") for r in PEOPLE], header=header)
    run(person_config())
    write(data_dir / "people.csv", PEOPLE)
    report = run(person_config())
    assert report.status == "ok", report.message
    assert ("missing_column", "ghi_chu") in {(d["kind"], d["column"]) for d in report.drift}


def test_retyped_column_is_reported(data_dir: Path, run: Runner) -> None:
    """A Parquet column that changes type (number -> text) is schema drift the engineer must
    hear about, even though the raw table keeps every value as text."""
    base = {
        "cccd": [r[0] for r in PEOPLE],
        "ho_ten": [r[1] for r in PEOPLE],
        "ngay_sinh": [r[2] for r in PEOPLE],
        "gioi_tinh": [r[3] for r in PEOPLE],
    }
    path = data_dir / "people.parquet"
    pq.write_table(pa.table({**base, "so_nha": pa.array([1, 2, 3, 4], pa.int64())}), path)
    cfg = person_config(connection={"kind": "file", "format": "parquet", "path": "people.parquet"})
    run(cfg)
    pq.write_table(pa.table({**base, "so_nha": ["1A", "2", "3", "4B"]}), path)
    report = run(cfg)
    assert report.status == "ok", report.message
    assert "so_nha" in {d["column"] for d in report.drift}
    con = connect(data_dir)
    values = rows(
        con,
        "SELECT r.so_nha FROM raw_people r JOIN cur_people c USING (_record_key, _load_id) "
        "ORDER BY r._row_number",
    )
    assert [v[0] for v in values] == ["1A", "2", "3", "4B"]
