"""``ndc pipeline``: run, ingest and process from the command line, with the accounting printed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ndc.cli import app
from ndc.pipeline.store import connect
from ndc.settings import get_settings

from .conftest import AN, BINH, PEOPLE, person_config, rows
from .conftest import write_rows as write

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


@pytest.fixture
def cli_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "ndc-data"
    (d / "sources").mkdir(parents=True)
    monkeypatch.setenv("NDC_DATA_DIR", str(d))
    get_settings.cache_clear()
    cfg = person_config().model_dump(mode="json", exclude_none=True)
    (d / "sources" / "people.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), "utf-8")
    yield d
    get_settings.cache_clear()


def test_pipeline_run_prints_a_reconciled_report(cli_dir: Path) -> None:
    write(cli_dir / "people.csv", [*PEOPLE[:3], (PEOPLE[3][0], "", *PEOPLE[3][2:])])
    res = runner.invoke(app, ["pipeline", "run", "--source", "people"], env=WIDE)
    assert res.exit_code == 0, res.output
    assert "people" in res.output and "✓" in res.output and "✗" not in res.output
    con = connect(cli_dir)
    assert rows(con, "SELECT rows_read, accepted, quarantined, reconciled FROM runs") == [
        (4, 3, 1, True)
    ]
    con.close()


def test_pipeline_ingest_then_process(cli_dir: Path) -> None:
    write(cli_dir / "people.csv", [AN, BINH])
    res = runner.invoke(app, ["pipeline", "ingest", "-s", "people"], env=WIDE)
    assert res.exit_code == 0, res.output
    con = connect(cli_dir)
    assert rows(con, "SELECT count(*) FROM raw_people") == [(2,)]
    con.close()
    res = runner.invoke(app, ["pipeline", "process", "-s", "people"], env=WIDE)
    assert res.exit_code == 0, res.output
    con = connect(cli_dir)
    assert rows(con, "SELECT count(*) FROM std_people WHERE _status = 'accepted'") == [(2,)]
    con.close()


def test_pipeline_failed_source_exits_non_zero_with_its_message(cli_dir: Path) -> None:
    res = runner.invoke(app, ["pipeline", "run", "-s", "people"], env=WIDE)
    assert res.exit_code == 1
    assert "people" in res.output and "people.csv" in res.output and "failed" in res.output


def test_pipeline_unknown_source_or_scope_is_a_usage_error(cli_dir: Path) -> None:
    res = runner.invoke(app, ["pipeline", "run", "-s", "nobody"], env=WIDE)
    assert res.exit_code == 2 and "nobody" in res.output
    res = runner.invoke(app, ["pipeline", "run", "--reprocess", "everything"], env=WIDE)
    assert res.exit_code == 2 and "pending" in res.output


@pytest.mark.parametrize("command", [["pipeline", "run"], ["sources", "list"]])
def test_invalid_config_file_gives_a_clear_message(cli_dir: Path, command: list[str]) -> None:
    """A typo in a config in the data directory: a message naming the file, not a traceback."""
    (cli_dir / "sources" / "broken.yaml").write_text("id: broken\nkey: [a]\n", "utf-8")
    res = runner.invoke(app, command, env=WIDE)
    assert res.exit_code != 0
    assert "broken.yaml" in res.output
