"""Turn published change events into deliveries (push), or page through them (pull).

``dispatch`` reads events once for every subscription (from the lowest cursor), writes one
delivery per matching (subscription, event) and advances every cursor to the last event read,
all in one transaction: a crash loses nothing and repeats nothing, and the unique key on
``(subscription_id, seq)`` backs that up. Dispatchers take turns: the transaction first locks
the subscriptions it will advance, so several processes may run one safely.

Reading by cursor is gap-free because a publish writes its events with consecutive ``seq`` in
one transaction, one publisher at a time: no event can commit below one already visible.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, insert, select, update

from ndc.exchange.models import Client, Member
from ndc.exchange.subscriptions.entitlement import PolicyLike, readable_fields
from ndc.exchange.subscriptions.exceptions import NotEntitled
from ndc.exchange.subscriptions.models import Delivery, Subscription
from ndc.exchange.subscriptions.notices import EVENT_COLUMNS, build_notice
from ndc.exchange.subscriptions.schemas import ChangeFeed, ChangeNotice, DispatchResult
from ndc.exchange.subscriptions.service import as_utc, utcnow
from ndc.golden import ChangeEventRow

log = logging.getLogger(__name__)
BATCH = 1000  # events per transaction
_EVENT = [getattr(ChangeEventRow, c) for c in EVENT_COLUMNS]
_SUB = [getattr(Subscription, c) for c in
        ("id", "client_id", "dataset", "purpose", "subjects", "attributes", "cursor")]  # fmt: skip
_LIVE = (Subscription.active.is_(True), Subscription.deleted_at.is_(None))


class _Target:
    """One subscription as the dispatcher needs it."""

    def __init__(self, row: Any, allowed: Collection[str] | None) -> None:
        self.id: str = row.id
        self.cursor: int = row.cursor
        self.dataset: str = row.dataset
        self.subjects = frozenset(json.loads(row.subjects)) if row.subjects else None
        self.allowed = allowed


def _head(conn: Connection) -> int:
    return int(conn.scalar(select(func.coalesce(func.max(ChangeEventRow.seq), 0))) or 0)


def _allowed(row: Any, policy: PolicyLike | None) -> Collection[str] | None:
    """The stored attribute filter, narrowed to what the policy lets the client read now."""
    stored = frozenset(json.loads(row.attributes)) if row.attributes is not None else None
    if policy is None:
        return stored
    fields = readable_fields(policy, client_id=row.client_id, member_code=row.member_code,
                             dataset=row.dataset, purpose=row.purpose)  # fmt: skip
    return frozenset(fields) & stored if stored is not None else frozenset(fields)


def _behind(head: int) -> Select[str]:
    """Live subscriptions of active clients of active members that have events to catch up on.

    A deactivated client's subscriptions keep their cursor and catch up when it is reactivated.
    """
    return (
        select(Subscription.id)
        .join(Client, Client.id == Subscription.client_id)
        .join(Member, Member.code == Client.member_code)
        .where(*_LIVE, Subscription.cursor < head, Client.active.is_(True), Member.active.is_(True))
    )


def _targets(
    conn: Connection, ids: Sequence[str], head: int, policy: PolicyLike | None
) -> list[_Target]:
    rows = conn.execute(
        select(*_SUB, Client.member_code)
        .join(Client, Client.id == Subscription.client_id)
        .where(Subscription.id.in_(ids), *_LIVE, Subscription.cursor < head)
    ).all()
    out = []
    for sub in rows:
        try:
            out.append(_Target(sub, _allowed(sub, policy)))
        except NotEntitled as exc:  # the client lost its entitlement: stop telling it
            log.warning("subscription %s deactivated: %s", sub.id, exc.problem_type)
            conn.execute(
                update(Subscription)
                .where(Subscription.id == sub.id)
                .values(active=False, inactive_reason=f"not-entitled:{exc.problem_type}"[:64])
            )
    return out


def _lock(conn: Connection, ids: Sequence[str], head: int) -> None:
    """Take the subscriptions' locks before reading their cursors: row locks in id order on
    PostgreSQL (so that two dispatchers cannot deadlock), the database write lock on SQLite."""
    behind = (Subscription.id.in_(ids), Subscription.cursor < head)
    if conn.dialect.name == "sqlite":
        conn.execute(update(Subscription).where(*behind).values(cursor=Subscription.cursor))
    else:
        conn.execute(
            select(Subscription.id).where(*behind).order_by(Subscription.id).with_for_update()
        )


def _dispatch_batch(
    engine: Engine, now: datetime, policy: PolicyLike | None, batch: int
) -> tuple[int, int, int] | None:
    with engine.connect() as conn:  # cheap idle check, outside any write transaction
        head = _head(conn)
        ids = list(conn.scalars(_behind(head)))
    if not ids:
        return None
    with engine.begin() as conn:
        _lock(conn, ids, head)
        targets = _targets(conn, ids, head, policy)
        if not targets:
            return None
        by_dataset: dict[str, list[_Target]] = {}
        for t in targets:
            by_dataset.setdefault(t.dataset, []).append(t)
        low = min(t.cursor for t in targets)
        events = conn.execute(
            select(*_EVENT)
            .where(ChangeEventRow.seq > low, ChangeEventRow.seq <= head)
            .order_by(ChangeEventRow.seq)
            .limit(batch)
        ).all()
        last = events[-1].seq if events else head
        rows: list[dict[str, Any]] = []
        for ev in events:
            for t in by_dataset.get(ev.entity, ()):
                if t.cursor >= ev.seq:
                    continue
                if t.subjects is not None and ev.entity_id not in t.subjects:
                    continue
                notice_id = "msg_" + uuid.uuid4().hex
                notice = build_notice(ev, notice_id, t.id, t.allowed)
                if notice is None:
                    continue
                rows.append({
                    "id": notice_id, "subscription_id": t.id, "seq": ev.seq,
                    "payload": notice.model_dump_json(), "status": "pending", "attempts": 0,
                    "created_at": now, "queued_at": now, "next_attempt_at": now,
                })  # fmt: skip
        if rows:
            conn.execute(insert(Delivery), rows)
        conn.execute(
            update(Subscription)
            .where(Subscription.id.in_([t.id for t in targets]), Subscription.cursor < last)
            .values(cursor=last)
        )
    return len(events), len(rows), last


def dispatch(
    engine: Engine,
    now: datetime | None = None,
    *,
    policy: PolicyLike | None = None,
    batch: int = BATCH,
    max_events: int = 50_000,
) -> DispatchResult:
    """Create the deliveries owed for events published since each subscription's cursor.

    With ``policy``, each subscription's client must still be entitled to its dataset for its
    purpose (otherwise the subscription is deactivated) and notices name only the attributes it
    may read now. Stops after ``max_events`` so that one call stays short; call again.
    """
    now = as_utc(now or utcnow())
    events = deliveries = cursor = 0
    while events < max_events:
        done = _dispatch_batch(engine, now, policy, batch)
        if done is None:
            break
        n, d, cursor = done
        events += n
        deliveries += d
        if n < batch:
            break
    return DispatchResult(events=events, deliveries=deliveries, cursor=cursor)


def feed(
    engine: Engine,
    datasets: Mapping[str, Collection[str] | None],
    cursor: int = 0,
    limit: int = 100,
) -> ChangeFeed:
    """Notices of events after ``cursor`` in ``datasets`` (dataset -> the attribute names the
    client may read, ``None``: any), oldest first; ``next_cursor`` continues the feed."""
    if not datasets:
        return ChangeFeed(events=[], next_cursor=cursor)
    with engine.connect() as conn:
        head = _head(conn)
        rows = conn.execute(
            select(*_EVENT)
            .where(
                ChangeEventRow.seq > cursor,
                ChangeEventRow.seq <= head,
                ChangeEventRow.entity.in_(list(datasets)),
            )
            .order_by(ChangeEventRow.seq)
            .limit(limit)
        ).all()
    notices: list[ChangeNotice] = []
    for ev in rows:
        notice = build_notice(ev, f"evt_{ev.seq}", None, datasets[ev.entity])
        if notice is not None:
            notices.append(notice)
    next_cursor = rows[-1].seq if len(rows) == limit else max(head, cursor)
    return ChangeFeed(events=notices, next_cursor=next_cursor)
