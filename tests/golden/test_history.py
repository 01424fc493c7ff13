"""History: every attribute change is kept with when and why; any past state can be read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from ndc.golden import build_golden, golden_as_of, history, publish
from ndc.pipeline.store import connect

from .conftest import AN, CUONG, MST, T
from .test_publish import rename_cuong


def test_build_history_records_old_and_new_value_run_and_source(hand_dir: Path) -> None:
    assert build_golden(hand_dir, "b1").recomputed == 4
    rename_cuong(hand_dir, "Lê Văn Cương", datetime(2026, 2, 1, 9, 0))
    stats = build_golden(hand_dir, "b2")
    assert stats.recomputed == 1  # only the record whose input changed
    con = connect(hand_dir)
    try:
        rows = con.execute(
            "SELECT entity_id, attribute, change, old_value, value, source_id, record_key, run_id "
            "FROM golden_history"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        (CUONG, "full_name", "changed", "Lê Văn Cường", "Lê Văn Cương", "population", CUONG, "b2")
    ]


def test_state_as_of_any_past_date(hand_dir: Path, engine: Engine) -> None:
    build_golden(hand_dir, "b1")
    first = publish(hand_dir, engine, "p1")
    [created] = history(engine, "person", CUONG)
    t1 = created.created_at
    rename_cuong(hand_dir, "Lê Văn Cương", datetime(2026, 2, 1, 9, 0))
    build_golden(hand_dir, "b2")
    publish(hand_dir, engine, "p2")
    rename_cuong(hand_dir, "Lê Cương", datetime(2026, 3, 1, 9, 0))
    build_golden(hand_dir, "b3")
    publish(hand_dir, engine, "p3")
    events = history(engine, "person", CUONG)
    assert [(e.version, e.kind, e.run_id) for e in events] == [
        (1, "created", "p1"), (2, "updated", "p2"), (3, "updated", "p3"),
    ]  # fmt: skip
    t2, t3 = events[1].created_at, events[2].created_at
    assert first.events == 4

    assert golden_as_of(engine, "person", CUONG, t1 - timedelta(seconds=1)) is None
    at1 = golden_as_of(engine, "person", CUONG, t1)
    assert at1 is not None and at1.version == 1 and at1.value("full_name") == "Lê Văn Cường"
    assert at1.attributes["full_name"].provenance.as_of == T["population"]
    assert at1.value("phone") == "0903000003"  # untouched attributes come along
    at2 = golden_as_of(engine, "person", CUONG, t2 + (t3 - t2) / 2)
    assert at2 is not None and at2.version == 2 and at2.value("full_name") == "Lê Văn Cương"
    now = golden_as_of(engine, "person", CUONG, t3 + timedelta(days=1))
    assert now is not None and now.version == 3 and now.value("full_name") == "Lê Cương"
    other = golden_as_of(engine, "person", AN, t3)
    assert other is not None and other.version == 1


def test_a_deleted_record_can_still_be_read_as_it_was(hand_dir: Path, engine: Engine) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    con = connect(hand_dir)
    try:
        con.execute("DELETE FROM links WHERE target_id = ?", [MST])
    finally:
        con.close()
    build_golden(hand_dir, "b2")
    publish(hand_dir, engine, "p2")
    created, deleted = history(engine, "enterprise", MST)
    assert golden_as_of(engine, "enterprise", MST, deleted.created_at) is None
    before = golden_as_of(engine, "enterprise", MST, created.created_at)
    assert before is not None and before.value("name") == "Công ty TNHH An Bình"
