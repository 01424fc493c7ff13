"""Citizen consent lifecycle and the decisions it opens (SQLite and PostgreSQL).

Silence is never consent; a revocation is effective for the very next decision; expiry is
computed on read; data life tells the requester when to delete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import ClientNotFound, MemberNotFound
from ndc.exchange.policy import (
    ConsentNotFound,
    ConsentState,
    ConsentStateConflict,
    InvalidConsent,
    PolicyEngine,
    Purpose,
    approve_consent,
    get_consent,
    grant_rule,
    list_consents,
    reject_consent,
    request_consent,
    revoke_consent,
)

from .conftest import NOW, OTHER_SUBJECT, SUBJECT

DAY = timedelta(days=1)
FIELDS = ["date_of_birth", "full_name", "permanent_residence_commune_code"]


def _request(engine: Engine, **change: object) -> str:
    args: dict[str, object] = {
        "subject_id": SUBJECT, "requester_member": "BANK1", "dataset": "person",
        "fields": FIELDS, "purpose": Purpose.CREDIT_ASSESSMENT, "valid_until": NOW + 90 * DAY,
        "data_life_days": 30, "note": "Hồ sơ vay tiêu dùng số 123", "now": NOW,
    }  # fmt: skip
    args.update(change)
    with Session(engine) as s, s.begin():
        return request_consent(s, **args).id  # type: ignore[arg-type]


def _decide(policy: PolicyEngine, *, at: datetime = NOW + DAY, client: str = "BANK1/loans",
            subject: str = SUBJECT, fields: list[str] | None = None,
            purpose: str = "credit-assessment") -> tuple[bool, str, str | None]:  # fmt: skip
    d = policy.decide(client_id=client, member_code=client.split("/")[0], dataset="person",
                      purpose=purpose, subject_id=subject, fields=fields, now=at)  # fmt: skip
    return d.permit, d.reason, d.consent_id


def test_lifecycle_silence_approval_revocation(engine: Engine) -> None:
    policy = PolicyEngine(engine)
    cid = _request(engine)
    with Session(engine) as s:
        pending = get_consent(s, cid, now=NOW)
    assert (pending.state, pending.state_label_vi) == (ConsentState.PENDING, "Chờ công dân đồng ý")
    assert pending.purpose_label_vi == "Thẩm định tín dụng" and pending.fields == FIELDS
    # Silence is never consent, however long it lasts.
    for later in (NOW, NOW + DAY, NOW + 89 * DAY):
        assert _decide(policy, at=later) == (False, "consent-required", None)

    with Session(engine) as s, s.begin():
        active = approve_consent(s, cid, subject_id=SUBJECT, now=NOW + DAY)
    assert active.state is ConsentState.ACTIVE and active.decided_at == NOW + DAY
    at = NOW + 2 * DAY
    d = policy.decide(client_id="BANK1/loans", member_code="BANK1", dataset="person",
                      purpose="credit-assessment", subject_id=SUBJECT, now=at)  # fmt: skip
    assert d.permit and d.consent_id == cid and d.legal_basis is None and d.rule_id is None
    assert d.fields == tuple(FIELDS) and not d.covert_allowed
    assert d.retain_until == at + timedelta(days=30)  # the data life
    # Every client of the member may use it; other subjects, members and purposes may not.
    assert _decide(policy, at=at, client="BANK1/cards", fields=["full_name"])[0]
    assert _decide(policy, at=at, subject=OTHER_SUBJECT) == (False, "consent-required", None)
    assert _decide(policy, at=at, client="CT/tms") == (False, "consent-required", None)
    assert _decide(policy, at=at, purpose="employment-verification")[1] == "consent-required"
    # Fields outside the consent are refused, never trimmed.
    assert _decide(policy, at=at, fields=["full_name", "phone"]) == (
        False, "fields-not-allowed", None)  # fmt: skip

    # Revocation is effective for the very next decision of the same (caching) engine.
    with Session(engine) as s, s.begin():
        revoked = revoke_consent(s, cid, subject_id=SUBJECT, now=at)
    assert revoked.state is ConsentState.REVOKED and revoked.revoked_at == at
    assert _decide(policy, at=at) == (False, "consent-revoked", None)
    with Session(engine) as s:
        with pytest.raises(ConsentStateConflict) as err:
            approve_consent(s, cid, now=at)
        assert err.value.status == 409 and err.value.problem_type == "consent-state-conflict"
        with pytest.raises(ConsentStateConflict):
            revoke_consent(s, cid, now=at)


def test_rejection_and_wrong_transitions(engine: Engine) -> None:
    policy = PolicyEngine(engine)
    cid = _request(engine)
    with Session(engine) as s, s.begin():
        with pytest.raises(ConsentStateConflict):
            revoke_consent(s, cid, now=NOW)  # nothing to withdraw yet
        with pytest.raises(ConsentNotFound):
            approve_consent(s, cid, subject_id=OTHER_SUBJECT, now=NOW)  # not this citizen's
        assert reject_consent(s, cid, subject_id=SUBJECT, now=NOW).state is ConsentState.REJECTED
    assert _decide(policy) == (False, "consent-rejected", None)
    with Session(engine) as s:
        with pytest.raises(ConsentStateConflict):
            approve_consent(s, cid, now=NOW)
        with pytest.raises(ConsentStateConflict):
            reject_consent(s, cid, now=NOW)
        with pytest.raises(ConsentNotFound):
            get_consent(s, "c_missing")
        with pytest.raises(ConsentNotFound):
            get_consent(s, cid, requester_member="CT")


def test_expiry_is_computed_on_read(engine: Engine) -> None:
    policy = PolicyEngine(engine)
    until = NOW + 10 * DAY
    cid = _request(engine, valid_until=until)
    stale = _request(engine, valid_until=until)  # never answered
    with Session(engine) as s, s.begin():
        approve_consent(s, cid, now=NOW)
    assert _decide(policy, at=until - timedelta(seconds=1))[0]
    assert _decide(policy, at=until) == (False, "consent-expired", None)  # [from, until)
    with Session(engine) as s:
        assert get_consent(s, cid, now=until).state is ConsentState.EXPIRED
        assert get_consent(s, cid, now=until - DAY).state is ConsentState.ACTIVE
        assert get_consent(s, stale, now=until).state is ConsentState.EXPIRED
        with pytest.raises(ConsentStateConflict, match="expired"):
            approve_consent(s, stale, now=until)
        with pytest.raises(ConsentStateConflict, match="expired"):
            revoke_consent(s, cid, now=until)
    # Real clock: a consent whose window ended yesterday is reported expired, not "active".
    real_now = datetime.now(UTC)
    old = _request(engine, valid_until=real_now - DAY, now=real_now - 5 * DAY)
    with Session(engine) as s, s.begin():
        approve_consent(s, old, now=real_now - 4 * DAY)
    with Session(engine) as s:
        assert get_consent(s, old).state is ConsentState.EXPIRED
        expired = [c.id for c in list_consents(s, subject_id=SUBJECT, state="expired")]
        assert expired[0] == old and sorted(expired[1:]) == sorted([cid, stale])


def test_not_yet_valid_and_client_bound_consents(engine: Engine) -> None:
    policy = PolicyEngine(engine)
    later = _request(engine, valid_from=NOW + 5 * DAY)
    with Session(engine) as s, s.begin():
        approve_consent(s, later, now=NOW)
    assert _decide(policy, at=NOW + DAY) == (False, "consent-not-yet-valid", None)
    assert _decide(policy, at=NOW + 5 * DAY) == (True, "permitted", later)
    bound = _request(engine, requester_client="BANK1/cards", purpose="employment-verification")
    with Session(engine) as s, s.begin():
        approve_consent(s, bound, now=NOW)
    at = NOW + DAY
    assert _decide(policy, at=at, client="BANK1/cards", purpose="employment-verification")[0]
    assert _decide(policy, at=at, client="BANK1/loans", purpose="employment-verification") == (
        False, "consent-required", None)  # fmt: skip


def test_a_legal_basis_comes_before_consent(engine: Engine) -> None:
    cid = _request(engine, requester_member="BHXH", purpose="social-insurance")
    with Session(engine) as s, s.begin():
        approve_consent(s, cid, now=NOW)
        rule = grant_rule(s, dataset="person", client_id="BHXH/claims", fields=["full_name"],
                          purposes=["social-insurance"], legal_basis="Luật BHXH 2024",
                          valid_from=NOW)  # fmt: skip
    d = PolicyEngine(engine).decide(
        client_id="BHXH/claims",
        member_code="BHXH",
        dataset="person",
        purpose="social-insurance",
        subject_id=SUBJECT,
        fields=["full_name"],
        now=NOW + DAY,
    )
    assert (d.permit, d.rule_id, d.legal_basis, d.consent_id) == (
        True, rule.id, "Luật BHXH 2024", None)  # fmt: skip
    # Fields beyond the rule but inside the consent: the consent alone carries the request.
    d = PolicyEngine(engine).decide(
        client_id="BHXH/claims",
        member_code="BHXH",
        dataset="person",
        purpose="social-insurance",
        subject_id=SUBJECT,
        fields=["date_of_birth"],
        now=NOW + DAY,
    )
    assert (d.permit, d.consent_id, d.legal_basis) == (True, cid, None)


def test_listing(engine: Engine) -> None:
    a = _request(engine)
    b = _request(engine, subject_id=OTHER_SUBJECT, now=NOW + DAY)
    c = _request(engine, requester_member="CT", purpose="tax-administration", now=NOW + 2 * DAY)
    with Session(engine) as s:
        assert [x.id for x in list_consents(s, subject_id=SUBJECT)] == [c, a]  # newest first
        assert [x.id for x in list_consents(s, requester="BANK1")] == [b, a]
        assert [x.id for x in list_consents(s, subject_id=SUBJECT, requester="CT")] == [c]
        with pytest.raises(InvalidConsent):
            list_consents(s, subject_id="123")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"subject_id": "00109001234"}, InvalidConsent, "12-digit"),
        ({"dataset": "enterprise", "fields": ["name"]}, InvalidConsent, "not about a citizen"),
        ({"dataset": "access_history", "fields": ["entries"]}, InvalidConsent, "not about"),
        ({"fields": ["full_name", "salary"]}, InvalidConsent, "salary"),
        ({"purpose": "criminal-investigation"}, InvalidConsent, "rests on law"),
        ({"purpose": "advertising"}, InvalidConsent, "unknown purpose"),
        ({"data_life_days": 0}, InvalidConsent, "data life"),
        ({"valid_until": NOW}, InvalidConsent, "future"),
        ({"valid_until": (NOW + DAY).replace(tzinfo=None)}, InvalidConsent, "time zone"),
        ({"requester_member": "NOPE"}, MemberNotFound, "NOPE"),
        ({"requester_client": "CT/tms"}, ClientNotFound, "CT/tms"),
    ],
)
def test_invalid_requests(
    engine: Engine, change: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _request(engine, **change)
