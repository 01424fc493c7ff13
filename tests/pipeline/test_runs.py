"""A pipeline run accounts for every row (accepted, or quarantined with reason codes) and a
broken source fails alone, with a clear message and nothing half-written."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import duckdb
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from ndc.pipeline.service import run_pipeline
from ndc.pipeline.store import connect, table_exists
from ndc.quality.quarantine import export_quarantine, list_quarantine
from ndc.standardize.encodings import encode_legacy

from .conftest import AN, BINH, CUONG, DUNG, EN, HEADER, PEOPLE, Runner, person_config, rows
from .conftest import write_rows as write


def _open(data_dir: Path) -> duckdb.DuckDBPyConnection:
    return connect(data_dir)


def test_first_run_loads_and_reconciles(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    report = run(person_config())
    assert report.status == "ok", report.message
    assert (report.rows_read, report.new, report.accepted, report.quarantined) == (4, 4, 4, 0)
    assert report.reconciled
    con = _open(data_dir)
    std = rows(con, "SELECT _record_key, _status, full_name, sex FROM std_people ORDER BY 1")
    assert std == [
        ("001085000004", "accepted", "Phạm Văn Dũng", "1"),
        ("001090000001", "accepted", "Nguyễn Văn An", "1"),
        ("048200000003", "accepted", "Lê Văn Cường", "1"),
        ("079185000002", "accepted", "Trần Thị Bình", "2"),
    ]
    run_row = rows(con, "SELECT status, rows_read, rows_in, accepted, quarantined, reconciled "
                        "FROM runs")  # fmt: skip
    assert run_row == [("ok", 4, 4, 4, 0, True)]


def test_broken_rows_are_quarantined_and_the_rest_loads(data_dir: Path, run: Runner) -> None:
    lines = [
        ",".join(HEADER),
        ",".join(AN),
        '079185000002,"Trần "Thị" Bình",02/11/1985,Nữ',
        ",".join(CUONG) + ",thừa",
        ",".join(DUNG),
        ",".join(AN[:1]) + ",Nguyễn Văn An Trùng,15/03/1990,Nam",  # same key again
        ",".join(("", *EN[1:])),  # no key
    ]
    (data_dir / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run(person_config())
    assert report.status == "ok"
    assert report.rows_read == 6 and report.reconciled
    assert (report.accepted, report.rejected) == (2, 4)
    con = _open(data_dir)
    assert [r[0] for r in rows(con, "SELECT _record_key FROM std_people ORDER BY 1")] == [
        "001085000004",
        "001090000001",
    ]
    # The first occurrence of a key wins; the second is refused at the door.
    assert rows(con, "SELECT full_name FROM std_people WHERE _record_key = ?", AN[0]) == [
        ("Nguyễn Văn An",)
    ]
    q = {r.row_number: r for r in list_quarantine(con, "people")}
    assert {n: r.reasons for n, r in q.items()} == {
        3: ["ingest.broken_quoting"],
        4: ["ingest.column_count"],
        6: ["clean.duplicate_key"],
        7: ["complete.record_key"],
    }
    assert q[3].raw == lines[2] and q[4].raw == lines[3]
    assert all(r.file and r.file.endswith("people.csv") for r in q.values())
    assert "001090000001" in q[6].values  # the agency can see which key was repeated


def test_duplicate_key_quarantine_shows_the_offending_row(data_dir: Path, run: Runner) -> None:
    """What the owner agency receives for a duplicate key must show the row, not a hash."""
    write(data_dir / "people.csv", [AN, (AN[0], "Nguyễn Văn An Trùng", AN[2], AN[3])])
    run(person_config())
    con = _open(data_dir)
    (entry,) = list_quarantine(con, "people")
    assert entry.reasons == ["clean.duplicate_key"]
    assert entry.raw is not None and "Nguyễn Văn An Trùng" in entry.raw


def test_read_failure_fails_the_source_alone_with_no_partial_state(
    data_dir: Path, run: Runner
) -> None:
    (data_dir / "people.csv").write_text(
        ";".join(HEADER) + "\n" + ";".join(AN) + "\n", encoding="utf-8"
    )
    write(data_dir / "others.csv", PEOPLE)
    broken = person_config(
        connection={"kind": "file", "format": "csv", "path": "people.csv", "delimiter": ","}
    )
    fine = person_config(
        id="others", connection={"kind": "file", "format": "csv", "path": "others.csv"}
    )
    reports = {r.source_id: r for r in run_pipeline(data_dir, [broken, fine])}
    assert reports["people"].status == "failed"
    assert "people.csv" in reports["people"].message
    assert reports["others"].status == "ok" and reports["others"].accepted == 4
    con = _open(data_dir)
    assert not table_exists(con, "raw_people") and not table_exists(con, "std_people")
    assert rows(con, "SELECT count(*) FROM sync_state WHERE source_id = 'people'") == [(0,)]
    assert rows(con, "SELECT status, message LIKE '%people.csv%' FROM runs "
                     "WHERE source_id = 'people'") == [("failed", True)]  # fmt: skip


def test_unreachable_database_fails_with_a_message_naming_the_source(
    data_dir: Path, run: Runner
) -> None:
    cfg = person_config(
        connection={
            "kind": "sql",
            "url": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=3",
            "table": "nguoi",
        }
    )
    report = run(cfg)
    assert report.status == "failed"
    assert "'people'" in report.message and "not reachable" in report.message
    con = _open(data_dir)
    assert not table_exists(con, "raw_people")


def test_missing_file_fails_and_a_later_run_loads(data_dir: Path, run: Runner) -> None:
    first = run(person_config())
    assert first.status == "failed" and "people.csv" in first.message
    write(data_dir / "people.csv", PEOPLE)
    second = run(person_config())
    assert second.status == "ok" and second.new == 4


def test_file_in_a_wrong_encoding_is_not_accepted_garbled(data_dir: Path, run: Runner) -> None:
    """Declared UTF-8 but sent in Windows-1258: names must not enter as replacement characters."""
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in PEOPLE) + "\n"
    (data_dir / "people.csv").write_bytes(encode_legacy(text, "cp1258"))
    cfg = person_config(
        connection={"kind": "file", "format": "csv", "path": "people.csv", "encoding": "utf-8"}
    )
    report = run(cfg)
    assert report.status == "ok" and report.reconciled
    con = _open(data_dir)
    accepted = rows(con, "SELECT full_name FROM std_people WHERE _status = 'accepted'")
    assert all("\ufffd" not in (name or "") for (name,) in accepted)
    reasons = {r for q in list_quarantine(con, "people") for r in q.reasons}
    assert "clean.encoding_damage:full_name" in reasons


def test_legacy_encoded_file_loads_clean(data_dir: Path, run: Runner) -> None:
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in PEOPLE) + "\n"
    (data_dir / "people.csv").write_bytes(encode_legacy(text, "tcvn3"))
    report = run(person_config())
    assert report.status == "ok" and report.accepted == 4
    con = _open(data_dir)
    names = {r[0] for r in rows(con, "SELECT full_name FROM std_people")}
    assert names == {r[1] for r in PEOPLE}


def test_quarantine_export_for_the_owner_agency(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, (BINH[0], "", BINH[2], BINH[3])])
    run(person_config())
    con = _open(data_dir)
    out = data_dir / "export" / "people.csv"
    assert export_quarantine(con, "people", out) == 1
    text = out.read_text(encoding="utf-8-sig")
    assert "079185000002" in text and "complete.required:full_name" in text
    assert "Thiếu trường bắt buộc" in text


def test_run_details_record_the_accounting(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    report = run(person_config())
    con = _open(data_dir)
    (details,) = rows(con, "SELECT details FROM runs WHERE run_id = ?", report.run_id)[0]
    got = json.loads(details)
    assert (got["new"], got["changed"], got["rejected"], got["processed"]) == (4, 0, 0, 4)


LINE_KINDS = st.sampled_from(["good", "no_name", "bad_id", "dup", "no_key", "quote", "extra"])


def _line(kind: str, i: int) -> str:
    cccd = f"0010{90 + i % 10}{i:06d}"  # male, born 199x: digits 4-6 agree with the date
    good = f"{cccd},Nguyễn Văn Số {i},15/03/{1990 + i % 10},Nam"
    return {
        "good": good,
        "no_name": f"{cccd},,15/03/{1990 + i % 10},Nam",
        "bad_id": f"00{i},Trần Văn {i},01/01/1990,Nam",
        "dup": "001090000001,Nguyễn Văn Trùng,15/03/1990,Nam",
        "no_key": f",Lê Văn {i},01/01/1990,Nam",
        "quote": f'{cccd},"Hồ "Văn" {i}",01/01/1990,Nam',
        "extra": good + ",thừa",
    }[kind]


@settings(max_examples=4, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@example(first=["good", "quote", "dup", "no_key"], second=["good", "bad_id", "extra", "no_name"])
@given(
    first=st.lists(LINE_KINDS, min_size=1, max_size=12),
    second=st.lists(LINE_KINDS, min_size=0, max_size=12),
)
def test_every_row_ends_in_exactly_one_place(first: list[str], second: list[str]) -> None:
    """Property: whatever mix of good and broken rows two successive files hold, each run's
    counts reconcile and the rows of the file are the std rows plus the open door rejects."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        path = data_dir / "people.csv"
        head = ",".join(HEADER)
        for n, kinds in enumerate((first, second)):
            lines = [_line("good", 1) if n == 0 else _line("good", 2)]
            lines += [_line(k, i + 3 + n) for i, k in enumerate(kinds)]
            path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
            os.utime(path, ns=(0, 10**18 + n * 10**9))
            (report,) = run_pipeline(data_dir, [person_config()])
            assert report.status == "ok", report.message
            assert report.reconciled, report
            con = connect(data_dir)
            try:
                (in_std,) = con.execute(
                    "SELECT count(*) FROM std_people WHERE NOT _deleted"
                ).fetchall()[0]
                (door,) = con.execute(
                    "SELECT count(*) FROM quarantine WHERE status = 'open' AND record_key IS NULL"
                ).fetchall()[0]
                (open_keyed,) = con.execute(
                    "SELECT count(*) FROM quarantine WHERE status = 'open' "
                    "AND record_key IS NOT NULL"
                ).fetchall()[0]
                (q_std,) = con.execute(
                    "SELECT count(*) FROM std_people WHERE NOT _deleted AND _status = 'quarantined'"
                ).fetchall()[0]
            finally:
                con.close()
            assert in_std + door == len(lines), (n, lines)
            assert open_keyed == q_std


def test_identical_duplicate_lines_are_each_quarantined(data_dir: Path, run: Runner) -> None:
    """Three copies of one line: one accepted, two quarantined. None may be counted as
    'unchanged' on its first appearance (it was never loaded)."""
    dup = ",".join(AN)
    (data_dir / "people.csv").write_text(
        "\n".join([",".join(HEADER), dup, dup, dup, ",".join(BINH)]) + "\n", encoding="utf-8"
    )
    report = run(person_config())
    assert report.rows_read == 4
    assert (report.unchanged, report.accepted, report.rejected) == (0, 2, 2)
    con = _open(data_dir)
    assert len(list_quarantine(con, "people")) == 2
