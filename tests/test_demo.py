"""`ndc demo` (what `make demo` runs) keeps working end to end on a small nation."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ndc.cli import app
from ndc.settings import get_settings


def test_demo_generates_integrates_links_reconciles_and_proves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path / "ndc-data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--citizens", "1000"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = result.output
    assert "population register" in out and "1,000" in out
    assert "Run report" in out and "✗" not in out  # every source reconciled
    assert "inclusion proof verified: True" in out and "full verification: ok" in out
    assert (tmp_path / "ndc-data" / "reports" / "scorecard.html").exists()
    assert (tmp_path / "ndc-data" / "pipeline.duckdb").exists()
    # the whole chain: linked, one golden record per person published, agencies reconciled
    assert "Links (liên kết)" in out and "golden records" in out
    assert "1,000 person" in out and "published to the serving store" in out
    assert (tmp_path / "ndc-data" / "reports" / "reconciliation" / "reconciliation.html").exists()
    assert (tmp_path / "ndc-data" / "ndc.sqlite3").exists()
