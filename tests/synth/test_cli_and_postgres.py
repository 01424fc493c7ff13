"""The ``ndc synth`` command and the PostgreSQL copy of the SQL-served source."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
import typer
from typer.testing import CliRunner

from ndc.synth import SynthConfig, generate
from ndc.synth.cli import synth

PG = "postgresql://postgres@127.0.0.1:5432/test"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("synth")(synth)
    app.command("noop")(lambda: None)  # keeps "synth" a sub-command, as in ndc.cli
    return app


def test_cli_writes_data_set_and_prints_summary(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("faults:\n  name_typo: 0.05\n  malformed_row: 0\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        _app(),
        ["synth", "--citizens", "800", "--seed", "3", "--out", str(out), "--faults", str(faults),
         "--fault-rate", "id_missing=0.04"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "health_insurance" in result.output and "tcvn3" in result.output
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["seed"] == 3
    assert manifest["config"]["faults"]["name_typo"] == 0.05
    assert manifest["config"]["faults"]["id_missing"] == 0.04
    assert all("malformed_row" not in s["faults"] for s in manifest["sources"])


def test_cli_rejects_unknown_fault(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["synth", "-n", "500", "-o", str(tmp_path), "-f", "bogus=0.1"]
    )
    assert result.exit_code != 0


@pytest.mark.postgres
def test_sql_source_is_also_written_to_postgresql(tmp_path: Path) -> None:
    schema = f"synth_{uuid.uuid4().hex[:10]}"
    try:
        summary = generate(
            SynthConfig(
                citizens=1000, seed=2, out=tmp_path, pg_url=PG, pg_schema=schema,
                sources=["driving_licences"],
            )
        )  # fmt: skip
        (src,) = summary.sources
        with psycopg.connect(PG) as con:
            (count,) = con.execute(f"SELECT count(*) FROM {schema}.giay_phep_lai_xe").fetchone()
            (typ,) = con.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND column_name = 'ngay_sinh'",
                (schema,),
            ).fetchone()
        assert count == src.rows
        assert typ == "date"
    finally:
        with psycopg.connect(PG, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
