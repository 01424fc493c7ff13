"""Incremental sync: a re-run with no change loads nothing; changed rows replace their previous
version; removed rows become tombstones; an incremental source loads only rows past its
watermark."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ndc.pipeline.store import connect
from ndc.quality.quarantine import list_quarantine

from .conftest import AN, BINH, CUONG, DUNG, EN, HEADER, PEOPLE, Runner, person_config, rows
from .conftest import write_rows as write


def test_rerun_without_change_reads_nothing(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    assert run(person_config()).new == 4
    again = run(person_config())
    assert again.status == "ok"
    assert (again.rows_read, again.new, again.changed, again.tombstoned) == (0, 0, 0, 0)
    assert again.reconciled
    con = connect(data_dir)
    assert rows(con, "SELECT count(*) FROM raw_people") == [(4,)]
    assert rows(con, "SELECT count(*) FROM runs WHERE reconciled AND status = 'ok'") == [(2,)]
    (state,) = rows(con, "SELECT last_run_id, last_success IS NOT NULL FROM sync_state")
    assert state == (again.run_id, True)


def test_touched_file_with_same_content_loads_nothing(data_dir: Path, run: Runner) -> None:
    path = write(data_dir / "people.csv", PEOPLE)
    run(person_config())
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    again = run(person_config())
    assert (again.rows_read, again.unchanged, again.new, again.changed) == (4, 4, 0, 0)
    assert again.reconciled
    con = connect(data_dir)
    assert rows(con, "SELECT count(*) FROM raw_people") == [(4,)]


def test_change_remove_add(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    run(person_config())
    moved = (BINH[0], "Trần Thị Bình Minh", BINH[2], BINH[3])
    write(data_dir / "people.csv", [AN, moved, CUONG, EN])  # DUNG removed, EN added
    report = run(person_config())
    assert report.status == "ok", report.message
    assert (report.new, report.changed, report.tombstoned) == (1, 1, 1)
    assert (report.rows_read, report.unchanged) == (4, 2)
    assert report.accepted == 2 and report.reconciled
    con = connect(data_dir)
    assert rows(con, "SELECT full_name FROM std_people WHERE _record_key = ?", BINH[0]) == [
        ("Trần Thị Bình Minh",)
    ]
    assert rows(con, "SELECT count(*) FROM std_people WHERE _record_key = ?", BINH[0]) == [(1,)]
    assert rows(con, "SELECT _deleted FROM std_people WHERE _record_key = ?", DUNG[0]) == [(True,)]
    assert rows(
        con, "SELECT _deleted, _version FROM cur_people WHERE _record_key = ?", DUNG[0]
    ) == [(True, 2)]
    # Every version ever read is kept once in the raw table.
    assert rows(
        con, "SELECT count(*), count(DISTINCT (_record_key, _row_hash)) FROM raw_people"
    ) == [(6, 6)]
    assert rows(con, "SELECT count(*) FROM std_people WHERE NOT _deleted") == [(4,)]


def test_removed_key_coming_back_is_loaded_again(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    run(person_config())
    write(data_dir / "people.csv", PEOPLE[:3])
    assert run(person_config()).tombstoned == 1
    write(data_dir / "people.csv", PEOPLE)
    back = run(person_config())
    assert back.status == "ok", back.message
    assert back.new + back.changed == 1 and back.reconciled
    con = connect(data_dir)
    assert rows(con, "SELECT _deleted, _status FROM std_people WHERE _record_key = ?", DUNG[0]) == [
        (False, "accepted")
    ]


def test_fixed_row_leaves_quarantine(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, (BINH[0], "", BINH[2], BINH[3])])
    first = run(person_config())
    assert first.quarantined == 1
    write(data_dir / "people.csv", [AN, BINH])
    second = run(person_config())
    assert second.status == "ok", second.message
    assert (second.changed, second.accepted, second.quarantined) == (1, 1, 0)
    con = connect(data_dir)
    assert list_quarantine(con, "people") == []
    assert [r.status for r in list_quarantine(con, "people", status="all")] == ["superseded"]
    assert rows(con, "SELECT _status FROM std_people WHERE _record_key = ?", BINH[0]) == [
        ("accepted",)
    ]


def test_unreadable_line_still_in_the_file_stays_quarantined(data_dir: Path, run: Runner) -> None:
    """A broken line the agency has not fixed must stay open in quarantine when other rows
    of the file change (it is neither accepted nor gone)."""
    broken = '079185000002,"Trần "Thị" Bình",02/11/1985,Nữ'
    dup = ",".join((AN[0], "Nguyễn Văn An Trùng", AN[2], AN[3]))

    def body(cuong_name: str) -> str:
        good = [AN, (CUONG[0], cuong_name, CUONG[2], CUONG[3])]
        lines = [",".join(HEADER), *(",".join(r) for r in good), broken, dup]
        return "\n".join(lines) + "\n"

    path = data_dir / "people.csv"
    path.write_text(body(CUONG[1]), encoding="utf-8")
    first = run(person_config())
    assert first.rejected == 2
    path.write_text(body("Lê Văn Cường Mới"), encoding="utf-8")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 5_000_000_000))
    second = run(person_config())
    assert second.status == "ok", second.message
    assert second.changed == 1 and second.reconciled
    con = connect(data_dir)
    open_reasons = sorted(r for q in list_quarantine(con, "people") for r in q.reasons)
    assert open_reasons == ["clean.duplicate_key", "ingest.broken_quoting"]


def test_fixed_unreadable_line_is_superseded(data_dir: Path, run: Runner) -> None:
    path = data_dir / "people.csv"
    broken = '079185000002,"Trần "Thị" Bình",02/11/1985,Nữ'
    path.write_text(",".join(HEADER) + "\n" + ",".join(AN) + "\n" + broken + "\n", "utf-8")
    assert run(person_config()).rejected == 1
    write(path, [AN, BINH])
    fixed = run(person_config())
    assert fixed.status == "ok", fixed.message
    assert fixed.new == 1 and fixed.accepted == 1
    con = connect(data_dir)
    assert list_quarantine(con, "people") == []


# --------------------------------------------------------------------------- SQL watermark


def _db(path: Path, rows_: list[tuple[str, str, str, str, str]]) -> None:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE IF NOT EXISTS nguoi (cccd TEXT PRIMARY KEY, ho_ten TEXT, ngay_sinh TEXT, "
        "gioi_tinh TEXT, cap_nhat TEXT)"
    )
    db.executemany("INSERT OR REPLACE INTO nguoi VALUES (?, ?, ?, ?, ?)", rows_)
    db.commit()
    db.close()


def test_incremental_sql_source_loads_only_newer_rows(data_dir: Path, run: Runner) -> None:
    db = data_dir / "dan_cu.sqlite"
    _db(db, [(*AN, "2025-01-01T08:00:00"), (*BINH, "2025-01-02T08:00:00")])
    cfg = person_config(
        connection={"kind": "sql", "url": "sqlite:///{data_dir}/dan_cu.sqlite", "table": "nguoi"},
        sync={"mode": "incremental", "watermark": "cap_nhat"},
    )
    first = run(cfg)
    assert (first.rows_read, first.new, first.accepted) == (2, 2, 2)
    con = connect(data_dir)
    assert rows(con, "SELECT watermark FROM sync_state") == [("2025-01-02T08:00:00",)]
    con.close()

    nothing = run(cfg)
    assert (nothing.rows_read, nothing.new) == (0, 0) and nothing.reconciled

    # One row changed (watermark moves), one added; an old row edited without moving the
    # watermark is not re-read (that is what incremental means).
    _db(
        db,
        [
            (AN[0], "Nguyễn Văn An Edited", AN[2], AN[3], "2025-01-01T08:00:00"),
            (BINH[0], "Trần Thị Bình Minh", BINH[2], BINH[3], "2025-02-01T08:00:00"),
            (*CUONG, "2025-02-02T08:00:00"),
        ],
    )
    third = run(cfg)
    assert third.status == "ok", third.message
    assert (third.rows_read, third.changed, third.new, third.tombstoned) == (2, 1, 1, 0)
    assert third.reconciled
    con = connect(data_dir)
    names = dict(rows(con, "SELECT _record_key, full_name FROM std_people WHERE NOT _deleted"))
    assert names == {
        AN[0]: "Nguyễn Văn An",
        BINH[0]: "Trần Thị Bình Minh",
        CUONG[0]: "Lê Văn Cường",
    }
    assert rows(con, "SELECT watermark FROM sync_state") == [("2025-02-02T08:00:00",)]
