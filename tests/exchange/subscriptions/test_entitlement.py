"""Dispatch re-checks the catalogue: notices follow the client's entitlement as it changes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session
from tests.golden.conftest import AN, BINH, CUONG

from ndc.exchange import set_client_active
from ndc.exchange.policy import PolicyEngine, grant_rule, revoke_rule
from ndc.exchange.policy import create_tables as policy_tables
from ndc.exchange.subscriptions import (
    SubscriptionIn,
    create_subscription,
    dispatch,
    get_subscription,
    list_deliveries,
)

from ..conftest import Registered
from .conftest import T0, add_events


def _grant(reg: Registered, fields: list[str]) -> str:
    with Session(reg.engine) as s, s.begin():
        return grant_rule(s, dataset="person", client_id=reg.client_id, fields=fields,
                          purposes=["social-insurance"], legal_basis="Nghị định 278/2025/NĐ-CP",
                          valid_from=datetime(2025, 1, 1, tzinfo=UTC)).id  # fmt: skip


def test_notices_narrow_with_the_fields_and_stop_when_the_rule_goes(reg: Registered) -> None:
    policy_tables(reg.engine)
    policy = PolicyEngine(reg.engine, cache_seconds=0)
    wide = _grant(reg, ["full_name", "phone"])
    with Session(reg.engine) as s, s.begin():
        req = SubscriptionIn(dataset="person", callback_url="https://claims.bhxh.gov.vn/h")
        sub = create_subscription(s, reg.client_id, req, "social-insurance",
                                  allowed_fields=["full_name", "phone"]).id  # fmt: skip
    add_events(reg.engine, ("person", AN, "updated", ["full_name", "phone"]))
    assert dispatch(reg.engine, T0, policy=policy).deliveries == 1

    with Session(reg.engine) as s, s.begin():  # the catalogue now allows only the name
        revoke_rule(s, wide)
    narrow = _grant(reg, ["full_name"])
    add_events(reg.engine, ("person", BINH, "updated", ["full_name", "phone"]),
               ("person", BINH, "updated", ["phone"]))  # fmt: skip
    assert dispatch(reg.engine, T0, policy=policy).deliveries == 1
    with Session(reg.engine) as s:
        notices = [d.notice for d in list_deliveries(s, reg.client_id, sub)]
    assert [(n.subject, n.attributes) for n in notices] == [
        (BINH, ["full_name"]), (AN, ["full_name", "phone"]),
    ]  # fmt: skip

    with Session(reg.engine) as s, s.begin():
        revoke_rule(s, narrow)
    add_events(reg.engine, ("person", CUONG, "created", None))
    assert dispatch(reg.engine, T0, policy=policy).deliveries == 0
    with Session(reg.engine) as s:
        out = get_subscription(s, reg.client_id, sub)
    assert (out.active, out.inactive_reason) == (False, "not-entitled:no-entitlement")


def test_a_deactivated_client_catches_up_when_reactivated(reg: Registered) -> None:
    with Session(reg.engine) as s, s.begin():
        req = SubscriptionIn(dataset="person", callback_url="https://claims.bhxh.gov.vn/h")
        sub = create_subscription(s, reg.client_id, req, "social-insurance").id
        set_client_active(s, reg.client_id, False)
    add_events(reg.engine, ("person", AN, "created", None))
    assert dispatch(reg.engine, T0).deliveries == 0
    with Session(reg.engine) as s, s.begin():
        set_client_active(s, reg.client_id, True)
    assert dispatch(reg.engine, T0).deliveries == 1
    with Session(reg.engine) as s:
        assert [d.notice.subject for d in list_deliveries(s, reg.client_id, sub)] == [AN]
