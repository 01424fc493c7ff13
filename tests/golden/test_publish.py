"""Publishing on SQLite and PostgreSQL: only changed records are written, each with one event;
readers return provenance; the change feed is read with a cursor."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from ndc.golden import (
    ChangeEventRow,
    GoldenRecordRow,
    UnknownGoldenEntity,
    build_golden,
    changes_since,
    get_golden,
    publish,
)
from ndc.pipeline.store import connect

from .conftest import AN, BINH, CUONG, MST, T


def _count(engine: Engine, model: type[GoldenRecordRow] | type[ChangeEventRow]) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def rename_cuong(data_dir: Path, name: str, at: datetime) -> None:
    """The register sends a new version of Cường's row (an incremental load at ``at``)."""
    load_id = f"population-{at:%Y%m%d%H%M}"
    con = connect(data_dir)
    try:
        con.execute(
            "UPDATE std_population SET full_name = ?, _load_id = ? WHERE _record_key = ?",
            [name, load_id, CUONG],
        )
        con.execute(
            "INSERT INTO runs (run_id, source_id, started_at, status) VALUES (?, ?, ?, 'ok')",
            [load_id, "population", at],
        )
    finally:
        con.close()


def test_first_publish_writes_every_record_with_one_created_event(
    hand_dir: Path, engine: Engine
) -> None:
    build_golden(hand_dir, "b1")
    res = publish(hand_dir, engine, "p1")
    assert (res.written, res.unchanged, res.deleted, res.events) == (4, 0, 0, 4)
    assert (res.first_seq, res.last_seq) == (1, 4)
    assert _count(engine, GoldenRecordRow) == 4
    events = changes_since(engine, 0, 100)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert {e.kind for e in events} == {"created"} and {e.version for e in events} == {1}
    assert {e.run_id for e in events} == {"p1"}
    [an] = [e for e in events if e.entity_id == AN]
    assert an.sources == ["population", "social_insurance"]  # the phone is social insurance's


def test_get_golden_returns_values_with_provenance(hand_dir: Path, engine: Engine) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    an = get_golden(engine, "person", AN)
    assert an is not None and an.version == 1
    assert an.value("full_name") == "Nguyễn Văn An"
    name = an.attributes["full_name"].provenance
    assert (name.source_id, name.record_key, name.as_of, name.verified) == (
        "population", AN, T["population"], True,
    )  # fmt: skip
    phone = an.attributes["phone"]
    assert phone.value == "0912999999"
    assert (phone.provenance.source_id, phone.provenance.record_key) == ("social_insurance", "S1")
    assert phone.provenance.as_of == T["social_insurance"] and not phone.provenance.verified
    binh = get_golden(engine, "person", BINH)
    assert binh is not None and binh.attributes["sex"].provenance.source_id == "civil_servants"
    with Session(engine) as session:  # a session works as well as an engine
        ent = get_golden(session, "enterprise", MST)
    assert ent is not None and ent.value("name") == "Công ty TNHH An Bình"
    assert get_golden(engine, "person", "000000000000") is None
    with pytest.raises(UnknownGoldenEntity):
        get_golden(engine, "land_parcel", "1")


def test_republish_without_change_writes_nothing_and_emits_nothing(
    hand_dir: Path, engine: Engine
) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    build_golden(hand_dir, "b2")  # same inputs
    res = publish(hand_dir, engine, "p2")
    assert (res.written, res.unchanged, res.events) == (0, 4, 0)
    assert _count(engine, ChangeEventRow) == 4
    assert changes_since(engine, 4) == []


def test_a_changed_attribute_writes_one_record_and_one_event_naming_it(
    hand_dir: Path, engine: Engine
) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    rename_cuong(hand_dir, "Lê Văn Cương", datetime(2026, 2, 1, 9, 0))
    stats = build_golden(hand_dir, "b2")
    assert stats.changed_attributes == 1
    res = publish(hand_dir, engine, "p2")
    assert (res.written, res.unchanged, res.events) == (1, 3, 1)
    [event] = changes_since(engine, 4)
    assert (event.seq, event.entity, event.entity_id, event.version, event.kind) == (
        5, "person", CUONG, 2, "updated",
    )  # fmt: skip
    assert event.attributes == ["full_name"] and event.sources == ["population"]
    assert event.previous is not None
    old = event.previous["full_name"]
    assert old is not None and old.value == "Lê Văn Cường"
    assert old.provenance.as_of == T["population"]
    cuong = get_golden(engine, "person", CUONG)
    assert cuong is not None and cuong.version == 2 and cuong.value("full_name") == "Lê Văn Cương"
    assert cuong.attributes["full_name"].provenance.as_of == datetime(2026, 2, 1, 9, 0)


def test_a_record_no_longer_linked_is_deleted_with_an_event(hand_dir: Path, engine: Engine) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    con = connect(hand_dir)
    try:
        con.execute("UPDATE links SET status = 'unmatched', target_id = NULL WHERE target_id = ?",
                    [MST])  # fmt: skip
    finally:
        con.close()
    assert build_golden(hand_dir, "b2").removed_entities == 1
    res = publish(hand_dir, engine, "p2")
    assert (res.written, res.deleted, res.events) == (0, 1, 1)
    assert get_golden(engine, "enterprise", MST) is None
    [event] = changes_since(engine, 4)
    assert (event.kind, event.entity_id, event.version) == ("deleted", MST, 2)
    assert event.previous is not None and event.previous["name"] is not None


def test_changes_since_pages_through_the_feed_with_a_cursor(hand_dir: Path, engine: Engine) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    seen: list[int] = []
    cursor = 0
    while page := changes_since(engine, cursor, limit=3):
        seen += [e.seq for e in page]
        cursor = page[-1].seq
    assert seen == [1, 2, 3, 4]


def test_publishing_to_a_second_store_writes_everything_there(
    hand_dir: Path, engine: Engine, tmp_path: Path
) -> None:
    from ndc.store.engine import create_store_engine

    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    other = create_store_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        res = publish(hand_dir, other, "p2")
        assert (res.written, res.events) == (4, 4)
        assert publish(hand_dir, engine, "p3").written == 0  # the first store is still current
    finally:
        other.dispose()


def test_values_needing_json_escapes_round_trip(hand_dir: Path, engine: Engine) -> None:
    name = 'Công ty "An Bình" \\ chi nhánh\tHà Nội'
    con = connect(hand_dir)
    try:
        con.execute("UPDATE std_business_registry SET name = ?", [name])
    finally:
        con.close()
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    ent = get_golden(engine, "enterprise", MST)
    assert ent is not None and ent.value("name") == name


def test_a_store_that_lost_its_records_gets_them_all_again(hand_dir: Path, engine: Engine) -> None:
    build_golden(hand_dir, "b1")
    publish(hand_dir, engine, "p1")
    with engine.begin() as conn:
        conn.execute(delete(GoldenRecordRow))
    res = publish(hand_dir, engine, "p2")
    assert (res.written, res.events) == (4, 4)
    assert get_golden(engine, "person", AN) is not None
