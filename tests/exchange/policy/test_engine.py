"""Policy decisions against an independent specification (SQLite and PostgreSQL).

The matrix test grants the rules of ``SPEC``, then compares every cell of clients x datasets x
purposes x field requests x access kinds with what the specification says, computed here by a
few lines that share nothing with the engine.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta
from typing import NamedTuple

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange.policy import Access, PolicyEngine, grant_rule, revoke_rule

from .conftest import NOW, SUBJECT

DAY = timedelta(days=1)


class Spec(NamedTuple):
    who: str  # "BHXH/claims" (a client) or "BHXH" (every client of the member)
    dataset: str
    purposes: set[str]
    fields: set[str]
    access: str
    window: str = "now"  # "now", "expired" or "future"
    covert: bool = False


SPEC = [
    Spec("BHXH/claims", "person", {"social-insurance", "health-insurance"},
         {"full_name", "date_of_birth", "sex"}, "read"),
    Spec("BHXH", "person", {"social-insurance"}, {"permanent_residence_commune_code"}, "read"),
    Spec("CT/tms", "enterprise", {"tax-administration"}, {"name", "status", "mst"}, "read"),
    Spec("CT/tms", "person", {"tax-administration"}, {"full_name", "date_of_birth"}, "verify"),
    Spec("BANK1/loans", "person", {"credit-assessment"}, {"full_name", "date_of_birth"},
         "verify"),
    Spec("BCA/c06", "person", {"residence-management", "law-enforcement"},
         {"full_name", "date_of_birth", "sex", "phone", "permanent_residence_commune_code"},
         "read"),
    Spec("BCA/c01", "person", {"criminal-investigation"}, {"full_name", "phone"}, "read",
         covert=True),
    Spec("BCA/c01", "land_parcel", {"criminal-investigation"}, {"parcel_id", "holder_id"},
         "read", covert=True),
    Spec("TNMT", "land_parcel", {"administrative-procedure"},
         {"parcel_id", "holder_id", "area_m2", "land_use_type"}, "read"),
    Spec("TNMT/survey", "land_parcel", {"statistics"}, {"area_m2"}, "read", window="expired"),
    Spec("TNMT/survey", "enterprise", {"statistics"}, {"name"}, "read", window="future"),
    Spec("BHXH/portal", "enterprise", {"social-insurance"}, {"name", "phone"}, "read",
         window="expired"),
    Spec("BHXH/portal", "enterprise", {"social-insurance"}, {"name"}, "read"),
]  # fmt: skip

CLIENTS = ["BHXH/claims", "BHXH/portal", "CT/tms", "BANK1/loans", "BCA/c06", "BCA/c01",
           "TNMT/land", "TNMT/survey", "DVC/portal"]  # fmt: skip
PURPOSES = ["social-insurance", "health-insurance", "tax-administration", "credit-assessment",
            "law-enforcement", "criminal-investigation", "administrative-procedure",
            "statistics"]  # fmt: skip
REQUESTS: dict[str, list[tuple[str, ...] | None]] = {
    "person": [None, ("full_name",), ("date_of_birth", "full_name"), ("phone",),
               ("full_name", "permanent_residence_commune_code"), ("full_name", "sex", "phone")],
    "enterprise": [None, ("name",), ("name", "status"), ("phone",)],
    "land_parcel": [None, ("parcel_id",), ("area_m2", "holder_id"), ("certificate_number",)],
}  # fmt: skip


def _expected(client: str, dataset: str, purpose: str, fields: tuple[str, ...] | None,
              access: str) -> tuple[bool, tuple[str, ...], str]:  # fmt: skip
    mine = [s for s in SPEC
            if s.dataset == dataset and s.who in (client, client.split("/")[0])]  # fmt: skip
    fit = [s for s in mine if purpose in s.purposes and access in (s.access, "verify")]
    live = [s for s in fit if s.window == "now"]
    if live:
        allowed = set().union(*(s.fields for s in live))
        if fields is None:
            return True, tuple(sorted(allowed)), "permitted"
        if set(fields) <= allowed:
            return True, tuple(sorted(fields)), "permitted"
        return False, (), "fields-not-allowed"
    if fit:
        return False, (), "rule-expired" if fit[0].window == "expired" else "rule-not-yet-valid"
    if any(purpose in s.purposes for s in mine):
        return False, (), "access-not-allowed"
    if mine:
        return False, (), "purpose-not-allowed"
    return False, (), "no-entitlement"


def _grant(engine: Engine, spec: list[Spec]) -> list[tuple[Spec, str]]:
    windows = {"now": (NOW - DAY, None), "expired": (NOW - 9 * DAY, NOW - DAY),
               "future": (NOW + DAY, NOW + 9 * DAY)}  # fmt: skip
    ids = []
    with Session(engine) as s, s.begin():
        for sp in spec:
            who = {"client_id": sp.who} if "/" in sp.who else {"member_code": sp.who}
            start, end = windows[sp.window]
            rule = grant_rule(s, dataset=sp.dataset, fields=sp.fields, purposes=sp.purposes,
                                 access=sp.access, legal_basis=f"basis of {sp.who}",
                                 valid_from=start, valid_until=end, covert_allowed=sp.covert,
                                 **who)  # type: ignore[arg-type]  # fmt: skip
            ids.append((sp, rule.id))
    return ids


def test_authorisation_matrix(engine: Engine) -> None:
    ids = _grant(engine, SPEC)
    policy = PolicyEngine(engine, cache_seconds=60)
    cells = mismatches = 0
    reasons: set[str] = set()
    for client, dataset, purpose, access in itertools.product(
        CLIENTS, REQUESTS, PURPOSES, ["read", "verify"]
    ):
        for fields in REQUESTS[dataset]:
            d = policy.decide(client_id=client, member_code=client.split("/")[0],
                              dataset=dataset, purpose=purpose, subject_id=None, fields=fields,
                              access=Access(access), now=NOW)  # fmt: skip
            want = _expected(client, dataset, purpose, fields, access)
            cells += 1
            reasons.add(want[2])
            if (d.permit, d.fields, d.reason) != want:
                mismatches += 1
                print("MISMATCH", client, dataset, purpose, fields, access, d, want)
                continue
            if d.permit:  # the rules named are live rules of this client that allow the fields
                used = [sp for sp, i in ids if i in (d.rule_id or "").split(",")]
                assert used and all(sp.window == "now" and purpose in sp.purposes for sp in used)
                assert set(d.fields) <= set().union(*(sp.fields for sp in used))
                assert d.legal_basis == "; ".join(dict.fromkeys(f"basis of {sp.who}"
                                                                for sp in used))  # fmt: skip
                assert d.covert_allowed == (purpose == "criminal-investigation")
            else:
                assert d.legal_basis is d.rule_id is d.consent_id is None and not d.covert_allowed
    assert mismatches == 0
    assert cells == 9 * 8 * 2 * (6 + 4 + 4)  # 2,016 cells
    assert reasons == {"permitted", "fields-not-allowed", "rule-expired", "rule-not-yet-valid",
                       "access-not-allowed", "purpose-not-allowed", "no-entitlement"}  # fmt: skip


def _read(policy: PolicyEngine, client: str = "BHXH/claims", at: object = None) -> str:
    return policy.decide(
        client_id=client,
        member_code=client.split("/")[0],
        dataset="person",
        purpose="social-insurance",
        subject_id=None,
        fields=["full_name"],
        now=at or NOW,
    ).reason  # type: ignore[arg-type]


def test_validity_window_is_half_open(engine: Engine) -> None:
    start, end = NOW + DAY, NOW + 3 * DAY
    with Session(engine) as s, s.begin():
        grant_rule(s, dataset="person", client_id="BHXH/claims", fields=["full_name"],
                   purposes=["social-insurance"], legal_basis="x 1/2025", valid_from=start,
                   valid_until=end)  # fmt: skip
    policy = PolicyEngine(engine)
    one_us = timedelta(microseconds=1)
    assert _read(policy, at=start - one_us) == "rule-not-yet-valid"
    assert _read(policy, at=start) == "permitted"
    assert _read(policy, at=end - one_us) == "permitted"
    assert _read(policy, at=end) == "rule-expired"


def test_member_wide_rules_cover_every_client_of_the_member_only(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        grant_rule(
            s,
            dataset="person",
            member_code="BHXH",
            fields=["full_name"],
            purposes=["social-insurance"],
            legal_basis="x 1/2025",
            valid_from=NOW,
        )
    policy = PolicyEngine(engine)
    assert _read(policy, "BHXH/claims") == _read(policy, "BHXH/portal") == "permitted"
    assert _read(policy, "CT/tms") == "no-entitlement"
    # A client of another member cannot borrow the rule by claiming the member's code.
    d = policy.decide(client_id="CT/tms", member_code="CT", dataset="person",
                      purpose="social-insurance", subject_id=None, now=NOW)  # fmt: skip
    assert not d.permit


def test_cache_does_not_outlive_a_revocation(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        rule = grant_rule(s, dataset="person", client_id="BHXH/claims", fields=["full_name"],
                          purposes=["social-insurance"], legal_basis="x 1/2025",
                          valid_from=NOW)  # fmt: skip
    cache = 0.3
    policy = PolicyEngine(engine, cache_seconds=cache)
    assert _read(policy) == "permitted"
    with Session(engine) as s, s.begin():
        revoke_rule(s, rule.id)
    revoked = time.monotonic()
    while _read(policy) == "permitted":
        assert time.monotonic() - revoked <= cache + 0.05
        time.sleep(0.01)
    assert _read(policy) == "no-entitlement"
    # A grant is picked up the same way; invalidate() makes a local change visible at once.
    with Session(engine) as s, s.begin():
        grant_rule(
            s,
            dataset="person",
            member_code="BHXH",
            fields=["full_name"],
            purposes=["social-insurance"],
            legal_basis="x 2/2025",
            valid_from=NOW,
        )
    policy.invalidate()
    assert _read(policy) == "permitted"


def test_concurrent_decisions_while_the_cache_reloads(engine: Engine) -> None:
    _grant(engine, SPEC)
    policy = PolicyEngine(engine, cache_seconds=0.005)
    want = {c: _expected(c, "person", "social-insurance", None, "read") for c in CLIENTS}
    errors: list[str] = []

    def worker(client: str) -> None:
        for _ in range(150):
            d = policy.decide(client_id=client, member_code=client.split("/")[0],
                              dataset="person", purpose="social-insurance", subject_id=None,
                              now=NOW)  # fmt: skip
            if (d.permit, d.fields, d.reason) != want[client]:
                errors.append(f"{client}: {d}")

    threads = [threading.Thread(target=worker, args=(c,)) for c in CLIENTS[:6]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("fields", [None, ["full_name", "phone"]])
def test_covert_only_for_covert_purposes_and_rules(
    engine: Engine, fields: list[str] | None
) -> None:
    with Session(engine) as s, s.begin():
        grant_rule(s, dataset="person", client_id="BCA/c01", fields=["full_name", "phone"],
                   purposes=["criminal-investigation", "law-enforcement"],
                   legal_basis="BLTTHS 2015", valid_from=NOW, covert_allowed=True)  # fmt: skip
        grant_rule(s, dataset="person", client_id="BCA/c06", fields=["full_name", "phone"],
                   purposes=["criminal-investigation"], legal_basis="BLTTHS 2015",
                   valid_from=NOW)  # fmt: skip
    policy = PolicyEngine(engine)

    def covert(client: str, purpose: str) -> bool:
        d = policy.decide(client_id=client, member_code="BCA", dataset="person", purpose=purpose,
                          subject_id=SUBJECT, fields=fields, now=NOW)  # fmt: skip
        assert d.permit
        return d.covert_allowed

    assert covert("BCA/c01", "criminal-investigation")
    assert not covert("BCA/c01", "law-enforcement")
    assert not covert("BCA/c06", "criminal-investigation")


def test_a_plain_string_access_is_never_read_as_verify(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        grant_rule(s, dataset="person", client_id="BANK1/loans", fields=["full_name"],
                   purposes=["credit-assessment"], legal_basis="x 1/2025", access="verify",
                   valid_from=NOW)  # fmt: skip
    policy = PolicyEngine(engine)

    def reason(access: object) -> str:
        return policy.decide(client_id="BANK1/loans", member_code="BANK1", dataset="person",
                             purpose="credit-assessment", subject_id=None, now=NOW,
                             access=access).reason  # type: ignore[arg-type]  # fmt: skip

    assert reason(Access.VERIFY) == reason("verify") == "permitted"
    assert reason(Access.READ) == reason("read") == reason("READ") == "access-not-allowed"
