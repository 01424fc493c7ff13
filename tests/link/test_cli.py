"""``ndc link sources`` and ``ndc link review`` on a linked nation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ndc.cli import app
from ndc.pipeline.store import connect
from ndc.settings import get_settings


@pytest.fixture
def cli_dir(linked_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("NDC_DATA_DIR", str(linked_copy))
    get_settings.cache_clear()
    yield linked_copy
    get_settings.cache_clear()


def test_sources_relinks_nothing_when_nothing_changed(cli_dir: Path) -> None:
    result = CliRunner().invoke(app, ["link", "sources"])
    assert result.exit_code == 0, result.output
    assert (
        "health_insurance" in result.output and "person records scored by Splink" in result.output
    )
    con = connect(cli_dir)
    runs = con.execute(
        "SELECT DISTINCT run_id FROM links WHERE method = 'deterministic'"
    ).fetchall()
    con.close()
    assert runs == [("run-1",)]


def test_review_decide_and_list(cli_dir: Path) -> None:
    con = connect(cli_dir)
    source, key, target = con.execute(
        "SELECT source_id, record_key, target_id FROM links WHERE method = 'probabilistic' "
        "AND status = 'linked' AND entity = 'person' ORDER BY 1, 2"
    ).fetchall()[0]
    con.close()
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "link",
            "review",
            "decide",
            source,
            key,
            "--target",
            target,
            "--decision",
            "link",
            "--reviewer",
            "lan",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "recorded" in result.output
    bad = runner.invoke(
        app,
        [
            "link",
            "review",
            "decide",
            source,
            key,
            "--target",
            "1",
            "--decision",
            "perhaps",
            "--reviewer",
            "lan",
        ],
    )
    assert bad.exit_code == 2 and "decision must be one of" in bad.output
    listed = runner.invoke(app, ["link", "review", "list"])
    assert listed.exit_code == 0 and "Review queue" in listed.output


def test_sources_without_a_pipeline_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["link", "sources"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "population register" in result.output
