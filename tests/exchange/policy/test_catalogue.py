"""Catalogue rules as an admin grants, lists and revokes them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import ClientNotFound, MemberNotFound
from ndc.exchange.policy import (
    Access,
    Dataset,
    InvalidRule,
    Purpose,
    RuleNotFound,
    grant_rule,
    list_rules,
    revoke_rule,
)

from .conftest import NOW

BASIS = "Nghị định 278/2025/NĐ-CP, Điều 10"


def test_grant_list_revoke(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        r1 = grant_rule(s, dataset="person", client_id="BHXH/claims",
                        fields=["sex", "full_name", "full_name"],
                        purposes=["social-insurance", Purpose.HEALTH_INSURANCE],
                        legal_basis=BASIS, now=NOW)  # fmt: skip
        r2 = grant_rule(s, dataset=Dataset.ACCESS_HISTORY, member_code="DVC", fields=["entries"],
                        purposes=[Purpose.CITIZEN_SELF_SERVICE], legal_basis="Luật 91/2025/QH15",
                        access="verify", valid_until=NOW + timedelta(days=30),
                        now=NOW + timedelta(seconds=1))  # fmt: skip
    assert r1.fields == ["full_name", "sex"]  # sorted, de-duplicated
    assert r1.purposes == [Purpose.HEALTH_INSURANCE, Purpose.SOCIAL_INSURANCE]
    assert (r1.member_code, r1.client_id, r1.access) == ("BHXH", "BHXH/claims", Access.READ)
    assert r1.valid_from == NOW and r1.valid_until is None and r1.revoked_at is None
    assert (r2.member_code, r2.client_id, r2.access) == ("DVC", None, Access.VERIFY)
    assert r2.valid_until == NOW + timedelta(days=30) and r2.valid_from > r1.valid_from
    with Session(engine) as s, s.begin():
        assert [r.id for r in list_rules(s)] == [r1.id, r2.id]
        assert [r.id for r in list_rules(s, member_code="BHXH")] == [r1.id]
        assert [r.id for r in list_rules(s, client_id="BHXH/claims")] == [r1.id]
        assert [r.id for r in list_rules(s, dataset="access_history")] == [r2.id]
        revoked = revoke_rule(s, r1.id, now=NOW + timedelta(hours=1))
        assert revoked.revoked_at == NOW + timedelta(hours=1)
        assert revoke_rule(s, r1.id).revoked_at == revoked.revoked_at  # idempotent
    with Session(engine) as s:
        assert [r.id for r in list_rules(s)] == [r2.id]
        assert [r.id for r in list_rules(s, include_revoked=True)] == [r1.id, r2.id]
        with pytest.raises(RuleNotFound):
            revoke_rule(s, "r_nope")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dataset": "vehicles"}, "unknown dataset"),
        ({"fields": ["full_name", "salary"]}, "no field.*salary"),
        ({"fields": []}, "at least one field"),
        ({"fields": ["entries"]}, "no field.*entries"),
        ({"purposes": []}, "at least one purpose"),
        ({"purposes": ["marketing"]}, "unknown purpose"),
        ({"access": "write"}, "access"),
        ({"legal_basis": "  "}, "legal basis"),
        ({"member_code": "BHXH"}, "either a client id or a member code"),
        ({"client_id": None}, "either a client id or a member code"),
        ({"valid_until": NOW}, "after valid_from"),
        ({"valid_from": NOW.replace(tzinfo=None)}, "time zone"),
        ({"covert_allowed": True}, "covert access is only for"),
    ],
)
def test_invalid_rules_are_refused(engine: Engine, change: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "dataset": "person", "client_id": "BHXH/claims", "fields": ["full_name"],
        "purposes": ["social-insurance"], "legal_basis": BASIS, "valid_from": NOW,
    }  # fmt: skip
    args.update(change)
    with Session(engine) as s, pytest.raises(InvalidRule, match=message):
        grant_rule(s, **args)  # type: ignore[arg-type]


def test_unknown_client_or_member(engine: Engine) -> None:
    with Session(engine) as s:
        with pytest.raises(ClientNotFound):
            grant_rule(s, dataset="person", client_id="BHXH/nope", fields=["full_name"],
                       purposes=["social-insurance"], legal_basis=BASIS)  # fmt: skip
        with pytest.raises(MemberNotFound):
            grant_rule(s, dataset="person", member_code="NOPE", fields=["full_name"],
                       purposes=["social-insurance"], legal_basis=BASIS)  # fmt: skip


def test_covert_rule_needs_a_covert_purpose(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        rule = grant_rule(
            s,
            dataset="person",
            client_id="BCA/c01",
            fields=["full_name"],
            purposes=["criminal-investigation", "law-enforcement"],
            legal_basis="Bộ luật Tố tụng hình sự 2015",
            covert_allowed=True,
        )
    assert rule.covert_allowed
