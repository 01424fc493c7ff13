from pathlib import Path

import pytest

from ndc.settings import Settings


def test_defaults_are_the_embedded_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NDC_DATA_DIR", "NDC_DATABASE_URL", "NDC_DEMO"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.data_dir == Path("ndc-data")
    assert s.store_url.startswith("sqlite:///") and s.store_url.endswith("ndc-data/ndc.sqlite3")
    assert s.demo is False


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NDC_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    monkeypatch.setenv("NDC_DEMO", "true")
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.store_url == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert s.demo is True
