"""The demo exchange: set up once (a second run changes nothing), and its keys really work."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ndc.exchange import TokenVerifier, revoke_key
from ndc.exchange.api import ExchangeContext
from ndc.exchange.demo import (
    DemoExchange,
    DemoModeRequired,
    demo_call,
    keys_dir,
    setup_demo_exchange,
)
from ndc.exchange.models import Client, ClientKey, Member
from ndc.exchange.policy.models import SharingRule
from ndc.golden.models import GoldenRecordRow
from ndc.settings import Settings
from ndc.web import create_app

AN = "001090000001"
PERSON = f"/api/v1/persons/{AN}"
Headers = dict[str, str]
VALUES = {"full_name": "Nguyễn Văn An", "date_of_birth": "1990-03-15", "sex": "1",
          "phone": "0912345678", "ethnicity": "01", "permanent_residence_commune_code": "00004",
          "marital_status": "married"}  # fmt: skip


@pytest.fixture
def demo_settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "ndc-data", demo=True, database_url=store_url)


def _counts(ctx_engine: object) -> dict[str, int]:
    with Session(ctx_engine) as s:  # type: ignore[call-overload]
        return {t.__name__: s.scalar(select(func.count()).select_from(t))
                for t in (Member, Client, ClientKey, SharingRule)}  # fmt: skip


def _files(settings: Settings) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in keys_dir(settings).iterdir()}


def test_setup_twice_changes_nothing(demo_settings: Settings) -> None:
    first = setup_demo_exchange(demo_settings)
    assert "member VCB" in first.added and "key BHXH/claims" in first.added
    ctx = create_app(demo_settings).state.exchange
    counts, files = _counts(ctx.engine), _files(demo_settings)
    assert counts == {"Member": 5, "Client": 5, "ClientKey": 5, "SharingRule": 8}
    second = setup_demo_exchange(demo_settings)
    assert second.added == ()
    assert _counts(ctx.engine) == counts and _files(demo_settings) == files
    assert second.clients == first.clients and second.admin_token == first.admin_token
    for c in second.clients:  # private keys readable by the owner only, kid beside them
        assert stat.S_IMODE(c.key_path.stat().st_mode) == 0o600
        assert c.key_path.with_suffix(".kid").read_text().strip() == c.kid


def test_key_files_are_registered_again_in_a_fresh_store(
    demo_settings: Settings, tmp_path: Path
) -> None:
    first = setup_demo_exchange(demo_settings)
    fresh = demo_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'new.db'}"})
    again = setup_demo_exchange(fresh)
    assert [c.kid for c in again.clients] == [c.kid for c in first.clients]  # same key files
    assert "key BHXH/claims (registered from BHXH_claims.pem)" in again.added


def test_a_revoked_demo_key_is_replaced(demo_settings: Settings) -> None:
    first = setup_demo_exchange(demo_settings)
    old = first.client("BHXH/claims")
    engine = create_app(demo_settings).state.exchange.engine
    with Session(engine) as s, s.begin():
        revoke_key(s, old.kid)
    again = setup_demo_exchange(demo_settings)
    new = again.client("BHXH/claims")
    assert again.added == ("key BHXH/claims",) and new.kid != old.kid
    assert new.key_path.with_suffix(".kid").read_text().strip() == new.kid
    assert TokenVerifier(engine).verify(again.token("BHXH/claims")).kid == new.kid


def test_setup_is_refused_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(DemoModeRequired):
        setup_demo_exchange(Settings(data_dir=tmp_path / "d", demo=False))
    assert not (tmp_path / "d" / "exchange").exists()


def _person(provenance: dict[str, object]) -> GoldenRecordRow:
    now = datetime(2026, 1, 5, 8)
    values, prov = json.dumps(VALUES, ensure_ascii=False), json.dumps(provenance)
    return GoldenRecordRow(
        entity="person",
        entity_id=AN,
        version=1,
        run_id="golden-test",
        values=values,
        provenance=prov,
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
def served(demo_settings: Settings) -> Iterator[tuple[TestClient, DemoExchange]]:
    demo = setup_demo_exchange(demo_settings)
    app = create_app(demo_settings)
    ctx: ExchangeContext = app.state.exchange
    prov = {"record": ["population", "pop-1", "2026-01-01T08:00:00"]}
    with Session(ctx.engine) as s, s.begin():
        s.add(_person(prov))
    with TestClient(app) as http:
        yield http, demo


def _as(demo: DemoExchange, client_id: str, purpose: str, user: str, **extra: str) -> Headers:
    token = demo.token(client_id)  # a fresh one each call: tokens are single-use
    return {"Authorization": f"Bearer {token}", "X-NDC-Purpose": purpose, "X-NDC-User-Id": user,
            **extra}  # fmt: skip


def test_demo_keys_sign_tokens_the_api_accepts(served: tuple[TestClient, DemoExchange]) -> None:
    http, demo = served
    r = http.get(PERSON, headers=_as(demo, "BHXH/claims", "social-insurance", "can.bo.01"))
    assert r.status_code == 200, r.text
    fields = r.json()["fields"]
    assert fields["full_name"]["value"] == "Nguyễn Văn An"
    assert "phone" not in fields and "ethnicity" not in fields  # minimised to the rule
    assert "Luật Bảo hiểm xã hội 2024" in r.json()["access"]["legal_basis"]
    r = http.get(PERSON, headers=_as(demo, "HN/one-stop", "administrative-procedure", "mc.hn"))
    assert r.status_code == 200 and "marital_status" in r.json()["fields"]
    covert = {"X-NDC-Covert-Until": (date.today() + timedelta(days=365)).isoformat()}
    r = http.get(PERSON, headers=_as(demo, "BCA/c06", "criminal-investigation", "dtv.9", **covert))
    assert r.status_code == 200, r.text
    http.app.state.exchange.ledger.integrate()  # the sequencer's job, within a second
    r = http.get(f"/api/v1/citizens/{AN}/access-history",
                 headers=_as(demo, "VPCP/portal", "citizen-self-service", AN))  # fmt: skip
    assert r.status_code == 200, r.text
    seen = [e["client"] for e in r.json()["entries"]]
    assert "BHXH/claims" in seen and "BCA/c06" not in seen  # the covert read stays hidden
    key = demo.client("BHXH/claims").api_key
    api_key = {"X-API-Key": key, "X-NDC-Purpose": "social-insurance", "X-NDC-User-Id": "can.bo"}
    r = http.get(PERSON, headers=api_key)
    assert r.status_code == 200
    r = http.get("/api/v1/admin/members", headers={"Authorization": f"Bearer {demo.admin_token}"})
    assert sorted(m["code"] for m in r.json()) == ["BCA", "BHXH", "HN", "VCB", "VPCP"]


def test_bank_needs_the_citizens_consent(served: tuple[TestClient, DemoExchange]) -> None:
    http, demo = served

    def bank() -> Headers:
        return _as(demo, "VCB/ekyc", "credit-assessment", "nv.tindung.07")

    r = http.get(PERSON, headers=bank())
    assert r.status_code == 403
    assert r.json()["type"].endswith("/consent-required")
    ask = {"subject_id": AN, "dataset": "person", "fields": ["full_name", "date_of_birth"],
           "purpose": "credit-assessment", "data_life_days": 30,
           "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}  # fmt: skip
    consent = http.post("/api/v1/consents", json=ask, headers=bank())
    assert consent.status_code == 201, consent.text
    r = http.post(f"/api/v1/citizens/{AN}/consents/{consent.json()['id']}/approve",
                  headers=_as(demo, "VPCP/portal", "citizen-self-service", AN))  # fmt: skip
    assert r.status_code == 200, r.text
    r = http.get(PERSON, headers=bank())
    assert r.status_code == 200, r.text
    assert sorted(r.json()["fields"]) == ["date_of_birth", "full_name"]
    assert r.json()["access"]["consent_id"] == consent.json()["id"]


def test_demo_call_reads_through_the_app_and_is_audited(demo_settings: Settings) -> None:
    demo = setup_demo_exchange(demo_settings)
    assert demo_call(demo_settings, demo) is None  # nothing published yet
    served_ctx = create_app(demo_settings).state.exchange
    with Session(served_ctx.engine) as s, s.begin():
        s.add(_person({"record": ["population", "p", "2026-01-01"]}))
    call = demo_call(demo_settings, demo)
    assert call is not None and call.cccd == AN
    assert (call.status, call.denied_status, call.denied_type) == (200, 403, "consent-required")
    assert "phone" not in call.body["fields"] and call.ledger_added == 2
