"""``catalogue`` and ``consent`` commands round trip on the embedded store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ndc.exchange import open_store, register_client, register_member
from ndc.exchange.policy import PolicyEngine, create_tables, list_rules, request_consent
from ndc.exchange.policy.cli import catalogue_app, consent_app
from ndc.settings import get_settings

from .conftest import SUBJECT

runner = CliRunner()
app = typer.Typer()
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(consent_app, name="consent")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NDC_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = open_store(get_settings())
    create_tables(engine)
    with Session(engine) as s, s.begin():
        register_member(s, "BHXH", "Bảo hiểm xã hội Việt Nam", "VSS", "public_body")
        register_client(s, "BHXH", "claims", "Claims")
        register_member(s, "BANK1", "Ngân hàng Ví Dụ", "Example Bank", "enterprise")
    engine.dispose()
    yield
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _decide(**kw: str) -> str:
    engine = open_store(get_settings())
    try:
        return PolicyEngine(engine).decide(
            client_id="BHXH/claims", member_code="BHXH", dataset="person", subject_id=SUBJECT,
            fields=["full_name"], **kw).reason  # type: ignore[arg-type]  # fmt: skip
    finally:
        engine.dispose()


def test_catalogue_round_trip(store: None) -> None:
    out = _ok("catalogue", "grant", "person", "--client", "BHXH/claims", "-f", "full_name,sex",
              "-f", "date_of_birth", "-p", "social-insurance", "-p", "health-insurance",
              "--legal-basis", "Nghị định 278/2025/NĐ-CP, Điều 10",
              "--valid-from", "2026-01-01")  # fmt: skip
    rule_id = re.search(r"rule (r_\w+) granted", out)
    assert rule_id is not None and "date_of_birth, full_name, sex" in out
    listing = _ok("catalogue", "list", "--member", "BHXH")
    assert rule_id.group(1) in listing and "278/2025" in listing
    engine = open_store(get_settings())
    with Session(engine) as s:  # a time without an offset is Vietnam time
        assert list_rules(s)[0].valid_from == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    engine.dispose()
    assert _decide(purpose="social-insurance") == "permitted"
    assert "revoked" in _ok("catalogue", "revoke", rule_id.group(1))
    assert rule_id.group(1) not in _ok("catalogue", "list")
    assert rule_id.group(1) in _ok("catalogue", "list", "--all")
    bad = runner.invoke(
        app,
        [
            "catalogue",
            "grant",
            "person",
            "--client",
            "BHXH/claims",
            "-f",
            "salary",
            "-p",
            "statistics",
            "--legal-basis",
            "x 1/2025",
        ],
    )
    assert bad.exit_code == 1 and "salary" in bad.output
    assert runner.invoke(app, ["catalogue", "revoke", "r_nope"]).exit_code == 1


def test_consent_round_trip(store: None) -> None:
    engine = open_store(get_settings())
    with Session(engine) as s, s.begin():
        cid = request_consent(s, subject_id=SUBJECT, requester_member="BHXH", dataset="person",
                              fields=["full_name"], purpose="social-insurance",
                              valid_until=datetime.now(UTC) + timedelta(days=30),
                              data_life_days=7).id  # fmt: skip
    engine.dispose()
    assert cid in _ok("consent", "list", "--subject", SUBJECT, "--state", "pending")
    shown = _ok("consent", "show", cid)
    assert "Chờ công dân đồng ý" in shown and "Bảo hiểm xã hội" in shown
    assert _decide(purpose="social-insurance") == "consent-required"
    wrong = runner.invoke(app, ["consent", "approve", cid, "--subject", "079195054321"])
    assert wrong.exit_code == 1
    assert "Đang có hiệu lực" in _ok("consent", "approve", cid, "--subject", SUBJECT)
    assert _decide(purpose="social-insurance") == "permitted"
    assert "Công dân đã rút lại" in _ok("consent", "revoke", cid)
    assert _decide(purpose="social-insurance") == "consent-revoked"
    again = runner.invoke(app, ["consent", "approve", cid])
    assert again.exit_code == 1 and "revoked" in again.output
    assert cid in _ok("consent", "list", "--requester", "BHXH")
    assert cid not in _ok("consent", "list", "--requester", "BANK1")
