"""Delivery: at least once, same webhook-id on every retry, in seq order, with back-off.

A real receiver on loopback refuses connections or answers errors for a while; an injected
clock stands in for the waits, so the tests run in well under a second of waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.golden.conftest import AN, BINH, CUONG, MST

from ndc.exchange.subscriptions import (
    Delivery,
    DeliveryStatus,
    Dispatcher,
    RetryPolicy,
    SubscriptionIn,
    create_subscription,
    deliver_due,
    dispatch,
    dispatching,
    get_subscription,
    list_deliveries,
    new_http_client,
    next_due,
    redeliver,
)
from ndc.exchange.subscriptions.service import as_utc

from ..conftest import Registered
from .conftest import T0, Receiver, add_events


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with new_http_client(timeout=2.0) as client:
        yield client


def _subscribe(reg: Registered, receiver: Receiver, dataset: str = "person") -> str:
    with Session(reg.engine) as s, s.begin():
        req = SubscriptionIn(dataset=dataset, callback_url=receiver.url)  # type: ignore[arg-type]
        created = create_subscription(s, reg.client_id, req, "social-insurance", now=T0)
    receiver.secrets.append(created.secret)
    return created.id


def drive(engine: Engine, http: httpx.Client, now: datetime, rounds: int, **kw: object) -> datetime:
    """Run the worker at each next due time, up to ``rounds`` times or until nothing is pending."""
    for _ in range(rounds):
        deliver_due(engine, http, now, **kw)  # type: ignore[arg-type]
        due = next_due(engine)
        if due is None:
            break
        now = max(now, due)
    return now


def _rows(engine: Engine, sub: str | None = None) -> list[Delivery]:
    with Session(engine) as s:
        stmt = select(Delivery).order_by(Delivery.seq)
        if sub is not None:
            stmt = stmt.where(Delivery.subscription_id == sub)
        return list(s.scalars(stmt))


def test_receiver_down_then_back_gets_every_notice_once_in_order(
    reg: Registered, receiver: Receiver, http: httpx.Client
) -> None:
    people = _subscribe(reg, receiver, "person")
    firms = _subscribe(reg, receiver, "enterprise")
    add_events(
        reg.engine,
        ("person", AN, "created", None),
        ("enterprise", MST, "created", None),
        ("person", BINH, "created", None),
        ("person", AN, "updated", ["phone"]),
        ("enterprise", MST, "updated", ["name"]),
        ("person", CUONG, "created", None),
    )
    dispatch(reg.engine, T0)
    receiver.stop()  # connections refused
    first = deliver_due(reg.engine, http, T0)
    assert (first.attempted, first.retrying) == (2, 2)  # only each subscription's head
    now = drive(reg.engine, http, T0, rounds=4)
    receiver.start()  # back, but overloaded at first
    receiver.fail_with, receiver.fail_left = 503, 3
    drive(reg.engine, http, now, rounds=50)

    rows = _rows(reg.engine)
    assert {r.status for r in rows} == {"delivered"}
    by_sub = {
        sub: [p["seq"] for p in receiver.processed if p["subscription_id"] == sub]
        for sub in (people, firms)
    }
    assert by_sub == {people: [1, 3, 4, 6], firms: [2, 5]}  # all of them, each in seq order
    ids = [msg_id for msg_id, _ in receiver.attempts]
    assert sorted(p["id"] for p in receiver.processed) == sorted(r.id for r in rows)
    for r in rows:  # a notice was re-sent only after a failed attempt, with the same id
        answers = [status for msg_id, status in receiver.attempts if msg_id == r.id]
        assert answers[-1] == 204 and all(a == 503 for a in answers[:-1])
    assert ids.count(rows[0].id) >= 1 and max(r.attempts for r in rows) > 2


def test_backoff_grows_from_one_second_to_the_one_hour_cap(
    reg: Registered, receiver: Receiver, http: httpx.Client
) -> None:
    _subscribe(reg, receiver)
    add_events(reg.engine, ("person", AN, "created", None))
    dispatch(reg.engine, T0)
    receiver.stop()
    waits: list[float] = []
    now = T0
    for _ in range(16):
        deliver_due(reg.engine, http, now)
        [row] = _rows(reg.engine)
        due = as_utc(row.next_attempt_at)
        waits.append((due - now).total_seconds())
        now = due
    assert 0.75 <= waits[0] <= 1.0
    assert all(b > a for a, b in itertools.pairwise(waits[:13]))  # 1, 2, 4, ... s
    assert all(2700 <= w <= 3600 for w in waits[13:])  # capped at an hour (with jitter)
    assert row.attempts == 16 and row.status == "pending"
    assert row.last_error is not None and "ConnectError" in row.last_error


def test_gives_up_after_three_days_and_a_replay_delivers_with_the_same_id(
    reg: Registered, receiver: Receiver, http: httpx.Client
) -> None:
    sub = _subscribe(reg, receiver)
    add_events(reg.engine, ("person", AN, "created", None), ("person", BINH, "created", None))
    dispatch(reg.engine, T0)
    receiver.stop()
    now = T0
    while _rows(reg.engine)[0].status == "pending":
        deliver_due(reg.engine, http, now)
        now = next_due(reg.engine) or now
    head, second = _rows(reg.engine)
    assert head.status == "failed"
    gave_up = as_utc(head.last_attempt_at)  # type: ignore[arg-type]
    assert timedelta(days=3) <= gave_up - T0 <= timedelta(days=3, hours=1)
    assert second.status == "pending"  # a dead notice no longer holds the queue back

    receiver.start()
    deliver_due(reg.engine, http, gave_up + timedelta(seconds=1))
    assert [p["seq"] for p in receiver.processed] == [2]
    with Session(reg.engine) as s:
        [failed] = list_deliveries(s, reg.client_id, sub, status=DeliveryStatus.FAILED)
        assert failed.id == head.id and failed.last_error is not None
    with Session(reg.engine) as s, s.begin():
        redeliver(s, reg.client_id, sub, head.id, now=gave_up + timedelta(seconds=2))
    deliver_due(reg.engine, http, gave_up + timedelta(seconds=2))
    assert [p["seq"] for p in receiver.processed] == [2, 1]
    assert receiver.processed[-1]["id"] == head.id
    assert [r.status for r in _rows(reg.engine)] == ["delivered", "delivered"]


def test_a_crash_between_post_and_record_resends_with_the_same_id(
    reg: Registered, receiver: Receiver
) -> None:
    _subscribe(reg, receiver)
    add_events(reg.engine, ("person", AN, "created", None))
    dispatch(reg.engine, T0)

    def crash(_response: httpx.Response) -> None:
        raise RuntimeError("worker died after the receiver answered")

    dying = httpx.Client(timeout=2.0, event_hooks={"response": [crash]})
    with dying, pytest.raises(RuntimeError):
        deliver_due(reg.engine, dying, T0)
    assert len(receiver.processed) == 1
    [row] = _rows(reg.engine)
    assert (row.status, row.attempts) == ("pending", 1)  # the answer was never recorded

    with new_http_client() as http:
        assert deliver_due(reg.engine, http, T0).attempted == 0  # not before its back-off
        assert deliver_due(reg.engine, http, T0 + timedelta(seconds=1)).delivered == 1
    assert [msg_id for msg_id, _ in receiver.attempts] == [row.id, row.id]
    assert len(receiver.processed) == 1  # the receiver's idempotency check dropped the repeat
    assert _rows(reg.engine)[0].status == "delivered"


def test_a_hanging_receiver_holds_back_only_its_own_queue(reg: Registered) -> None:
    hanging, fine = Receiver(), Receiver()
    try:
        hanging.delay = 1.2
        for _ in range(2):  # two subscriptions to a receiver that answers too late, first in line
            _subscribe(reg, hanging)
        add_events(reg.engine, ("person", AN, "created", None))
        dispatch(reg.engine, T0 - timedelta(minutes=1))
        _subscribe(reg, fine)
        add_events(reg.engine, ("person", BINH, "created", None))
        dispatch(reg.engine, T0)
        started = time.monotonic()
        with new_http_client(timeout=1.0) as http:
            result = deliver_due(reg.engine, http, T0)
        assert (result.attempted, result.delivered, result.retrying) == (3, 1, 2)
        assert fine.arrivals[0] - started < 0.8  # not after the two timeouts in a row
        assert [p["subject"] for p in fine.processed] == [BINH]
    finally:
        hanging.stop()
        fine.stop()


def test_410_gone_deactivates_the_subscription(
    reg: Registered, receiver: Receiver, http: httpx.Client
) -> None:
    sub = _subscribe(reg, receiver)
    add_events(reg.engine, ("person", AN, "created", None), ("person", BINH, "created", None))
    dispatch(reg.engine, T0)
    receiver.fail_with, receiver.fail_left = 410, 1
    result = deliver_due(reg.engine, http, T0)
    assert (result.attempted, result.failed, result.deactivated) == (1, 1, 1)
    with Session(reg.engine) as s:
        out = get_subscription(s, reg.client_id, sub)
    assert (out.active, out.inactive_reason) == (False, "receiver-gone")
    assert deliver_due(reg.engine, http, T0 + timedelta(hours=1)).attempted == 0
    add_events(reg.engine, ("person", CUONG, "created", None))
    assert dispatch(reg.engine, T0).deliveries == 0
    assert [r.status for r in _rows(reg.engine)] == ["failed", "pending"]


def test_client_errors_are_retried_and_retry_after_is_honoured(
    reg: Registered, receiver: Receiver, http: httpx.Client
) -> None:
    _subscribe(reg, receiver)
    add_events(reg.engine, ("person", AN, "created", None))
    dispatch(reg.engine, T0)
    receiver.fail_with, receiver.fail_left, receiver.retry_after = 429, 1, "120"
    deliver_due(reg.engine, http, T0)
    [row] = _rows(reg.engine)
    assert row.last_status == 429 and as_utc(row.next_attempt_at) == T0 + timedelta(seconds=120)
    secrets = receiver.secrets[:]
    receiver.secrets[:] = ["whsec_" + "A" * 44]  # receiver misconfigured: answers 401
    assert deliver_due(reg.engine, http, T0 + timedelta(seconds=120)).retrying == 1
    assert _rows(reg.engine)[0].last_status == 401
    receiver.secrets[:] = secrets  # fixed: the next retry gets through
    drive(reg.engine, http, T0 + timedelta(seconds=120), rounds=3)
    assert _rows(reg.engine)[0].status == "delivered"


def test_background_dispatcher_delivers_new_events(reg: Registered, receiver: Receiver) -> None:
    _subscribe(reg, receiver)
    dispatcher = Dispatcher(reg.engine, interval=0.05, retry=RetryPolicy(base=0.05))
    dispatcher.start()
    try:
        add_events(reg.engine, ("person", AN, "created", None), ("person", AN, "updated", ["sex"]))
        dispatcher.wake()
        deadline = time.monotonic() + 5
        while len(receiver.processed) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        dispatcher.stop()
    assert [p["type"] for p in receiver.processed] == ["golden.person.created",
                                                       "golden.person.updated"]  # fmt: skip
    assert not dispatcher.running


def test_dispatching_runs_for_the_life_of_an_app(reg: Registered, receiver: Receiver) -> None:
    _subscribe(reg, receiver)

    async def app_life() -> Dispatcher:
        async with dispatching(reg.engine) as running:
            add_events(reg.engine, ("person", BINH, "created", None))
            running.wake()
            for _ in range(250):
                if receiver.processed:
                    break
                await asyncio.sleep(0.02)
        return running

    dispatcher = asyncio.run(app_life())
    assert [p["subject"] for p in receiver.processed] == [BINH]
    assert not dispatcher.running
