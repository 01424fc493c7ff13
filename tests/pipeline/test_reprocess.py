"""Quarantined rows are re-processed after a rule change; ingest-only runs leave rows pending
for a later process step; the counts reconcile throughout."""

from __future__ import annotations

from pathlib import Path

from ndc.pipeline.store import connect
from ndc.quality.quarantine import list_quarantine

from .conftest import AN, BINH, CUONG, DUNG, Runner, person_config, rows
from .conftest import write_rows as write

NO_NAME = (BINH[0], "", BINH[2], BINH[3])
NO_NAME_2 = (DUNG[0], "", DUNG[2], DUNG[3])


def _status(data_dir: Path) -> dict[str, str]:
    con = connect(data_dir)
    try:
        return dict(rows(con, "SELECT _record_key, _status FROM std_people WHERE NOT _deleted"))
    finally:
        con.close()


def test_rule_change_then_reprocess_quarantined(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, NO_NAME, CUONG, NO_NAME_2])
    first = run(person_config())
    assert (first.accepted, first.quarantined) == (2, 2)
    con = connect(data_dir)
    assert {q.record_key for q in list_quarantine(con, "people")} == {BINH[0], DUNG[0]}
    con.close()

    relaxed = person_config(disabled_rules=["complete.required:full_name"])
    again = run(relaxed, scope="quarantined")
    assert again.status == "ok", again.message
    assert (again.rows_read, again.new, again.changed) == (0, 0, 0)  # files unchanged
    assert (again.accepted, again.quarantined) == (2, 0)
    assert again.reconciled
    assert set(_status(data_dir).values()) == {"accepted"}
    con = connect(data_dir)
    assert list_quarantine(con, "people") == []
    assert {q.status for q in list_quarantine(con, "people", status="all")} == {"superseded"}
    assert rows(con, "SELECT count(*) FROM std_people") == [(4,)]
    con.close()


def test_rule_id_prefix_disables_every_field(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, NO_NAME])
    run(person_config())
    report = run(
        person_config(disabled_rules=["complete.required"]), steps=("process",), scope="quarantined"
    )
    assert (report.accepted, report.quarantined) == (1, 0) and report.reconciled
    assert _status(data_dir)[BINH[0]] == "accepted"


def test_reprocess_only_touches_quarantined_rows(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, NO_NAME, CUONG])
    run(person_config())
    report = run(person_config(), steps=("process",), scope="quarantined")
    assert (report.accepted, report.quarantined) == (0, 1)  # same rules: still quarantined
    con = connect(data_dir)
    assert len(list_quarantine(con, "people")) == 1  # one open entry, not two
    assert rows(con, "SELECT count(*) FROM std_people") == [(3,)]
    con.close()


def test_reprocess_all_after_a_rule_change(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, NO_NAME, CUONG])
    run(person_config())
    report = run(person_config(), steps=("process",), scope="all")
    assert report.processed == 3 and report.reconciled
    con = connect(data_dir)
    assert rows(con, "SELECT count(*) FROM std_people") == [(3,)]
    assert len(list_quarantine(con, "people")) == 1
    con.close()


def test_ingest_only_then_process(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", [AN, NO_NAME, CUONG])
    landed = run(person_config(), steps=("ingest",))
    assert landed.status == "ok" and landed.new == 3 and landed.processed == 0
    assert landed.reconciled
    done = run(person_config(), steps=("process",))
    assert (done.accepted, done.quarantined) == (2, 1) and done.reconciled
    nothing = run(person_config(), steps=("process",))
    assert nothing.processed == 0
