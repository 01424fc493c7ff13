"""Dispatch: each published change becomes one delivery per matching subscription, once."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.golden.conftest import AN, BINH, CUONG, MST, seed
from tests.golden.test_publish import rename_cuong

from ndc.exchange.subscriptions import (
    Delivery,
    DeliveryStatus,
    SubscriptionIn,
    create_subscription,
    delete_subscription,
    dispatch,
    list_deliveries,
)
from ndc.golden import build_golden, publish
from ndc.pipeline.store import connect

from ..conftest import Registered
from .conftest import T0, add_events

HOOK = "https://claims.bhxh.gov.vn/ndc-hook"


def _subscribe(reg: Registered, dataset: str, **kw: object) -> str:
    with Session(reg.engine) as s, s.begin():
        req = SubscriptionIn.model_validate({"dataset": dataset, "callback_url": HOOK, **kw})
        return create_subscription(s, reg.client_id, req, "social-insurance", now=T0).id


def _notices(reg: Registered, sub_id: str) -> list[tuple[str, str, list[str] | None]]:
    with Session(reg.engine) as s:
        rows = list_deliveries(s, reg.client_id, sub_id)
    return [(d.notice.type, d.notice.subject, d.notice.attributes) for d in reversed(rows)]


def _data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    con = connect(d)
    try:
        seed(con)
    finally:
        con.close()
    return d


def test_published_changes_reach_matching_subscriptions_once(
    reg: Registered, tmp_path: Path
) -> None:
    everyone = _subscribe(reg, "person")
    cuong = _subscribe(reg, "person", subjects=[CUONG])
    phones = _subscribe(reg, "person", attributes=["phone"])
    firms = _subscribe(reg, "enterprise")
    data = _data_dir(tmp_path)
    build_golden(data, "b1")
    publish(data, reg.engine, "p1")

    first = dispatch(reg.engine, T0)
    assert (first.events, first.deliveries) == (4, 3 + 1 + 3 + 1)
    created = ("golden.person.created",)
    assert _notices(reg, everyone) == [(*created, p, None) for p in sorted([AN, BINH, CUONG])]
    assert _notices(reg, cuong) == [(*created, CUONG, None)]
    assert _notices(reg, firms) == [("golden.enterprise.created", MST, None)]

    rename_cuong(data, "Lê Văn Cương", datetime(2026, 2, 1, 9, 0))
    build_golden(data, "b2")
    publish(data, reg.engine, "p2")
    second = dispatch(reg.engine, T0)
    assert (second.events, second.deliveries) == (1, 2)  # not the phone-only subscription
    update = ("golden.person.updated", CUONG, ["full_name"])
    assert _notices(reg, everyone)[-1] == update
    assert _notices(reg, cuong)[-1] == update
    assert len(_notices(reg, phones)) == 3

    again = dispatch(reg.engine, T0)
    assert (again.events, again.deliveries) == (0, 0)
    with Session(reg.engine) as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 10


def test_a_new_subscription_starts_at_the_current_head(reg: Registered) -> None:
    add_events(reg.engine, ("person", AN, "created", None))
    sub = _subscribe(reg, "person")
    assert dispatch(reg.engine, T0).deliveries == 0
    add_events(reg.engine, ("person", AN, "updated", ["phone"]))
    assert dispatch(reg.engine, T0).deliveries == 1
    assert _notices(reg, sub) == [("golden.person.updated", AN, ["phone"])]


def test_notices_name_changed_attributes_not_values(reg: Registered) -> None:
    sub = _subscribe(reg, "person", attributes=["date_of_birth", "phone"])
    add_events(
        reg.engine,
        ("person", AN, "updated", ["date_of_birth", "date_of_birth__precision", "full_name"]),
        ("person", AN, "updated", ["full_name"]),  # not followed: no notice
        ("person", AN, "deleted", None),
    )
    dispatch(reg.engine, T0)
    assert _notices(reg, sub) == [
        ("golden.person.updated", AN, ["date_of_birth", "date_of_birth__precision"]),
        ("golden.person.deleted", AN, None),
    ]
    with Session(reg.engine) as s:
        payload = s.scalars(select(Delivery.payload)).first()
    assert payload is not None and "Nguyễn" not in payload and '"id":"msg_' in payload


def test_deleted_subscription_gets_nothing_more(reg: Registered) -> None:
    sub = _subscribe(reg, "person")
    add_events(reg.engine, ("person", AN, "created", None))
    dispatch(reg.engine, T0)
    with Session(reg.engine) as s, s.begin():
        delete_subscription(s, reg.client_id, sub)
    add_events(reg.engine, ("person", BINH, "created", None))
    assert dispatch(reg.engine, T0).deliveries == 0
    with Session(reg.engine) as s:
        statuses = s.scalars(select(Delivery.status)).all()
    assert statuses == [DeliveryStatus.PENDING.value]


def test_concurrent_dispatchers_never_duplicate(reg: Registered) -> None:
    subs = [_subscribe(reg, "person") for _ in range(3)]
    add_events(reg.engine, *[("person", f"0010900000{i:02d}", "created", None) for i in range(60)])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            dispatch(reg.engine, T0, batch=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(reg.engine) as s:
        per_sub = dict(
            s.execute(
                select(Delivery.subscription_id, func.count()).group_by("subscription_id")
            ).all()
        )
    assert per_sub == {sub: 60 for sub in subs}


def test_change_events_table_may_be_empty(reg: Registered, engine: Engine) -> None:
    _subscribe(reg, "enterprise")
    assert dispatch(engine, T0).deliveries == 0
