"""Quality rules by principle (đúng, đủ, sạch, sống, thống nhất, kết nối, dùng chung): each one
fires on the row that breaks it, with the right severity, and shows in the scorecard under its
principle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support import person_config as support_person_config

from ndc.pipeline.fields import resolve
from ndc.pipeline.service import RunReport, run_pipeline
from ndc.pipeline.store import connect
from ndc.quality.quarantine import list_quarantine
from ndc.quality.rules import Principle, Severity, connected_rules, field_rules
from ndc.sources.schemas import SourceConfig

HEADER = "cccd,ho_ten,ngay_sinh,gioi_tinh,dia_chi,dan_toc"
GOOD = "079185000002,Trần Thị Bình,02/11/1985,Nữ,,01"


def person_config(**overrides: Any) -> SourceConfig:
    extra = {
        "permanent_residence": {"column": "dia_chi", "transform": "address"},
        "ethnicity": {"column": "dan_toc", "transform": "code"},
    }
    return support_person_config(extra, **overrides)


def load(tmp_path: Path, lines: list[str], **overrides: Any) -> tuple[RunReport, Path]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    (data_dir / "people.csv").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    (report,) = run_pipeline(data_dir, [person_config(**overrides)])
    assert report.status == "ok", report.message
    assert report.reconciled
    return report, data_dir


def outcome(data_dir: Path, key: str) -> tuple[str, list[str], list[str]]:
    con = connect(data_dir)
    try:
        status, errors, warnings = con.execute(
            "SELECT _status, _errors, _warnings FROM std_people WHERE _record_key = ?", [key]
        ).fetchall()[0]
        return status, list(errors), list(warnings)
    finally:
        con.close()


def scored(data_dir: Path, run_id: str) -> dict[str, tuple[str, str, int]]:
    """rule id -> (principle, severity, failed) in the run's scorecard."""
    con = connect(data_dir)
    try:
        got = con.execute(
            "SELECT rule_id, principle, severity, failed FROM scorecards WHERE run_id = ?",
            [run_id],
        ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in got}
    finally:
        con.close()


# --------------------------------------------------------------------------- correct (đúng)


@pytest.mark.parametrize(
    ("line", "key", "rule", "status"),
    [
        (
            "00109,Nguyễn Văn An,15/03/1990,Nam,,01",
            "00109",
            "correct.identifier:person_id",
            "quarantined",
        ),
        (
            "001090000001,Nguyễn Văn An,15/03/1985,Nam,,01",
            "001090000001",
            "correct.cccd_birth_year:person_id",
            "accepted",
        ),
        (
            "001090000001,Nguyễn Văn An,15/03/1990,Nữ,,01",
            "001090000001",
            "correct.cccd_sex:person_id",
            "accepted",
        ),
        (
            "001090000001,Nguyễn Văn An,03/25/1990,Nam,,01",
            "001090000001",
            "correct.date_swapped:date_of_birth",
            "accepted",
        ),
    ],
    ids=["invalid-cccd", "cccd-birth-year", "cccd-sex", "swapped-date"],
)
def test_correct_rules(tmp_path: Path, line: str, key: str, rule: str, status: str) -> None:
    report, data_dir = load(tmp_path, [GOOD, line])
    got_status, errors, warnings = outcome(data_dir, key)
    assert got_status == status
    assert rule in (errors if status == "quarantined" else warnings)
    assert outcome(data_dir, GOOD.split(",")[0]) == ("accepted", [], [])
    principle, severity, failed = scored(data_dir, report.run_id)[rule]
    assert (principle, failed) == ("correct", 1)
    assert severity == ("error" if status == "quarantined" else "warning")


def test_swapped_date_is_repaired_and_flagged(tmp_path: Path) -> None:
    _, data_dir = load(tmp_path, ["001090000001,Nguyễn Văn An,03/25/1990,Nam,,01"])
    con = connect(data_dir)
    value = con.execute("SELECT CAST(date_of_birth AS VARCHAR) FROM std_people").fetchall()
    con.close()
    assert value == [("1990-03-25",)]


