"""Client tokens over HTTP: every bad token is refused with its stable problem type and no data;
revocation, deactivation and replay take effect at once; the policy is enforced end to end."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session
from tests.exchange.api.attacks import (
    admin_headers,
    assert_problem,
    b64url,
    call_headers,
    claims,
    hs256_with_public_key,
    other_key_pem,
    raw_token,
    signed,
)
from tests.exchange.api.conftest import AN, MST, PERSON_FIELDS, Api

from ndc.exchange import issue_key, make_token, register_client, register_member
from ndc.exchange.api.context import demo_api_key
from ndc.exchange.policy import grant_rule
from ndc.golden.models import GoldenRecordRow

PERSON = f"/api/v1/persons/{AN}"


def _now() -> int:
    return int(time.time())


def _altered_payload(api: Api) -> str:
    """A genuine signature over claims that were then swapped (another jti, a longer life)."""
    head, _, sig = api.token().split(".")
    payload = b64url(json.dumps(claims(api, exp=_now() + 290)).encode())
    return f"{head}.{payload}.{sig}"


def _without_kid(api: Api) -> str:
    assert api.key.private_key_pem is not None
    key = serialization.load_pem_private_key(api.key.private_key_pem.encode(), password=None)
    return jwt.encode(claims(api), key, algorithm="EdDSA")  # type: ignore[arg-type]


BAD_TOKENS: dict[str, tuple[Callable[[Api], str], int, str]] = {
    "expired": (lambda a: signed(a, iat=_now() - 400, exp=_now() - 340), 401, "token-expired"),
    "iat-in-future": (
        lambda a: signed(a, iat=_now() + 600, exp=_now() + 660), 401, "token-not-yet-valid"
    ),
    "nbf-in-future": (lambda a: signed(a, nbf=_now() + 600), 401, "token-not-yet-valid"),
    "lifetime-too-long": (
        lambda a: signed(a, exp=_now() + 3600), 401, "token-lifetime-too-long"
    ),
    "wrong-audience": (
        lambda a: signed(a, aud="https://evil.example/api"), 401, "token-bad-audience"
    ),
    "wrong-issuer": (lambda a: signed(a, iss="BHXH/other"), 401, "token-bad-issuer"),
    "unknown-kid": (lambda a: signed(a, kid="no-such-key-0123"), 401, "token-unknown-key"),
    "altered-payload": (_altered_payload, 401, "token-bad-signature"),
    "other-key": (lambda a: signed(a, key_pem=other_key_pem()), 401, "token-bad-signature"),
    "alg-none": (
        lambda a: raw_token({"alg": "none", "kid": a.key.key.kid}, claims(a), b""),
        401, "token-algorithm-not-allowed",
    ),
    "hs256-public-key": (hs256_with_public_key, 401, "token-algorithm-not-allowed"),
    "no-kid": (_without_kid, 401, "token-malformed"),
    "no-jti": (lambda a: signed(a, jti=None), 401, "token-malformed"),
    "jti-too-long": (lambda a: signed(a, jti="j" * 129), 401, "token-malformed"),
    "not-a-jwt": (lambda a: "not.a.jwt", 401, "token-malformed"),
    "garbage": (lambda a: "x" * 5000, 401, "token-malformed"),
}  # fmt: skip


def test_bad_token_is_refused_with_its_problem_type_and_nothing_read(
    api: Api, subtests: pytest.Subtests
) -> None:
    for case, (make, status, type_) in BAD_TOKENS.items():
        with subtests.test(case):
            r = api.client.get(PERSON, headers=call_headers(make(api)))
            assert_problem(r, status, type_)
            assert r.headers["www-authenticate"] == 'Bearer realm="ndc"'
    assert [e for e in api.ledger_events() if e["decision"] == "permit"] == []


def _client_operations(api: Api) -> list[tuple[str, str, bool]]:
    """Every bearer-protected operation: (method, concrete path, whether admin-only)."""
    spec: dict[str, Any] = api.client.app.openapi()  # type: ignore[attr-defined]
    fill = {"{cccd}": AN, "{mst}": MST, "{kid}": api.key.key.kid, "{code}": "claims",
            "{member}": "BHXH", "{consent_id}": "c-1", "{rule_id}": "r-1",
            "{subscription_id}": "s-1", "{delivery_id}": "d-1"}  # fmt: skip
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not op.get("security"):
                continue
            for name, value in fill.items():
                path = path.replace(name, value)
            out.append((method.upper(), path, path.startswith("/api/v1/admin/")))
    return out


def test_every_protected_operation_refuses_a_bad_token_and_client_tokens_are_not_admin(
    api: Api,
) -> None:
    ops = _client_operations(api)
    assert len(ops) > 20
    for method, path, admin in ops:
        expired = signed(api, iat=_now() - 400, exp=_now() - 340)
        r = api.client.request(method, path, headers=call_headers(expired), json={})
        assert_problem(r, 401, "admin-required" if admin else "token-expired")
        if admin:  # a valid client token is no admin token either
            r = api.client.request(method, path, headers=call_headers(api.token()), json={})
            assert_problem(r, 401, "admin-required")
    assert api.ledger_events() == []


def test_revoked_key_is_refused_from_the_very_next_call(api: Api) -> None:
    minted_before = api.token()
    assert api.client.get(PERSON, headers=call_headers(api.token())).status_code == 200
    r = api.client.delete(f"/api/v1/admin/keys/{api.key.key.kid}", headers=admin_headers(api))
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None
    assert_problem(api.client.get(PERSON, headers=call_headers(api.token())), 401,
                   "token-revoked-key")  # fmt: skip
    assert_problem(api.client.get(PERSON, headers=call_headers(minted_before)), 401,
                   "token-revoked-key")  # fmt: skip
    assert [e["decision"] for e in api.ledger_events()] == ["permit"]


def test_revoking_needs_the_admin_token(api: Api) -> None:
    path = f"/api/v1/admin/keys/{api.key.key.kid}"
    for hdrs in ({}, {"Authorization": "Bearer wrong"}, call_headers(api.token())):
        assert_problem(api.client.delete(path, headers=hdrs), 401, "admin-required")
    assert api.client.get(PERSON, headers=call_headers(api.token())).status_code == 200


def test_replayed_token_is_refused_and_the_attempt_is_audited_as_a_denial(api: Api) -> None:
    token = api.token()
    assert api.client.get(PERSON, headers=call_headers(token)).status_code == 200
    assert_problem(api.client.get(PERSON, headers=call_headers(token)), 401, "token-replayed")
    body = {"dataset": "person", "id": AN, "attributes": {"date_of_birth": "1990-03-15"}}
    r = api.client.post("/api/v1/verify", json=body, headers=call_headers(token))
    assert_problem(r, 401, "token-replayed")
    r = api.client.post("/api/v1/persons/bulk", json={"ids": [AN]}, headers=call_headers(token))
    assert_problem(r, 401, "token-replayed")
    events = api.ledger_events()
    assert [(e["action"], e["decision"]) for e in events] == [
        ("exchange:person:read", "permit"),
        ("exchange:person:read", "deny"),
        ("exchange:person:verify", "deny"),
        ("exchange:person:read", "deny"),
    ]
    assert events[0]["fields"] == [f"person.{f}" for f in PERSON_FIELDS]
    assert [e["fields"] for e in events[1:]] == [[], [], []]  # nothing was disclosed
    assert {e["subject"] for e in events} == {api.ctx.subject_ref(AN)}


def test_same_token_sent_concurrently_succeeds_exactly_once(api: Api) -> None:
    token = api.token()

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ndc") as client:
            calls = [client.get(PERSON, headers=call_headers(token)) for _ in range(8)]
            return await asyncio.gather(*calls)

    responses = asyncio.run(burst())
    assert sorted(r.status_code for r in responses) == [200] + [401] * 7
    for r in responses:
        if r.status_code == 401:
            assert_problem(r, 401, "token-replayed")
    events = api.ledger_events()
    assert sorted(str(e["decision"]) for e in events) == ["deny"] * 7 + ["permit"]
    assert [e["fields"] for e in events if e["decision"] == "deny"] == [[]] * 7


@pytest.mark.parametrize("what", ["client", "member"])
def test_deactivated_client_or_member_is_refused_at_once(api: Api, what: str) -> None:
    path = "/api/v1/admin/clients/BHXH/claims" if what == "client" else "/api/v1/admin/members/BHXH"
    key_hdrs = {"X-API-Key": demo_api_key(api.settings, api.client_id),
                "X-NDC-Purpose": "social-insurance", "X-NDC-User-Id": "demo"}  # fmt: skip
    r = api.client.patch(path, json={"active": False}, headers=admin_headers(api))
    assert r.status_code == 200, r.text
    assert_problem(api.client.get(PERSON, headers=call_headers(api.token())), 403,
                   "client-inactive")  # fmt: skip
    assert_problem(api.client.get(PERSON, headers=key_hdrs), 401, "bad-api-key")
    api.client.patch(path, json={"active": True}, headers=admin_headers(api))
    assert api.client.get(PERSON, headers=call_headers(api.token())).status_code == 200
    assert [e["decision"] for e in api.ledger_events()] == ["permit"]


# ---- authorisation matrix over HTTP -----------------------------------------------------------

TCT = "TCT/thue"
NOBODY = "TCT/hoadon"  # registered, no catalogue rule


def _enterprise() -> GoldenRecordRow:
    now = datetime(2026, 1, 5, 8, 0)
    values = {"name": "Công ty Cổ phần Sữa Việt Nam", "status": "active", "phone": "0283915",
              "main_industry_code": "1050", "charter_capital": "20899554450000"}  # fmt: skip
    prov = {"record": ["business_registry", f"dkkd-{MST}", "2026-01-01T08:00:00"]}
    return GoldenRecordRow(entity="enterprise", entity_id=MST, version=1,
                           values=json.dumps(values, ensure_ascii=False),
                           provenance=json.dumps(prov), created_at=now, updated_at=now,
                           run_id="golden-test")  # fmt: skip


@pytest.fixture
def tokens(api: Api) -> dict[str, Callable[[], str]]:
    """Token factories of three clients: BHXH/claims, TCT/thue and the unentitled TCT/hoadon."""
    basis, since = "Nghị định 278/2025/NĐ-CP", datetime(2025, 1, 1, tzinfo=UTC)
    with Session(api.ctx.engine) as s, s.begin():
        register_member(s, "TCT", "Tổng cục Thuế", "General Department of Taxation",
                        "public_body")  # fmt: skip
        register_client(s, "TCT", "thue", "Tax administration")
        register_client(s, "TCT", "hoadon", "E-invoices")
        keys = {cid: issue_key(s, cid) for cid in (TCT, NOBODY)}
        grant_rule(
            s,
            dataset="person",
            client_id=TCT,
            fields=["full_name"],
            purposes=["tax-administration"],
            legal_basis=basis,
            valid_from=since,
        )
        grant_rule(
            s,
            dataset="person",
            client_id=TCT,
            fields=["date_of_birth"],
            purposes=["tax-administration"],
            legal_basis=basis,
            valid_from=since,
            access="verify",
        )
        grant_rule(
            s,
            dataset="enterprise",
            client_id=TCT,
            fields=["name", "status", "main_industry_code"],
            purposes=["tax-administration"],
            legal_basis=basis,
            valid_from=since,
        )
        grant_rule(
            s,
            dataset="enterprise",
            member_code="BHXH",
            fields=["name"],
            purposes=["social-insurance"],
            legal_basis=basis,
            valid_from=since,
        )
        s.add(_enterprise())  # fmt: skip

    def maker(cid: str) -> Callable[[], str]:
        k = keys[cid]
        return lambda: make_token(k.private_key_pem, k.key.kid, cid)

    return {api.client_id: api.token, TCT: maker(TCT), NOBODY: maker(NOBODY)}


ENT = f"/api/v1/enterprises/{MST}"
# client, path, purpose, ?fields=, expected status, the exact field set or the problem type
MATRIX: list[tuple[str, str, str, str | None, int, list[str] | str]] = [
    ("BHXH/claims", PERSON, "social-insurance", None, 200, PERSON_FIELDS),
    ("BHXH/claims", PERSON, "social-insurance", "sex", 200, ["sex"]),
    ("BHXH/claims", PERSON, "social-insurance", "sex,phone", 403, "fields-not-allowed"),
    ("BHXH/claims", PERSON, "tax-administration", None, 403, "purpose-not-allowed"),
    ("BHXH/claims", ENT, "social-insurance", None, 200, ["name"]),
    ("BHXH/claims", ENT, "social-insurance", "status", 403, "fields-not-allowed"),
    ("BHXH/claims", ENT, "tax-administration", None, 403, "purpose-not-allowed"),
    ("BHXH/claims", f"{PERSON}/land-parcels", "social-insurance", None, 403, "consent-required"),
    (TCT, PERSON, "tax-administration", None, 200, ["full_name"]),
    (TCT, PERSON, "tax-administration", "date_of_birth", 403, "fields-not-allowed"),
    (TCT, PERSON, "social-insurance", None, 403, "purpose-not-allowed"),
    (TCT, ENT, "tax-administration", None, 200, ["main_industry_code", "name", "status"]),
    (TCT, ENT, "tax-administration", "name,status", 200, ["name", "status"]),
    (TCT, ENT, "tax-administration", "name,phone", 403, "fields-not-allowed"),
    (NOBODY, PERSON, "tax-administration", None, 403, "consent-required"),
    (NOBODY, PERSON, "law-enforcement", None, 403, "no-entitlement"),
    (NOBODY, ENT, "law-enforcement", None, 403, "no-entitlement"),
]  # fmt: skip


def test_http_authorisation_matrix(api: Api, tokens: dict[str, Callable[[], str]]) -> None:
    for cid, path, purpose, fields, status, expect in MATRIX:
        url = path if fields is None else f"{path}?fields={fields}"
        r = api.client.get(url, headers=call_headers(tokens[cid](), purpose))
        row = (cid, url, purpose)
        if status == 200:
            assert r.status_code == 200, (row, r.text)
            assert sorted(r.json()["fields"]) == expect, row
        else:
            assert isinstance(expect, str)
            assert_problem(r, status, expect)
        event = api.ledger_events()[-1]
        actor = {"client": cid, "member": cid.split("/")[0]}
        assert (event["actor"], event["purpose"]) == (actor, purpose), row
        assert event["decision"] == ("permit" if status == 200 else "deny"), row
        if status == 200:
            dataset = "person" if path == PERSON else "enterprise"
            assert event["fields"] == [f"{dataset}.{f}" for f in expect], row
        else:
            assert event.get("legal_basis") is None, row


def test_verify_only_entitlement_answers_match_but_never_the_value(
    api: Api, tokens: dict[str, Callable[[], str]]
) -> None:
    body = {"dataset": "person", "id": AN, "attributes": {"date_of_birth": "1990-03-15"}}
    hdrs = call_headers(tokens[TCT](), "tax-administration")
    r = api.client.post("/api/v1/verify", json=body, headers=hdrs)
    assert r.status_code == 200, r.text
    assert r.json()["results"] == {"date_of_birth": "match"}
    assert "1990-03-15" not in r.text
    body["attributes"] = {"sex": "1"}  # not even verifiable
    r = api.client.post(
        "/api/v1/verify", json=body, headers=call_headers(tokens[TCT](), "tax-administration")
    )
    assert_problem(r, 403, "fields-not-allowed")
