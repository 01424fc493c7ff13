"""The citizen's view: who looked at my data, each entry provable against a signed checkpoint."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.exchange.api.conftest import AN, Api

from ndc.exchange import IssuedKey, issue_key, make_token, register_client, register_member
from ndc.exchange.policy import grant_rule
from ndc.ledger import merkle
from ndc.ledger.note import open_checkpoint

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
Headers = Callable[[], dict[str, str]]


def _caller(key: IssuedKey, client: str, purpose: str, user: str) -> Headers:
    def headers() -> dict[str, str]:  # tokens are single-use: a fresh one per call
        tok = make_token(key.private_key_pem, key.key.kid, client)
        return {"Authorization": f"Bearer {tok}", "X-NDC-Purpose": purpose, "X-NDC-User-Id": user}

    return headers


@pytest.fixture
def callers(api: Api) -> tuple[Headers, Headers]:
    """The portal acting for citizen AN, and the police with a covert-capable entitlement."""
    with Session(api.ctx.engine) as s, s.begin():
        register_member(s, "VPCP", "Văn phòng Chính phủ", "Government Office", "ministry")
        register_client(s, "VPCP", "portal", "Cổng Dịch vụ công quốc gia")
        portal = issue_key(s, "VPCP/portal")
        grant_rule(s, dataset="access_history", client_id="VPCP/portal", fields=["entries"],
                   purposes=["citizen-self-service"], legal_basis="Luật Dữ liệu 2024",
                   valid_from=SINCE)  # fmt: skip
        register_member(s, "BCA", "Bộ Công an", "Ministry of Public Security", "ministry")
        register_client(s, "BCA", "c01", "Cục Cảnh sát hình sự")
        police = issue_key(s, "BCA/c01")
        grant_rule(s, dataset="person", client_id="BCA/c01", fields=["full_name"],
                   purposes=["criminal-investigation"], legal_basis="Bộ luật Tố tụng hình sự",
                   valid_from=SINCE, covert_allowed=True)  # fmt: skip
    api.ctx.policy.invalidate()
    return (
        _caller(portal, "VPCP/portal", "citizen-self-service", AN),
        _caller(police, "BCA/c01", "criminal-investigation", "dieu.tra.vien"),
    )


def _history(api: Api, portal: Headers) -> dict[str, object]:
    api.ctx.ledger.integrate()
    r = api.client.get(f"/api/v1/citizens/{AN}/access-history", headers=portal())
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_citizen_sees_who_read_their_data_with_proofs(
    api: Api, callers: tuple[Headers, Headers]
) -> None:
    portal, _ = callers
    assert api.client.get(f"/api/v1/persons/{AN}", headers=api.headers()).status_code == 200
    denied = api.client.get(f"/api/v1/persons/{AN}", headers=api.headers("tax-administration"))
    assert denied.status_code == 403
    doc = _history(api, portal)
    entries = doc["entries"]
    assert isinstance(entries, list)
    assert [(e["agency"]["code"], e["decision"]) for e in entries] == [
        ("BHXH", "permit"), ("BHXH", "deny")]  # fmt: skip
    first = entries[0]
    assert first["agency"]["name"] == "Bảo hiểm xã hội Việt Nam"
    assert first["purpose"]["vi"] == "Bảo hiểm xã hội"
    assert first["fields"] == ["person.date_of_birth", "person.full_name", "person.sex"]
    # Each entry is provably in the log the platform signed.
    verifier = api.ctx.ledger.keys.verifier
    checkpoint, _ = open_checkpoint(str(doc["checkpoint"]), verifier)
    for e in entries:
        leaf = merkle.leaf_hash(base64.b64decode(e["entry_b64"]))
        proof = [base64.b64decode(h) for h in e["inclusion_proof"]["hashes"]]
        assert merkle.verify_inclusion(e["index"], checkpoint.size, leaf, proof,
                                       checkpoint.root_hash)  # fmt: skip
    # A tampered entry does not verify.
    e = entries[0]
    forged = base64.b64decode(e["entry_b64"]).replace(b"BHXH", b"BHYT")
    proof = [base64.b64decode(h) for h in e["inclusion_proof"]["hashes"]]
    assert not merkle.verify_inclusion(e["index"], checkpoint.size, merkle.leaf_hash(forged),
                                       proof, checkpoint.root_hash)  # fmt: skip


def test_covert_access_is_hidden_until_its_date(api: Api, callers: tuple[Headers, Headers]) -> None:
    portal, police = callers
    until = (date.today() + timedelta(days=30)).isoformat()
    r = api.client.get(f"/api/v1/persons/{AN}", headers={**police(), "X-NDC-Covert-Until": until})
    assert r.status_code == 200, r.text
    assert _history(api, portal)["entries"] == []
    later = datetime.now(UTC) + timedelta(days=31)
    shown = api.ctx.ledger.history(api.ctx.subject_ref(AN), now=later)
    assert [h.event.actor_member for h in shown] == ["BCA"]
    # Covert access is refused to a purpose or rule that does not allow it.
    hidden = {**api.headers(), "X-NDC-Covert-Until": until}
    r = api.client.get(f"/api/v1/persons/{AN}", headers=hidden)
    assert r.status_code == 403
    assert r.json()["type"].endswith("/covert-not-allowed")


def test_history_is_shown_to_the_data_subject_only(
    api: Api, callers: tuple[Headers, Headers]
) -> None:
    portal, _ = callers
    other = {**portal(), "X-NDC-User-Id": "079185000002"}
    r = api.client.get(f"/api/v1/citizens/{AN}/access-history", headers=other)
    assert r.status_code == 403
    assert r.json()["type"].endswith("/not-the-data-subject")