def test_invalid_identifier_quarantine_shows_the_value(tmp_path: Path) -> None:
    _, data_dir = load(tmp_path, [GOOD, "00109,Nguyễn Văn An,15/03/1990,Nam,,01"])
    con = connect(data_dir)
    (entry,) = list_quarantine(con, "people")
    con.close()
    assert entry.record_key == "00109" and entry.row_number == 3
    assert "person_id__raw=00109" in entry.values


# --------------------------------------------------------------------------- complete (đủ)


def test_required_field_missing_is_quarantined(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, [GOOD, "001090000001,,15/03/1990,Nam,,01"])
    assert (report.accepted, report.quarantined) == (1, 1)
    status, errors, _ = outcome(data_dir, "001090000001")
    assert status == "quarantined" and errors == ["complete.required:full_name"]
    assert scored(data_dir, report.run_id)["complete.required:full_name"] == (
        "complete",
        "error",
        1,
    )


def test_missing_record_key_is_scored_as_complete(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, [GOOD, ",Nguyễn Văn An,15/03/1990,Nam,,01"])
    assert report.rejected == 1
    assert scored(data_dir, report.run_id)["complete.record_key"] == ("complete", "error", 1)


# --------------------------------------------------------------------------- clean (sạch)


def test_duplicate_key_at_the_door(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, [GOOD, GOOD.replace("Bình", "Bính")])
    assert (report.accepted, report.rejected) == (1, 1)
    assert scored(data_dir, report.run_id)["clean.duplicate_key"] == ("clean", "error", 1)


def test_encoding_damage_is_quarantined(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, [GOOD, "001090000001,Nguyá»…n VÄƒn An,15/03/1990,Nam,,01"])
    status, errors, _ = outcome(data_dir, "001090000001")
    assert status == "quarantined" and "clean.encoding_damage:full_name" in errors
    assert scored(data_dir, report.run_id)["clean.encoding_damage:full_name"] == (
        "clean",
        "error",
        1,
    )
    con = connect(data_dir)
    (entry,) = list_quarantine(con, "people")
    con.close()
    assert "Nguyá»…n" in entry.values  # the damaged text is shown to the agency as it came


def test_same_person_under_two_keys_is_flagged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "people.csv").write_text(
        "ma,cccd,ho_ten,ngay_sinh\n"
        "A1,001090000001,Nguyễn Văn An,15/03/1990\n"
        "A2,001090000001,Nguyen Van An,15/03/1990\n",
        encoding="utf-8",
    )
    cfg = person_config(
        key=["ma"],
        mapping={
            "person_id": {"column": "cccd", "transform": "identifier"},
            "full_name": {"column": "ho_ten", "transform": "name"},
            "date_of_birth": {"column": "ngay_sinh", "transform": "date", "format": "%d/%m/%Y"},
        },
    )
    (report,) = run_pipeline(data_dir, [cfg])
    assert report.accepted == 2
    assert scored(data_dir, report.run_id)["clean.duplicate_record:person_id"] == (
        "clean",
        "warning",
        1,
    )


# --------------------------------------------------------------------------- live (sống)


def test_freshness_fails_for_an_old_source(tmp_path: Path) -> None:
    old = {"max_age": "P30D", "column": "date_of_birth"}
    report, data_dir = load(tmp_path, [GOOD], freshness=old)
    assert scored(data_dir, report.run_id)["live.freshness"] == ("live", "warning", 1)


def test_freshness_passes_for_a_source_just_loaded(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, [GOOD], freshness={"max_age": "P1D"})
    assert scored(data_dir, report.run_id)["live.freshness"] == ("live", "warning", 0)


# --------------------------------------------------------------------------- unified


def test_code_not_in_list(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, ["001090000001,Nguyễn Văn An,15/03/1990,Nam,,Sao Hỏa"])
    status, _, warnings = outcome(data_dir, "001090000001")
    assert status == "accepted" and "unified.code_list:ethnicity" in warnings
    assert scored(data_dir, report.run_id)["unified.code_list:ethnicity"] == (
        "unified",
        "warning",
        1,
    )


