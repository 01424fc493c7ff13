"""A real small nation through the real pipeline, exact links, golden build, publish and CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ndc.cli import app
from ndc.golden import build_exact_links, build_golden, get_golden, publish
from ndc.pipeline.service import run_pipeline
from ndc.pipeline.store import connect
from ndc.settings import get_settings
from ndc.sources.service import load_configs
from ndc.store.engine import create_store_engine
from ndc.synth import SynthConfig, generate

runner = CliRunner()


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("nation") / "data"
    generate(SynthConfig(citizens=2_000, seed=11, out=d / "synth"))
    run_pipeline(d, load_configs(d))
    build_exact_links(d)
    return d


@pytest.fixture(scope="module")
def published(nation: Path) -> Iterator[tuple[Path, Engine]]:
    engine = create_store_engine(f"sqlite:///{nation / 'ndc.sqlite3'}")
    stats = build_golden(nation, "build-1")
    assert stats.entities["person"] == 2_000
    res = publish(nation, engine, "publish-1")
    assert res.written == res.events == sum(stats.entities.values())
    yield nation, engine
    engine.dispose()


def test_every_register_person_has_the_registers_identity(published: tuple[Path, Engine]) -> None:
    data_dir, engine = published
    con = connect(data_dir)
    try:
        people = con.execute(
            "SELECT person_id, full_name, date_of_birth__raw FROM std_population "
            "WHERE _status = 'accepted' ORDER BY person_id LIMIT 50"
        ).fetchall()
    finally:
        con.close()
    for person_id, name, dob in people:
        rec = get_golden(engine, "person", person_id)
        assert rec is not None
        assert rec.value("full_name") == name and rec.value("date_of_birth") == dob
        prov = rec.attributes["full_name"].provenance
        assert prov.source_id == "population" and prov.record_key == person_id and prov.verified


def test_agency_values_fill_and_cite_their_source(published: tuple[Path, Engine]) -> None:
    data_dir, engine = published
    con = connect(data_dir)
    try:  # people whose golden phone comes from an agency, not from the register
        rows = con.execute(
            "SELECT entity_id, value, source_id, record_key FROM golden_values "
            "WHERE entity = 'person' AND attribute = 'phone' AND source_id <> 'population' LIMIT 5"
        ).fetchall()
    finally:
        con.close()
    assert rows, "the synthetic agencies hold newer phones for some people"
    for person_id, phone, source_id, record_key in rows:
        rec = get_golden(engine, "person", person_id)
        assert rec is not None
        attr = rec.attributes["phone"]
        assert (attr.value, attr.provenance.source_id, attr.provenance.record_key) == (
            phone, source_id, record_key,
        )  # fmt: skip


def test_cli_builds_publishes_shows_and_lists_history(
    nation: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NDC_DATA_DIR", str(nation))
    monkeypatch.setenv("NDC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    try:
        env = {"COLUMNS": "200"}
        res = runner.invoke(app, ["golden", "build"], env=env)
        assert res.exit_code == 0, res.output
        assert "2,000 person" in res.output
        res = runner.invoke(app, ["golden", "publish"], env=env)
        assert res.exit_code == 0, res.output
        assert "0 unchanged" in res.output
        res = runner.invoke(app, ["golden", "publish"], env=env)
        assert "0 written" in res.output and "0 events" in res.output
        con = connect(nation)
        try:
            row = con.execute("SELECT person_id, full_name FROM std_population LIMIT 1").fetchone()
        finally:
            con.close()
        assert row is not None
        res = runner.invoke(app, ["golden", "show", "person", row[0]], env=env)
        assert res.exit_code == 0 and row[1] in res.output and "population" in res.output
        res = runner.invoke(app, ["golden", "history", "person", row[0]], env=env)
        assert res.exit_code == 0 and "created" in res.output
        res = runner.invoke(
            app, ["golden", "show", "person", row[0], "--as-of", "2000-01-01"], env=env
        )
        assert res.exit_code == 1 and "no published person" in res.output
        res = runner.invoke(app, ["golden", "show", "planet", "x"], env=env)
        assert res.exit_code != 0
    finally:
        get_settings.cache_clear()


def test_a_build_in_partitions_chooses_exactly_what_one_pass_chooses(
    nation: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """National builds run in partitions of golden records (memory); the result must not
    depend on how many."""
    import shutil

    from ndc.golden import survivorship

    chosen = {}
    for label, per_part in (("one", 10**9), ("parts", 1_500)):
        d = tmp_path / label
        shutil.copytree(nation, d, ignore=shutil.ignore_patterns("*.sqlite3*"))
        monkeypatch.setattr(survivorship, "LINKS_PER_PARTITION", per_part)
        con = connect(d)
        (linked,) = con.execute("SELECT count(*) FROM links WHERE status = 'linked'").fetchone()
        assert (survivorship._partitions(con) > 3) == (label == "parts"), linked
        con.close()
        build_golden(d, f"build-{label}")
        con = connect(d)
        chosen[label] = con.execute(
            "SELECT entity, entity_id, attribute, value, source_id, record_key, verified "
            "FROM golden_values ORDER BY ALL"
        ).fetchall()
        con.close()
    assert len(chosen["one"]) > 20_000
    assert chosen["parts"] == chosen["one"]
