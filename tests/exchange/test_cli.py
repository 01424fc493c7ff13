"""``ndc members`` round trip: register, issue a key, use it, revoke it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ndc.cli import app
from ndc.exchange import RevokedKey, TokenVerifier, make_token, open_store
from ndc.settings import get_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NDC_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, ["members", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_members_round_trip(data_dir: Path, tmp_path: Path) -> None:
    _ok("add", "BHXH", "--name-vi", "Bảo hiểm xã hội Việt Nam",
        "--name-en", "Vietnam Social Security", "--kind", "public_body")  # fmt: skip
    assert runner.invoke(app, ["members", "add", "BHXH", "--name-vi", "x", "--name-en", "x",
                               "--kind", "ministry"]).exit_code == 1  # fmt: skip
    assert "BHXH" in _ok("list")
    assert "BHXH/claims" in _ok("client", "add", "BHXH", "claims", "--name", "Claims")
    assert "BHXH/claims" in _ok("client", "list", "--member", "BHXH")

    key_file = tmp_path / "claims.key"
    out = _ok("key", "new", "BHXH/claims", "--out", str(key_file))
    kid = re.search(r"key id \(kid\): (\S+)", out)
    assert kid is not None
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert kid.group(1) in _ok("key", "list", "BHXH/claims")

    engine = open_store(get_settings())
    try:
        token = make_token(key_file.read_text(), kid.group(1), "BHXH/claims")
        assert TokenVerifier(engine).verify(token).member_code == "BHXH"
        assert "revoked" in _ok("key", "revoke", kid.group(1))
        with pytest.raises(RevokedKey):
            TokenVerifier(engine).verify(make_token(key_file.read_text(), kid.group(1),
                                                    "BHXH/claims"))  # fmt: skip
    finally:
        engine.dispose()
    assert runner.invoke(app, ["members", "key", "revoke", "nope"]).exit_code == 1