def test_legacy_address_is_mapped_and_flagged(tmp_path: Path) -> None:
    old = '"Số 1 Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Thành phố Hà Nội"'
    report, data_dir = load(tmp_path, [f"001090000001,Nguyễn Văn An,15/03/1990,Nam,{old},01"])
    status, _, warnings = outcome(data_dir, "001090000001")
    assert status == "accepted"
    assert "unified.legacy_address:permanent_residence" in warnings
    con = connect(data_dir)
    (province, commune) = con.execute(
        "SELECT permanent_residence_province_code, permanent_residence_commune_code FROM std_people"
    ).fetchall()[0]
    con.close()
    assert province == "01" and commune is not None  # Hà Nội, a 2025 commune
    assert scored(data_dir, report.run_id)["unified.legacy_address:permanent_residence"][0] == (
        "unified"
    )


# --------------------------------------------------------------------------- connected, shared


def test_identifier_not_in_population_register(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "people.csv").write_text(HEADER + "\n" + GOOD + "\n", encoding="utf-8")
    (data_dir / "gplx.csv").write_text(
        "so_gplx,cccd\n790000000001,079185000002\n790000000002,001090000009\n", encoding="utf-8"
    )
    population = person_config(id="population")
    licences = SourceConfig.model_validate(
        {
            **person_config().model_dump(exclude={"mapping", "key", "connection", "id", "entity"}),
            "id": "test_licences",
            "entity": "driving_licence",
            "connection": {"kind": "file", "format": "csv", "path": "gplx.csv"},
            "key": ["so_gplx"],
            "mapping": {
                "licence_number": {"column": "so_gplx", "transform": "text"},
                "holder_id": {"column": "cccd", "transform": "identifier"},
            },
        }
    )
    reports = {r.source_id: r for r in run_pipeline(data_dir, [licences, population])}
    report = reports["test_licences"]
    assert report.status == "ok" and report.accepted == 2
    con = connect(data_dir)
    failing = con.execute(
        "SELECT _record_key FROM std_test_licences "
        "WHERE list_contains(_warnings, 'connected.reference:holder_id')"
    ).fetchall()
    con.close()
    assert failing == [("790000000002",)]
    assert scored(data_dir, report.run_id)["connected.reference:holder_id"] == (
        "connected",
        "warning",
        1,
    )


def test_missing_licence_fails_shared(tmp_path: Path) -> None:
    report, data_dir = load(tmp_path, [GOOD], licence=None)
    got = scored(data_dir, report.run_id)
    assert got["shared.licence"] == ("shared", "warning", 1)
    assert got["shared.owner"] == ("shared", "warning", 0)


# --------------------------------------------------------------------------- derivation


def test_rules_follow_the_dictionary() -> None:
    cfg = person_config()
    rules = {r.id: r for r in field_rules(cfg, resolve(cfg), "person_id")}
    assert rules["correct.identifier:person_id"].severity is Severity.ERROR  # the entity's key
    assert rules["complete.required:full_name"].severity is Severity.ERROR
    assert rules["complete.required:full_name"].principle is Principle.COMPLETE
    assert "complete.required:ethnicity" not in rules  # ethnicity is optional
    assert rules["unified.code_list:ethnicity"].severity is Severity.WARNING
    assert all(r.id.split(".")[0] == r.principle.value for r in rules.values())


def test_connected_rules_need_the_master_register_loaded() -> None:
    cfg = SourceConfig.model_validate(
        {
            **person_config().model_dump(exclude={"mapping", "key", "entity"}),
            "entity": "driving_licence",
            "key": ["so"],
            "mapping": {"holder_id": {"column": "cccd", "transform": "identifier"}},
        }
    )
    fields = resolve(cfg)
    assert connected_rules("driving_licence", fields, set()) == []
    (rule,) = connected_rules("driving_licence", fields, {"std_population"})
    assert rule.id == "connected.reference:holder_id"
    assert rule.principle is Principle.CONNECTED


def test_disabled_rule_does_not_fire(tmp_path: Path) -> None:
    report, data_dir = load(
        tmp_path,
        ["001090000001,,15/03/1990,Nam,,01"],
        disabled_rules=["complete.required:full_name"],
    )
    assert report.accepted == 1
    assert "complete.required:full_name" not in scored(data_dir, report.run_id)
