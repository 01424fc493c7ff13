"""Survivorship: master first, then most recent, most complete or most frequent as the dictionary
declares per field, with provenance and the verified flag on every attribute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ndc.golden import build_golden
from ndc.pipeline.store import connect

from .conftest import AN, BINH, CUONG, MST, T


def built(data_dir: Path, entity_id: str, entity: str = "person") -> dict[str, dict[str, Any]]:
    build_golden(data_dir, "run-1")
    con = connect(data_dir)
    try:
        rows = con.execute(
            "SELECT attribute, value, source_id, record_key, as_of, verified FROM golden_values "
            "WHERE entity = ? AND entity_id = ?",
            [entity, entity_id],
        ).fetchall()
    finally:
        con.close()
    keys = ("value", "source_id", "record_key", "as_of", "verified")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


def test_master_value_wins_over_newer_and_more_frequent_values(hand_dir: Path) -> None:
    an = built(hand_dir, AN)
    # Two agencies agree on "Ân" and loaded later, but full_name is [master, most_recent].
    assert an["full_name"] == {
        "value": "Nguyễn Văn An", "source_id": "population", "record_key": AN,
        "as_of": T["population"], "verified": True,
    }  # fmt: skip


def test_most_recent_value_wins_when_the_field_has_no_master_rule(hand_dir: Path) -> None:
    an = built(hand_dir, AN)
    # phone is [most_recent, most_frequent]: social insurance (loaded last) beats the register.
    assert an["phone"]["value"] == "0912999999"
    assert an["phone"]["source_id"] == "social_insurance"
    assert an["phone"]["record_key"] == "S1"
    assert an["phone"]["as_of"] == T["social_insurance"]
    assert an["phone"]["verified"] is False  # the register says otherwise


def test_most_frequent_value_wins_without_a_master_value(hand_dir: Path) -> None:
    binh = built(hand_dir, BINH)
    # sex is [master, most_frequent]; the register has none; '2' (health, civil servants)
    # outvotes '1' even though '1' came from the most recent load (social insurance).
    assert binh["sex"]["value"] == "2"
    assert binh["sex"]["source_id"] == "civil_servants"  # the newer of the two records
    assert binh["sex"]["verified"] is False  # nothing from the master source to agree with


def test_most_complete_date_beats_more_frequent_partial_dates(hand_dir: Path) -> None:
    binh = built(hand_dir, BINH)
    # date_of_birth is [master, most_complete, most_frequent]: a full date over two year-only ones.
    assert binh["date_of_birth"]["value"] == "1985-11-02"
    assert binh["date_of_birth"]["source_id"] == "health_insurance"


def test_value_agreeing_with_the_master_is_verified_and_cites_the_master(hand_dir: Path) -> None:
    cuong = built(hand_dir, CUONG)
    # Health insurance (newer) offers the register's own phone: verified, register cited.
    assert cuong["phone"]["value"] == "0903000003"
    assert cuong["phone"]["verified"] is True
    assert cuong["phone"]["source_id"] == "population"


def test_partial_dates_keep_their_precision_and_people_without_values_have_no_attribute(
    hand_dir: Path,
) -> None:
    an = built(hand_dir, AN)
    assert an["date_of_birth"]["value"] == "1990-03-15"
    assert "date_of_death" not in an


def test_enterprises_get_golden_records_from_the_business_register(hand_dir: Path) -> None:
    ent = built(hand_dir, MST, "enterprise")
    assert ent["name"]["value"] == "Công ty TNHH An Bình"
    assert ent["name"]["source_id"] == "business_registry" and ent["name"]["verified"] is True
    assert ent["mst"]["value"] == MST


def test_build_counts_entities_and_a_rebuild_changes_nothing(hand_dir: Path) -> None:
    first = build_golden(hand_dir, "run-1")
    assert first.entities == {"enterprise": 1, "person": 3}
    assert first.created_entities == 4
    again = build_golden(hand_dir, "run-2")
    assert (again.created_entities, again.changed_attributes, again.removed_entities) == (0, 0, 0)


def test_quarantined_and_unlinked_records_offer_nothing(hand_dir: Path) -> None:
    con = connect(hand_dir)
    try:  # S1's newer phone: its record is quarantined now, and H1 loses its link
        con.execute(
            "UPDATE std_social_insurance SET _status = 'quarantined' WHERE _record_key = 'S1'"
        )
        con.execute("UPDATE links SET status = 'review' WHERE record_key = 'H1'")
    finally:
        con.close()
    an = built(hand_dir, AN)
    assert an["phone"] == {
        "value": "0912000001", "source_id": "population", "record_key": AN,
        "as_of": T["population"], "verified": True,
    }  # fmt: skip


def test_ties_resolve_the_same_way_on_every_build(hand_dir: Path) -> None:
    con = connect(hand_dir)
    try:  # two register records for one enterprise, loaded together, with different names;
        # two health records of one person offering the same phone in the same load
        con.execute(
            "INSERT INTO std_business_registry (_record_key, _load_id, _status, _deleted, mst, "
            "name) VALUES ('HS2', 'business_registry-load-1', 'accepted', false, ?, ?)",
            [MST, "Công ty TNHH An Binh"],
        )
        con.execute(
            "INSERT INTO links VALUES ('business_registry', 'HS2', 'enterprise', ?, 'linked', "
            "'master', 1.0, 'test', now())",
            [MST],
        )
        con.execute(
            "INSERT INTO std_health_insurance (_record_key, _load_id, _status, _deleted, "
            "person__phone) VALUES ('H1b', 'health_insurance-load-1', 'accepted', false, "
            "'0912000001')"
        )
        con.execute(
            "INSERT INTO links VALUES ('health_insurance', 'H1b', 'person', ?, 'linked', "
            "'deterministic', 1.0, 'test', now())",
            [AN],
        )
    finally:
        con.close()
    first = built(hand_dir, MST, "enterprise")["name"]
    for run in ("run-2", "run-3"):
        assert build_golden(hand_dir, run).changed_attributes == 0
    assert built(hand_dir, MST, "enterprise")["name"] == first
