"""Catalogue admin, consent requests and citizens' consent decisions over HTTP (both backends).

The app is the real one (``ndc.web.create_app``) with the exchange fixture of tests/exchange/api;
citizens act through a portal client, as in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.exchange.api.conftest import AN, Api, api  # noqa: F401  (the app fixture)

from ndc.exchange import IssuedKey, issue_key, make_token, register_client, register_member
from ndc.exchange.api import admin_secret
from ndc.exchange.policy import grant_rule

BINH = "079185000002"


@dataclass
class World:
    api: Api
    keys: dict[str, IssuedKey]

    def headers(self, client: str, purpose: str, user: str = "can.bo.01") -> dict[str, str]:
        key = self.keys[client]
        token = make_token(key.private_key_pem, key.key.kid, client)
        return {"Authorization": f"Bearer {token}", "X-NDC-Purpose": purpose,
                "X-NDC-User-Id": user}  # fmt: skip

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {admin_secret(self.api.settings)}"}

    def citizen(self, cccd: str = AN, client: str = "DVC/portal") -> dict[str, str]:
        return self.headers(client, "citizen-self-service", user=cccd)

    def ask(self, client: str = "BANK1/loans", **body: Any) -> Any:
        payload = {"subject_id": AN, "dataset": "person", "fields": ["full_name", "date_of_birth"],
                   "purpose": "credit-assessment", "data_life_days": 30,
                   "valid_until": (datetime.now(UTC) + timedelta(days=90)).isoformat(),
                   "note": "Hồ sơ vay số 123", **body}  # fmt: skip
        return self.api.client.post("/api/v1/consents", json=payload,
                                    headers=self.headers(client, "credit-assessment"))  # fmt: skip

    def decide(self, client: str = "BANK1/loans", subject: str = AN) -> str:
        return self.api.ctx.policy.decide(
            client_id=client, member_code=client.split("/")[0], dataset="person",
            purpose="credit-assessment", subject_id=subject, fields=["full_name"],
        ).reason  # fmt: skip


@pytest.fixture
def world(api: Api) -> World:  # noqa: F811
    keys = {"BHXH/claims": api.key}
    with Session(api.ctx.engine) as s, s.begin():
        register_member(s, "BANK1", "Ngân hàng TMCP Ví Dụ", "Example Bank", "enterprise")
        register_member(s, "DVC", "Cổng Dịch vụ công quốc gia", "National public service portal",
                        "public_body")  # fmt: skip
        for member, code in (("BANK1", "loans"), ("BANK1", "cards"), ("DVC", "portal"),
                             ("DVC", "kiosk")):  # fmt: skip
            client = register_client(s, member, code, code)
            keys[client.id] = issue_key(s, client.id)
        grant_rule(s, dataset="access_history", client_id="DVC/portal", fields=["entries"],
                   purposes=["citizen-self-service"], legal_basis="Luật 91/2025/QH15, Điều 4",
                   valid_from=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    return World(api, keys)


def _problem(r: Any, status: int, type_: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/" + type_), r.json()


def test_admin_grants_lists_and_revokes_rules_with_immediate_effect(world: World) -> None:
    http, ctx = world.api.client, world.api.ctx
    rule = {"dataset": "person", "client_id": "BANK1/loans", "fields": ["full_name"],
            "purposes": ["credit-assessment"], "access": "verify",
            "legal_basis": "Thông tư 01/2026/TT-NHNN"}  # fmt: skip
    _problem(http.post("/api/v1/admin/catalogue/rules", json=rule), 401, "admin-required")
    assert world.decide() == "consent-required"  # cached: no rule yet
    r = http.post("/api/v1/admin/catalogue/rules", json=rule, headers=world.admin())
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    assert r.json()["access"] == "verify" and r.json()["client_id"] == "BANK1/loans"
    verify = ctx.policy.decide(client_id="BANK1/loans", member_code="BANK1", dataset="person",
                               purpose="credit-assessment", subject_id=AN,
                               access="verify")  # type: ignore[arg-type]  # fmt: skip
    assert verify.permit  # the same process sees its own grant at once
    listed = http.get("/api/v1/admin/catalogue/rules?member_code=BANK1", headers=world.admin())
    assert [x["id"] for x in listed.json()] == [rule_id]
    r = http.delete(f"/api/v1/admin/catalogue/rules/{rule_id}", headers=world.admin())
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert not ctx.policy.decide(client_id="BANK1/loans", member_code="BANK1", dataset="person",
                                 purpose="credit-assessment", subject_id=None).permit  # fmt: skip
    _problem(http.delete("/api/v1/admin/catalogue/rules/r_nope", headers=world.admin()), 404,
             "rule-not-found")  # fmt: skip
    bad = {**rule, "fields": ["salary"]}
    _problem(http.post("/api/v1/admin/catalogue/rules", json=bad, headers=world.admin()), 422,
             "invalid-rule")  # fmt: skip
    no_basis = {k: v for k, v in rule.items() if k != "legal_basis"}
    _problem(http.post("/api/v1/admin/catalogue/rules", json=no_basis, headers=world.admin()),
             422, "validation-error")  # fmt: skip


def test_consent_flow_through_the_portal(world: World) -> None:
    http = world.api.client
    r = world.ask()
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["state"] == "pending" and r.json()["requester_member"] == "BANK1"
    assert world.decide() == "consent-required"  # silence is not consent
    # Another client of the requester sees the state; another member does not see it at all.
    seen = http.get(f"/api/v1/consents/{cid}", headers=world.headers("BANK1/cards", "statistics"))
    assert seen.status_code == 200 and seen.json()["state"] == "pending"
    _problem(http.get(f"/api/v1/consents/{cid}",
                      headers=world.headers("BHXH/claims", "social-insurance")),
             404, "consent-not-found")  # fmt: skip

    mine = http.get(f"/api/v1/citizens/{AN}/consents", headers=world.citizen())
    assert mine.status_code == 200, mine.text
    [item] = mine.json()
    assert item["requester_name_vi"] == "Ngân hàng TMCP Ví Dụ"
    assert item["purpose_label_vi"] == "Thẩm định tín dụng"
    assert item["state_label_vi"] == "Chờ công dân đồng ý"
    assert item["field_labels_vi"] == {"date_of_birth": "Ngày, tháng, năm sinh",
                                       "full_name": "Họ, chữ đệm và tên"}  # fmt: skip
    assert item["note"] == "Hồ sơ vay số 123" and item["data_life_days"] == 30

    r = http.post(f"/api/v1/citizens/{AN}/consents/{cid}/approve", headers=world.citizen())
    assert r.status_code == 200 and r.json()["state"] == "active", r.text
    assert world.decide() == "permitted"
    assert world.decide(subject=BINH) == "consent-required"
    got = http.get(f"/api/v1/persons/{AN}?fields=full_name",
                   headers=world.headers("BANK1/loans", "credit-assessment"))  # fmt: skip
    assert got.status_code == 200, got.text
    assert got.json()["fields"]["full_name"]["value"] == "Nguyễn Văn An"

    r = http.post(f"/api/v1/citizens/{AN}/consents/{cid}/revoke", headers=world.citizen())
    assert r.status_code == 200 and r.json()["state_label_vi"] == "Công dân đã rút lại"
    assert world.decide() == "consent-revoked"  # at once
    gone = http.get(f"/api/v1/persons/{AN}?fields=full_name",
                    headers=world.headers("BANK1/loans", "credit-assessment"))  # fmt: skip
    _problem(gone, 403, "consent-revoked")
    _problem(http.post(f"/api/v1/citizens/{AN}/consents/{cid}/approve", headers=world.citizen()),
             409, "consent-state-conflict")  # fmt: skip

    # The citizen's steps and the request are in the ledger, under a pseudonym.
    events = [e for e in world.api.ledger_events() if e["action"].startswith("exchange:consent")]
    assert [e["action"] for e in events] == ["exchange:consent:request",
                                             "exchange:consent:approve",
                                             "exchange:consent:revoke"]  # fmt: skip
    assert {e["consent_ref"] for e in events} == {cid}
    assert [e["actor"]["client"] for e in events] == ["BANK1/loans", "DVC/portal", "DVC/portal"]
    assert {e["subject"] for e in events} == {world.api.ctx.subject_ref(AN)}
    assert events[1]["fields"] == ["person.date_of_birth", "person.full_name"]
    assert AN not in str(events)


def test_rejection_and_who_may_act_for_a_citizen(world: World) -> None:
    http = world.api.client
    cid = world.ask().json()["id"]
    other = world.ask(subject_id=BINH).json()["id"]
    # Only the citizen, only through an entitled portal, only with the self-service purpose.
    _problem(http.get(f"/api/v1/citizens/{AN}/consents", headers=world.citizen(BINH)), 403,
             "not-the-data-subject")  # fmt: skip
    kiosk = world.citizen(client="DVC/kiosk")
    _problem(http.get(f"/api/v1/citizens/{AN}/consents", headers=kiosk), 403, "no-entitlement")
    _problem(http.get(f"/api/v1/citizens/{AN}/consents",
                      headers=world.headers("DVC/portal", "statistics", user=AN)),
             403, "purpose-not-allowed")  # fmt: skip
    _problem(http.post(f"/api/v1/citizens/{AN}/consents/{cid}/approve",
                       headers=world.citizen(BINH)), 403, "not-the-data-subject")  # fmt: skip
    # A consent id of another citizen is simply not found.
    _problem(http.post(f"/api/v1/citizens/{AN}/consents/{other}/approve",
                       headers=world.citizen()), 404, "consent-not-found")  # fmt: skip
    r = http.post(f"/api/v1/citizens/{AN}/consents/{cid}/reject", headers=world.citizen())
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert world.decide() == "consent-rejected"
    _problem(http.post(f"/api/v1/citizens/{AN}/consents/{cid}/revoke", headers=world.citizen()),
             409, "consent-state-conflict")  # fmt: skip
    assert [c["id"] for c in http.get(f"/api/v1/citizens/{BINH}/consents",
                                      headers=world.citizen(BINH)).json()] == [other]  # fmt: skip


def test_bad_consent_requests(world: World) -> None:
    _problem(world.ask(dataset="enterprise", fields=["name"]), 422, "invalid-consent")
    _problem(world.ask(purpose="criminal-investigation"), 422, "invalid-consent")
    _problem(world.ask(fields=["salary"]), 422, "invalid-consent")
    _problem(world.ask(subject_id="12345"), 422, "validation-error")
    r = world.ask(client_only=True)
    assert r.status_code == 201 and r.json()["requester_client"] == "BANK1/loans"
