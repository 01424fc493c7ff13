"""``ndc ledger`` end to end: keys, append, verify, witnesses, and a clear error without keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ndc.ledger.cli import app
from ndc.settings import get_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NDC_DEMO", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_operator_and_witness_workflow(data_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["stats"]).exit_code == 2  # no keys, no demo: refuses
    out = _ok("init", "--origin", "test.ndc.gov.vn/ledger")
    assert "test.ndc.gov.vn/ledger+" in out
    assert (data_dir / "ledger" / "log.key").stat().st_mode & 0o777 == 0o600
    assert runner.invoke(app, ["init"]).exit_code == 1  # never overwrites a key
    for i in range(3):
        _ok("append", "--action", "exchange:person:read", "--member", "BYT", "--client", "his",
            "--purpose", "admission", "--legal-basis", "Decree 13", "--subject-id", f"00{i}",
            "--field", "person.address")  # fmt: skip
    assert _ok("checkpoint").startswith("test.ndc.gov.vn/ledger\n3\n")
    key = tmp_path / "witness.key"
    vkey = _ok("witness", "keygen", "witness.bca.gov.vn/w1", "--out", str(key)).strip()
    _ok("witness", "add", vkey)
    state = tmp_path / "witness.state"
    assert "cosigned checkpoint of size 3" in _ok(
        "witness", "cosign", "--key", str(key), "--state", str(state)
    )
    assert "— witness.bca.gov.vn/w1 " in _ok("checkpoint")
    seen = tmp_path / "seen.notes"
    out = _ok("verify", "--save", str(seen))
    assert "OK" in out and "cosignatures" in out
    _ok("append", "--action", "exchange:person:read", "--member", "BYT", "--client", "his",
        "--purpose", "admission", "--legal-basis", "Decree 13")  # fmt: skip
    assert "OK" in _ok("verify", "--known", str(seen))
    assert "cosigned checkpoint of size 4" in _ok(
        "witness", "cosign", "--key", str(key), "--state", str(state)
    )
    assert "root" in _ok("proof", "--index", "1")
    assert "root" in _ok("proof", "--first", "2")
