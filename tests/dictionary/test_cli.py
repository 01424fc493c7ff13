"""`ndc dictionary` commands, run through Typer's test runner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ndc.dictionary.cli import app

runner = CliRunner()


def test_entities_lists_all_with_masters() -> None:
    res = runner.invoke(app, ["entities", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert len(rows) == 9
    assert rows["person"]["master_source"] == "population"
    assert rows["person"]["fields"] >= 24
    table = runner.invoke(app, ["entities"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "business_registry" in table.output


def test_show_person() -> None:
    res = runner.invoke(app, ["show", "person"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "person_id" in res.output and "sensitive" in res.output and "population" in res.output
    data = json.loads(runner.invoke(app, ["show", "enterprise", "--json"]).output)
    assert data["master_source"] == "business_registry"
    assert any(f["name"] == "mst" and f["check"] == "mst" for f in data["fields"])


def test_show_unknown_entity_fails_cleanly() -> None:
    res = runner.invoke(app, ["show", "persn"])
    assert res.exit_code == 2
    assert "no entity named 'persn'" in res.output


def test_codelists_and_codes() -> None:
    lists = {
        c["name"]: c["size"] for c in json.loads(runner.invoke(app, ["codelists", "--json"]).output)
    }
    assert lists["province"] == 34 and lists["commune"] == 3321 and lists["ethnicity"] == 55
    res = runner.invoke(app, ["codes", "ethnicity", "--search", "muong", "--json"])
    assert res.exit_code == 0
    assert [i["code"] for i in json.loads(res.output)] == ["04"]
    res = runner.invoke(
        app, ["codes", "commune", "--search", "Phường Ba Đình"], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0 and "00004" in res.output


def test_codes_no_match_and_unknown_list() -> None:
    assert runner.invoke(app, ["codes", "sex", "--search", "zzz"]).exit_code == 1
    res = runner.invoke(app, ["codes", "sexx"])
    assert res.exit_code == 2 and "no code list named 'sexx'" in res.output


def test_check_id_valid_and_invalid() -> None:
    ok = runner.invoke(app, ["check-id", "mst", "0100109106"])
    assert ok.exit_code == 0 and "valid" in ok.output
    bad = runner.invoke(
        app, ["check-id", "cccd", "001095012345", "--dob", "1996-01-01", "--sex", "2"]
    )
    assert bad.exit_code == 1
    assert "cccd.birth_year_mismatch" in bad.output and "cccd.sex_mismatch" in bad.output
    phone = json.loads(runner.invoke(app, ["check-id", "phone", "01681234567", "--json"]).output)
    assert phone["valid"] and phone["normalized"] == "0381234567" and phone["migrated"] == "yes"


def test_check_id_rejects_bad_options() -> None:
    assert (
        runner.invoke(app, ["check-id", "cccd", "001095012345", "--dob", "1995-13-01"]).exit_code
        == 2
    )
    assert runner.invoke(app, ["check-id", "cccd", "001095012345", "--sex", "M"]).exit_code == 2
    assert runner.invoke(app, ["check-id", "passport", "B123"]).exit_code == 2
