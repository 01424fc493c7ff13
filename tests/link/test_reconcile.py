"""Reconciliation reports on a small synthetic nation run through the real pipeline, checked
against the generator's ground truth (``truth/<source>.parquet``)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from tests.link.test_reconcile_links import build_links
from typer.testing import CliRunner

from ndc.cli import app
from ndc.link.reconcile import ReconcileError, SourceReconciliation, reconcile
from ndc.link.reconcile_fields import profile
from ndc.link.reconcile_labels import SHEETS
from ndc.pipeline.service import run_pipeline
from ndc.pipeline.store import connect
from ndc.sources.service import get_config, load_configs
from ndc.synth import SynthConfig, generate

CITIZENS = 2_000
PROBABILISTIC, REVIEW = 3, 2  # hand-made links per source from records with faulty identifiers


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    data_dir = tmp_path_factory.mktemp("reconcile") / "ndc-data"
    generate(SynthConfig(citizens=CITIZENS, seed=4, out=data_dir / "synth"))
    configs = load_configs(data_dir)
    assert all(r.status == "ok" for r in run_pipeline(data_dir, configs))
    con = connect(data_dir)
    try:
        build_links(con, configs, data_dir / "synth", PROBABILISTIC, REVIEW)
    finally:
        con.close()
    results = {r.source_id: r for r in reconcile(data_dir)}
    yield data_dir, results


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _findings(data_dir: Path, source: str, kind: str) -> list[dict[str, str]]:
    return _rows(data_dir / "reports" / "reconciliation" / source / f"{kind}.csv")


def _query(data_dir: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(data_dir / "pipeline.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _truth(data_dir: Path, source: str) -> dict[str, tuple[str, list[str]]]:
    """record key -> (true id, injected faults)."""
    name = {"land_registry": "land_parcels", "business_registry": "business_registration"}
    path = data_dir / "synth" / "truth" / f"{name.get(source, source)}.parquet"
    rows = duckdb.sql(f"SELECT record_key, true_id, faults FROM '{path}'").fetchall()
    return {k: (t, list(f)) for k, t, f in rows}


def test_counts_reconcile_with_the_records_in_force(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    data_dir, results = nation
    assert "population" not in results and "health_insurance" in results
    for source, r in results.items():
        (in_force,) = _query(
            data_dir,
            f"SELECT count(*) FROM \"std_{source}\" WHERE _status = 'accepted' AND NOT _deleted",
        )[0]
        assert r.records == in_force > 0
        if source == "business_registry":  # each record: its enterprise and its representative
            assert all(c.records == in_force for c in r.links)
        else:  # each record is reconciled against one register
            assert r.matched + r.unmatched + r.ambiguous == in_force, source
    health = results["health_insurance"]
    assert health.ambiguous == REVIEW
    assert health.links[0].methods["probabilistic"] == PROBABILISTIC
    assert {c.entity for c in results["tax"].links} == {"person", "enterprise"}


def test_an_injected_date_of_birth_fault_is_listed_with_both_values(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    data_dir, _ = nation
    truth = _truth(data_dir, "health_insurance")
    found = {
        r["record_key"]: r
        for r in _findings(data_dir, "health_insurance", "field_discrepancies")
        if r["field"] == "date_of_birth"
    }
    swapped = [k for k, (_, faults) in truth.items() if faults == ["date_day_month_swap"]]
    linked = {
        k
        for (k,) in _query(
            data_dir,
            "SELECT record_key FROM links WHERE source_id = "
            "'health_insurance' AND status = 'linked'",
        )
    }
    swapped = [k for k in swapped if k in linked]
    assert swapped, "the nation has day/month-swapped dates of birth"
    dob = dict(
        duckdb.sql(
            f"SELECT cccd, strftime(date_of_birth, '%Y-%m-%d') FROM "
            f"'{data_dir / 'synth' / 'population' / 'citizens.parquet'}'"
        ).fetchall()
    )
    for key in swapped:
        row = found[key]
        true_dob = dob[truth[key][0]]
        assert row["master_value"] == true_dob
        y, m, d = true_dob.split("-")
        assert row["source_value"] == f"{y}-{d}-{m}"
        assert row["kind"] == "day_month_swapped"
        assert row["target_id"] == truth[key][0]


def test_differences_are_real_faults_and_tone_or_case_are_not_differences(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    """Every name or date discrepancy of a person is an injected fault (no false alarm from
    upper-case names, NFD text or modern tone placement, which are the same value)."""
    data_dir, results = nation
    name_faults = {"name_typo", "name_unaccented"}
    date_faults = {"date_day_month_swap", "date_year_only"}
    tone_only = 0
    for source in results:
        truth = _truth(data_dir, source)
        for row in _findings(data_dir, source, "field_discrepancies"):
            if row["entity"] != "person":
                continue
            faults = set(truth[row["record_key"]][1])
            if row["field"] == "full_name":
                assert faults & name_faults, (source, row)
            elif row["field"] == "date_of_birth":
                assert faults & date_faults, (source, row)
        tone_only += sum(f == ["name_tone_modern"] or f == ["name_nfd"] for _, f in truth.values())
    assert tone_only > 0, "the nation has tone-placement and NFD faults to ignore"
    kinds = {k for _, k, _ in results["health_insurance"].breakdown["field_discrepancies"]}
    assert {"accents_missing", "day_month_swapped", "year_only"} <= kinds


def test_deceased_still_active_are_found(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    data_dir, results = nation
    total = 0
    for source in results:
        truth = _truth(data_dir, source)
        found = _findings(data_dir, source, "deceased_active")
        total += len(found)
        for row in found:  # never a living person
            assert "dead_active" in truth[row["record_key"]][1], (source, row)
            assert row["date_of_death"] and row["person_id"] == truth[row["record_key"]][0]
    # a health insurance card is valid for a year from the last 300 days: every dead holder's
    # card that is linked is still valid after the death
    truth = _truth(data_dir, "health_insurance")
    linked = {
        k
        for (k,) in _query(
            data_dir,
            "SELECT record_key FROM links WHERE source_id = "
            "'health_insurance' AND status = 'linked'",
        )
    }
    expected = {k for k, (_, f) in truth.items() if "dead_active" in f and k in linked}
    found_keys = {
        r["record_key"] for r in _findings(data_dir, "health_insurance", "deceased_active")
    }
    assert expected and found_keys == expected
    assert total == sum(r.findings["deceased_active"] for r in results.values())


def test_wrong_identifiers_come_with_the_likely_correct_one(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    data_dir, results = nation
    for source in ("health_insurance", "driving_licences", "social_insurance"):
        truth = _truth(data_dir, source)
        rows = _findings(data_dir, source, "wrong_identifiers")
        assert rows
        for row in rows:
            true_id, faults = truth[row["record_key"]]
            assert row["likely_id"] == true_id != row["identifier"]
            assert faults and any(f.startswith("id_") for f in faults)
        probabilistic = [r for r in rows if r["method"] == "probabilistic"]
        assert len(probabilistic) == PROBABILISTIC
        assert any(r["kind"] == "old_cmnd" for r in rows)
    assert results["health_insurance"].findings["wrong_identifiers"] == len(
        _findings(data_dir, "health_insurance", "wrong_identifiers")
    )


def test_dissolved_enterprises_still_active_in_tax(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    data_dir, results = nation
    truth = _truth(data_dir, "tax")
    status = dict(
        duckdb.sql(
            f"SELECT mst, status FROM '{data_dir / 'synth' / 'population' / 'enterprises.parquet'}'"
        ).fetchall()
    )
    sql = "SELECT record_key FROM links WHERE source_id = 'tax' AND entity = 'enterprise' "
    linked = {k for (k,) in _query(data_dir, sql + "AND status = 'linked'")}
    gone = {"Đã giải thể", "Bị thu hồi giấy chứng nhận", "Đã phá sản"}
    expected = {k for k in linked if status.get(truth[k][0]) in gone}
    found = _findings(data_dir, "tax", "dissolved_active")
    assert expected and {r["record_key"] for r in found} == expected
    assert all(
        r["role"] == "self" and r["enterprise_id"] == truth[r["record_key"]][0] for r in found
    )
    assert results["health_insurance"].findings["dissolved_active"] == 0


def test_workbook_has_a_summary_and_one_sheet_per_finding_kind(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    _, results = nation
    r = results["health_insurance"]
    book = openpyxl.load_workbook(r.files["xlsx"], read_only=True)
    try:
        assert book.sheetnames == list(SHEETS.values())
        sheet = book[SHEETS["field_discrepancies"]]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "Mã hồ sơ / Record key"
        assert len(rows) - 1 == r.findings["field_discrepancies"]
        assert any(row[2] == "Ngày sinh / Date of birth" for row in rows[1:])
        summary = [row for row in book[SHEETS["summary"]].iter_rows(values_only=True) if row]
        assert any(row[-1] == r.records for row in summary)
    finally:
        book.close()
    assert r.files["summary"].exists() and r.files["field_discrepancies"].exists()


def test_html_summary_is_self_contained(
    nation: tuple[Path, dict[str, SourceReconciliation]],
) -> None:
    data_dir, results = nation
    html = (data_dir / "reports" / "reconciliation" / "reconciliation.html").read_text("utf-8")
    assert "Báo cáo đối soát" in html and "Reconciliation" in html
    for source in results:
        assert source in html
    lowered = html.lower()
    for external in ("http://", "https://", "//cdn", "<script", "<link", "@import", "url("):
        assert external not in lowered
    assert "<svg" in html


def test_profiles_find_the_identifier_of_each_source(tmp_path: Path) -> None:
    ids = {
        cfg.id: {e: cols.get("id") for e, cols in profile(cfg).columns.items()}
        for cfg in load_configs(tmp_path)
    }
    assert ids["driving_licences"] == {"person": "holder_id"}
    assert ids["land_registry"] == {"person": "holder_id", "enterprise": "holder_id"}
    assert ids["tax"] == {"person": "person_id", "enterprise": "tax_id"}
    assert ids["business_registry"] == {"person": "legal_representative_id", "enterprise": "mst"}
    social = profile(get_config(tmp_path, "social_insurance"))
    assert social.employer == ("employer_mst",) and "enterprise" not in social.columns


def test_cli_prints_the_summary_and_writes_the_files(
    nation: tuple[Path, dict[str, SourceReconciliation]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir, results = nation
    monkeypatch.setenv("NDC_DATA_DIR", str(data_dir))
    from ndc.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["reconcile", "report", "--source", "tax", "--out", str(tmp_path / "out")]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "tax" in result.output and "enterprise" in result.output
    assert f"{results['tax'].findings['dissolved_active']:,}" in result.output
    assert (tmp_path / "out" / "tax" / "tax.xlsx").exists()
    assert (tmp_path / "out" / "reconciliation.html").exists()
    assert not (tmp_path / "out" / "health_insurance").exists()


def test_without_links_or_with_an_unknown_source_it_says_so(
    nation: tuple[Path, dict[str, SourceReconciliation]], tmp_path: Path
) -> None:
    connect(tmp_path).close()
    with pytest.raises(ReconcileError, match="links"):
        reconcile(tmp_path)
    with pytest.raises(ReconcileError, match="unknown source"):
        reconcile(nation[0], ["no_such_source"], tmp_path / "out")


def test_agency_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    """A value typed by an agency ('=HYPERLINK(...)') must not become a live formula."""
    import pyarrow as pa

    from ndc.link.reconcile import LinkCounts
    from ndc.link.reconcile_pairs import COLUMNS, KINDS
    from ndc.link.reconcile_report import XLSX_DROP, write_workbook

    r = SourceReconciliation(
        "demo", "Nguồn thử", "Test source", "Cơ quan", "Agency", 1, 0,
        [LinkCounts("person", linked=1)], dict.fromkeys(KINDS, 0), {k: [] for k in KINDS},
    )  # fmt: skip
    r.files["xlsx"] = tmp_path / "demo.xlsx"
    evil = '=HYPERLINK("http://example.invalid","x")'
    tables = {
        kind: pa.table(
            {
                c: pa.array([evil if c == "source_value" else None], pa.string())
                for c in COLUMNS[kind]
                if c not in XLSX_DROP[kind]
            }
        )
        for kind in KINDS
    }
    write_workbook(r, tables)
    book = openpyxl.load_workbook(r.files["xlsx"])
    cell = book[SHEETS["field_discrepancies"]].cell(row=2, column=5)
    assert cell.value == evil and cell.data_type == "s"


def test_a_registered_death_and_ethnicity_must_agree_with_the_register(
    nation: tuple[Path, dict[str, SourceReconciliation]], tmp_path: Path
) -> None:
    """The civil-status register masters deaths: a death event whose date is not the population
    register's date of death is listed; so is an ethnicity that differs (H'Mông: quoted)."""
    data_dir, _ = nation
    con = connect(data_dir)
    try:
        death = con.execute(
            "SELECT _record_key, event_date FROM std_civil_status WHERE event_type = 'death' "
            "AND _status = 'accepted' ORDER BY _record_key LIMIT 1"
        ).fetchall()[0]
        servant = con.execute(
            "SELECT _record_key, person__ethnicity FROM std_civil_servants s JOIN links l ON "
            "l.source_id = 'civil_servants' AND l.record_key = s._record_key AND l.status = "
            "'linked' WHERE person__ethnicity <> '08' ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
        con.execute("BEGIN")
        con.execute(
            "UPDATE std_civil_status SET event_date = event_date + 3 WHERE _record_key = ?",
            [death[0]],
        )
        con.execute(
            "UPDATE std_civil_servants SET person__ethnicity = '08' WHERE _record_key = ?",
            [servant[0]],
        )
        results = reconcile(data_dir, ["civil_status", "civil_servants"], tmp_path, con=con)
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert {r.source_id for r in results} == {"civil_status", "civil_servants"}
    rows = _rows(tmp_path / "civil_status" / "field_discrepancies.csv")
    (row,) = [r for r in rows if r["field"] == "date_of_death"]
    assert row["record_key"] == death[0] and row["kind"] == "different"
    assert row["master_value"] == str(death[1]) and row["source_value"] != row["master_value"]
    rows = _rows(tmp_path / "civil_servants" / "field_discrepancies.csv")
    (row,) = [r for r in rows if r["field"] == "ethnicity"]
    assert row["record_key"] == servant[0] and row["source_value"] == "08 H'Mông"


def test_a_record_that_linking_left_out_counts_as_unmatched(
    nation: tuple[Path, dict[str, SourceReconciliation]], tmp_path: Path
) -> None:
    data_dir, results = nation
    before = results["driving_licences"]
    con = connect(data_dir)
    try:
        con.execute("BEGIN")
        con.execute(
            "DELETE FROM links WHERE source_id = 'driving_licences' AND record_key IN (SELECT "
            "record_key FROM links WHERE source_id = 'driving_licences' AND status = 'linked' "
            "ORDER BY record_key LIMIT 5)"
        )
        (after,) = reconcile(data_dir, ["driving_licences"], tmp_path, con=con)
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert after.records == before.records
    assert (after.matched, after.unmatched) == (before.matched - 5, before.unmatched + 5)
    assert after.matched + after.unmatched + after.ambiguous == after.records
