"""Land parcels by owner on SQLite and PostgreSQL: an owner's parcels with per-field provenance;
only changes are written; unlinked holders belong to nobody; the chain and CLI publish them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ndc.cli import app
from ndc.golden import (
    LandParcel,
    ParcelPublishResult,
    get_parcel,
    parcels_by_owner,
    publish_parcels,
)
from ndc.golden.links import LINKS_SCHEMA
from ndc.pipeline.store import connect
from ndc.settings import get_settings

from .conftest import AN, BINH, CUONG, MST

T1, T2 = datetime(2026, 2, 1, 9, 0), datetime(2026, 3, 1, 9, 0)
TYPES = {"map_sheet_number": "BIGINT", "parcel_number": "BIGINT", "area_m2": "DOUBLE",
         "certificate_issue_date": "DATE", "person__date_of_birth": "DATE"}  # fmt: skip
COLS = ["map_sheet_number", "parcel_number", "commune_code", "address", "area_m2", "land_use_type",
        "holder_id_kind", "holder_id", "person__full_name", "person__date_of_birth",
        "certificate_issue_date", "certificate_issue_date__precision"]  # fmt: skip


def parcel(key: str, holder: str, area: float, **extra: Any) -> dict[str, Any]:
    return {"_key": key, "map_sheet_number": 12, "parcel_number": int(key[1:]) * 10,
            "commune_code": "00004", "address": f"Thôn {key[1:]}, Phường Ba Đình",
            "area_m2": area, "land_use_type": "ODT",
            "holder_id_kind": "mst" if len(holder) == 10 else "cccd", "holder_id": holder,
            "person__full_name": "Nguyễn Văn An", "person__date_of_birth": "1990-03-15",
            "certificate_issue_date": "2015-06-20",
            "certificate_issue_date__precision": "day", **extra}  # fmt: skip


PARCELS = [
    parcel("P1", AN, 120.5),
    parcel("P2", AN, 300.0),
    parcel("P3", "079185000020", 88.7),  # Bình's ID mistyped: linked by name and birth date
    parcel("P4", "001099999999", 50.0),  # nobody in the register
    parcel("P5", CUONG, -1.0, _status="quarantined"),
    parcel("P6", MST, 5000.0),  # an enterprise's
]
LINKS = [
    ("P1", "person", AN, "linked", "deterministic", 1.0),
    ("P2", "person", AN, "linked", "deterministic", 1.0),
    ("P3", "person", BINH, "linked", "probabilistic", 0.9731),
    ("P4", "person", None, "unmatched", "probabilistic", 0.0),
    ("P6", "enterprise", MST, "linked", "deterministic", 1.0),
]


def put_land(data_dir: Path, rows: list[dict[str, Any]], load_id: str, at: datetime) -> None:
    """(Re)write ``std_land_registry``: rows carrying ``_load`` keep that load, others get
    ``load_id``, a run started at ``at``."""
    con = connect(data_dir)
    try:
        defs = ", ".join(f'"{c}" {TYPES.get(c, "VARCHAR")}' for c in COLS)
        con.execute(
            "CREATE OR REPLACE TABLE std_land_registry (_record_key VARCHAR, _load_id VARCHAR, "
            f"_status VARCHAR, _deleted BOOLEAN, {defs})"
        )
        marks = ", ".join("?" for _ in COLS)
        for r in rows:
            con.execute(
                f"INSERT INTO std_land_registry VALUES (?, ?, ?, ?, {marks})",
                [r["_key"], r.get("_load", load_id), r.get("_status", "accepted"),
                 r.get("_deleted", False), *(r.get(c) for c in COLS)],
            )  # fmt: skip
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, source_id, started_at, status) "
            "VALUES (?, 'land_registry', ?, 'ok')",
            [load_id, at],
        )
    finally:
        con.close()


def put_land_links(
    data_dir: Path, rows: list[tuple[str, str, str | None, str, str, float]]
) -> None:
    con = connect(data_dir)
    try:
        con.execute(LINKS_SCHEMA)
        con.execute("DELETE FROM links WHERE source_id = 'land_registry'")
        for key, entity, target, status, method, prob in rows:
            con.execute(
                "INSERT INTO links VALUES ('land_registry', ?, ?, ?, ?, ?, ?, 'test', now())",
                [key, entity, target, status, method, prob],
            )
    finally:
        con.close()


@pytest.fixture
def land_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    put_land(d, PARCELS, "land-1", T1)
    put_land_links(d, LINKS)
    return d


def counts(res: ParcelPublishResult) -> tuple[int, int, int, int]:
    return res.inserted, res.updated, res.deleted, res.unchanged


def ids(parcels: list[LandParcel]) -> list[str]:
    return [p.parcel_id for p in parcels]


def test_an_owners_parcels_come_with_provenance_per_field(land_dir: Path, engine: Engine) -> None:
    res = publish_parcels(land_dir, engine, "p1")
    assert (res.source_id, res.parcels, res.owned) == ("land_registry", 5, 3)
    assert counts(res) == (5, 0, 0, 0)
    p1, p2 = parcels_by_owner(engine, AN)
    assert (p1.parcel_id, p2.parcel_id, p1.owner_id, p1.run_id) == ("P1", "P2", AN, "p1")
    assert {k: a.value for k, a in p1.attributes.items()} == {
        "map_sheet_number": "12",
        "parcel_number": "10",
        "commune_code": "00004",
        "address": "Thôn 1, Phường Ba Đình",
        "area_m2": "120.5",
        "land_use_type": "ODT",
        "holder_id_kind": "cccd",
        "holder_id": AN,
        "certificate_issue_date": "2015-06-20",
    }  # the parcel's own fields: never the holder's name or birth date
    assert p2.value("area_m2") == "300"  # whole numbers unpadded, as in golden records
    prov = p1.attributes["area_m2"].provenance
    assert (prov.source_id, prov.record_key, prov.as_of, prov.verified) == (
        "land_registry", "P1", T1, True,
    )  # fmt: skip
    assert p1.owner_link is not None and p1.owner_link.method == "deterministic"
    # a mistyped holder ID linked by the linker still reaches its owner, saying how
    [p3] = parcels_by_owner(engine, BINH)
    assert p3.owner_link is not None
    assert (p3.owner_link.method, p3.owner_link.match_probability) == ("probabilistic", 0.9731)
    assert p3.value("holder_id") == "079185000020"
    assert get_parcel(engine, "P1") == p1
    assert get_parcel(engine, "P5") is None  # quarantined: not published


def test_unlinked_holders_have_no_owner_and_are_nobodys(land_dir: Path, engine: Engine) -> None:
    publish_parcels(land_dir, engine, "p1")
    for key in ("P4", "P6"):  # an unknown person; an enterprise (no person link)
        p = get_parcel(engine, key)
        assert p is not None and p.owner_id is None and p.owner_link is None
    assert parcels_by_owner(engine, "001099999999") == []  # the ID the register wrote down
    assert parcels_by_owner(engine, MST) == []
    everyone = [p for who in (AN, BINH, CUONG) for p in parcels_by_owner(engine, who)]
    assert sorted(ids(everyone)) == ["P1", "P2", "P3"]


def _stamps(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT parcel_id, updated_at, run_id FROM land_parcels"))
        return {r[0]: (r[1], r[2]) for r in rows}


def test_an_unchanged_republish_writes_nothing(land_dir: Path, engine: Engine) -> None:
    publish_parcels(land_dir, engine, "p1")
    before = _stamps(engine)
    res = publish_parcels(land_dir, engine, "p2")
    assert counts(res) == (0, 0, 0, 5) and res.written == 0
    assert _stamps(engine) == before


def test_changed_parcels_update_and_removed_ones_are_deleted(
    land_dir: Path, engine: Engine
) -> None:
    publish_parcels(land_dir, engine, "p1")
    rows = [dict(r, _load="land-1") for r in PARCELS if r["_key"] != "P2"]  # P2 is gone
    rows[0] = dict(rows[0], _load="land-2", area_m2=125.0, land_use_type="TMD")  # P1 re-surveyed
    put_land(land_dir, rows, "land-2", T2)
    links = [link for link in LINKS if link[0] != "P2"]
    links[2] = ("P4", "person", CUONG, "linked", "reviewer", 1.0)  # a reviewer resolved P4
    put_land_links(land_dir, links)
    res = publish_parcels(land_dir, engine, "p2")
    assert counts(res) == (0, 2, 1, 2) and res.written == 2
    [p1] = parcels_by_owner(engine, AN)
    assert (p1.parcel_id, p1.value("area_m2"), p1.value("land_use_type"), p1.run_id) == (
        "P1", "125", "TMD", "p2",
    )  # fmt: skip
    assert p1.attributes["area_m2"].provenance.as_of == T2
    assert get_parcel(engine, "P2") is None
    [p4] = parcels_by_owner(engine, CUONG)
    assert p4.parcel_id == "P4" and p4.owner_link is not None and p4.run_id == "p2"
    assert _stamps(engine)["P3"][1] == "p1"  # untouched
    assert counts(publish_parcels(land_dir, engine, "p3")) == (0, 0, 0, 4)


def test_a_store_emptied_or_edited_behind_its_back_is_made_whole(
    land_dir: Path, engine: Engine
) -> None:
    publish_parcels(land_dir, engine, "p1")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM land_parcels"))
    res = publish_parcels(land_dir, engine, "p2")
    assert counts(res) == (5, 0, 0, 0) and ids(parcels_by_owner(engine, AN)) == ["P1", "P2"]
    with engine.begin() as conn:  # a stray row, and one parcel's values tampered with
        conn.execute(text(
            "INSERT INTO land_parcels VALUES ('X1', :an, '{}', '{\"record\": null}', :t, 'x')"
        ), {"an": AN, "t": datetime(2026, 1, 1)})  # fmt: skip
        conn.execute(text("""UPDATE land_parcels SET "values" = '{}' WHERE parcel_id = 'P2'"""))
    res = publish_parcels(land_dir, engine, "p3")
    assert counts(res) == (0, 1, 1, 4)
    assert ids(parcels_by_owner(engine, AN)) == ["P1", "P2"]
    assert parcels_by_owner(engine, AN)[1].value("area_m2") == "300"


def test_nothing_is_published_before_the_land_register_is_loaded(
    tmp_path: Path, engine: Engine
) -> None:
    res = publish_parcels(tmp_path / "empty", engine, "p1")
    assert res.source_id is None and counts(res) == (0, 0, 0, 0)
    assert parcels_by_owner(engine, AN) == []


# --- a real small nation through the chain (SQLite store), and the CLI --------------------------


@pytest.fixture(scope="module")
def chained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    from ndc.pipeline.chain import run_chain
    from ndc.sources.service import load_configs
    from ndc.synth import SynthConfig, generate

    d = tmp_path_factory.mktemp("nation") / "data"
    generate(SynthConfig(citizens=1_000, seed=7, out=d / "synth"))
    report = run_chain(d, f"sqlite:///{d / 'ndc.sqlite3'}", load_configs(d))
    yield d, report


def test_the_chain_publishes_every_parcel_to_its_linked_owner(
    chained: tuple[Path, Any],
) -> None:
    from ndc.store import create_store_engine

    data_dir, report = chained
    assert report.ok and report.parcels is not None
    con = connect(data_dir)
    try:
        (accepted,) = con.execute(
            "SELECT count(*) FROM std_land_registry WHERE _status = 'accepted'"
        ).fetchone()
        owners = con.execute(
            """SELECT l.target_id, list(s._record_key ORDER BY s._record_key), any_value(s.area_m2)
            FROM std_land_registry s JOIN links l ON l.source_id = 'land_registry'
                 AND l.record_key = s._record_key AND l.entity = 'person' AND l.status = 'linked'
            WHERE s._status = 'accepted' GROUP BY l.target_id ORDER BY 1 LIMIT 40"""
        ).fetchall()
    finally:
        con.close()
    assert report.parcels.parcels == report.parcels.inserted == accepted > 100
    assert report.parcels.owned > 0.9 * accepted  # the enterprises' are the rest
    engine = create_store_engine(f"sqlite:///{data_dir / 'ndc.sqlite3'}")
    try:
        for owner, keys, _area in owners:
            got = parcels_by_owner(engine, owner)
            assert ids(got) == keys
            assert all(p.attributes["area_m2"].provenance.record_key == p.parcel_id for p in got)
    finally:
        engine.dispose()


def test_golden_publish_command_publishes_parcels_too(
    chained: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data_dir, report = chained
    monkeypatch.setenv("NDC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NDC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    try:
        runner, env = CliRunner(), {"COLUMNS": "200"}
        res = runner.invoke(app, ["golden", "publish"], env=env)
        assert res.exit_code == 0, res.output
        assert f"land parcels: {report.parcels.parcels:,} " in res.output
        assert f"{report.parcels.parcels:,} inserted" in res.output
        res = runner.invoke(app, ["golden", "publish"], env=env)
        assert res.exit_code == 0 and "0 inserted, 0 updated, 0 deleted" in res.output
    finally:
        get_settings.cache_clear()
