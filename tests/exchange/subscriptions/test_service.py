"""Subscriptions as a client manages them, and the pull feed of the same notices."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.golden.conftest import AN, BINH, MST

from ndc.exchange.exceptions import ClientNotFound
from ndc.exchange.service import register_client
from ndc.exchange.subscriptions import (
    InvalidCallback,
    NotEntitled,
    SubscriptionError,
    SubscriptionIn,
    SubscriptionNotFound,
    TooManySubscriptions,
    check_callback,
    create_subscription,
    delete_subscription,
    feed,
    get_subscription,
    list_subscriptions,
)

from ..conftest import Registered
from .conftest import add_events


def _create(reg: Registered, client_id: str | None = None, **kw: object) -> str:
    with Session(reg.engine) as s, s.begin():
        req = SubscriptionIn.model_validate(
            {"dataset": "person", "callback_url": "https://x.gov.vn/hook", **kw}
        )
        return create_subscription(s, client_id or reg.client_id, req, "social-insurance").id


@pytest.mark.parametrize(
    "url",
    ["https://claims.bhxh.gov.vn/hook", "http://127.0.0.1:8080/hook", "http://localhost/h",
     "http://[::1]:9000/", "https://10.20.30.40/hook"],
)  # fmt: skip
def test_callbacks_are_https_or_loopback_http(url: str) -> None:
    assert check_callback(url) == url


@pytest.mark.parametrize(
    "url",
    ["http://claims.bhxh.gov.vn/hook", "ftp://x.gov.vn/", "https://user:pw@x.gov.vn/",
     "/relative", "https://x.gov.vn/#frag",
     # cloud metadata and other never-receivers: the platform must not be made to call them
     "https://169.254.169.254/latest/meta-data/", "https://[fe80::1]/", "https://224.0.0.1/",
     "https://0.0.0.0/"],
)  # fmt: skip
def test_other_callbacks_are_refused(url: str) -> None:
    with pytest.raises(InvalidCallback):
        check_callback(url)


def test_secret_is_shown_once_and_subscriptions_are_private(reg: Registered) -> None:
    with Session(reg.engine) as s, s.begin():
        req = SubscriptionIn(dataset="person", callback_url="https://x.gov.vn/h", subjects=[AN])
        created = create_subscription(s, reg.client_id, req, "social-insurance")
        other = register_client(s, "BHXH", "pensions", "Pensions").id
    assert created.secret.startswith("whsec_")
    with Session(reg.engine) as s:
        shown = get_subscription(s, reg.client_id, created.id)
        assert "secret" not in shown.model_dump()
        assert shown.subjects == [AN] and shown.active
        with pytest.raises(SubscriptionNotFound):
            get_subscription(s, other, created.id)
        assert list_subscriptions(s, other) == []
        assert [x.id for x in list_subscriptions(s, reg.client_id)] == [created.id]


def test_deleted_subscription_is_gone_for_the_client(reg: Registered) -> None:
    sub = _create(reg)
    with Session(reg.engine) as s, s.begin():
        delete_subscription(s, reg.client_id, sub)
    with Session(reg.engine) as s:
        assert list_subscriptions(s, reg.client_id) == []
        with pytest.raises(SubscriptionNotFound):
            get_subscription(s, reg.client_id, sub)


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"subjects": ["12345"]}, SubscriptionError),  # not a CCCD
        ({"subjects": []}, SubscriptionError),
        ({"attributes": ["salary"]}, SubscriptionError),  # not a person attribute
        ({"dataset": "enterprise", "subjects": [AN]}, SubscriptionError),  # a CCCD is no MST
        ({"callback_url": "http://example.org/"}, InvalidCallback),
    ],
)
def test_invalid_subscriptions_are_refused(
    reg: Registered, kw: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _create(reg, **kw)


def test_a_client_has_a_bounded_number_of_live_subscriptions(reg: Registered) -> None:
    req = SubscriptionIn(dataset="person", callback_url="https://x.gov.vn/h")
    with Session(reg.engine) as s, s.begin():
        first = create_subscription(s, reg.client_id, req, "social-insurance", max_per_client=2)
        create_subscription(s, reg.client_id, req, "social-insurance", max_per_client=2)
        with pytest.raises(TooManySubscriptions):
            create_subscription(s, reg.client_id, req, "social-insurance", max_per_client=2)
        delete_subscription(s, reg.client_id, first.id)
        create_subscription(s, reg.client_id, req, "social-insurance", max_per_client=2)


def test_unknown_client_is_refused(reg: Registered) -> None:
    with pytest.raises(ClientNotFound):
        _create(reg, client_id="BHXH/nobody")


def test_attribute_filter_stays_within_the_readable_fields(reg: Registered) -> None:
    req = SubscriptionIn(dataset="person", callback_url="https://x.gov.vn/h")
    with Session(reg.engine) as s, s.begin():
        made = create_subscription(s, reg.client_id, req, "social-insurance",
                                   allowed_fields=["full_name", "sex"])  # fmt: skip
        assert made.attributes == ["full_name", "sex"]
        wants = req.model_copy(update={"attributes": ["date_of_death"]})
        with pytest.raises(NotEntitled) as denied:
            create_subscription(s, reg.client_id, wants, "social-insurance",
                                allowed_fields=["full_name", "sex"])  # fmt: skip
    assert denied.value.problem_type == "fields-not-allowed" and denied.value.status == 403


def test_feed_pages_by_cursor_over_readable_datasets(reg: Registered) -> None:
    add_events(
        reg.engine,
        ("person", AN, "created", None),
        ("enterprise", MST, "created", None),
        ("person", BINH, "updated", ["phone", "full_name"]),
        ("person", AN, "updated", ["date_of_death"]),
        ("enterprise", MST, "updated", ["name"]),
    )
    page = feed(reg.engine, {"person": ["full_name", "phone"]}, cursor=0, limit=3)
    assert [(n.seq, n.type, n.subject, n.attributes) for n in page.events] == [
        (1, "golden.person.created", AN, None),
        (3, "golden.person.updated", BINH, ["full_name", "phone"]),
    ]
    assert page.events[0].id == "evt_1"
    assert page.next_cursor == 4  # seq 4 was read: a date_of_death change, not readable here
    rest = feed(reg.engine, {"person": ["full_name", "phone"]}, cursor=page.next_cursor, limit=3)
    assert rest.events == [] and rest.next_cursor == 5  # skips past other datasets' events
    both = feed(reg.engine, {"person": None, "enterprise": None}, cursor=3, limit=10)
    assert [(n.seq, n.attributes) for n in both.events] == [(4, ["date_of_death"]), (5, ["name"])]
    assert feed(reg.engine, {}, cursor=2).next_cursor == 2
