"""Deliver due notices by HTTP POST, at least once, in ``seq`` order per subscription.

Decisions (what a receiver can rely on):

- **At least once, same id.** Before each POST the attempt is committed together with its next
  retry time (a lease). If the process dies between the POST and recording the answer, the
  notice is sent again after that back-off with the same ``webhook-id``; receivers de-duplicate
  on it. Two workers never send one delivery at once: the claim is a conditional UPDATE.
- **Order.** Only the oldest pending delivery of a subscription is ever sent (head of line):
  a receiver sees a subscription's notices in ``seq`` order, and one that is down holds back
  only its own queue. A failed (given-up) notice no longer holds the queue; a replayed one
  (:func:`~ndc.exchange.subscriptions.service.redeliver`) goes before newer pending ones.
- **Answers.** 2xx: delivered. 410 Gone: the receiver asks to stop; the notice fails and the
  subscription is deactivated (its queue stays listable). Anything else (other 4xx, 5xx,
  redirects, which are not followed, timeouts, refused connections) is retried: a 401 or 404
  from a receiver is usually a deployment mistake fixed within hours, and giving up early
  would lose notices silently. ``Retry-After`` (seconds) on any answer defers the next try.
- **Back-off.** ``base * 2**(n-1)`` seconds after the n-th failure (1 s, 2 s, 4 s, ...), capped
  at one hour, times a random factor in [0.75, 1] so that receivers coming back are not hit by
  every sender at once; the schedule still grows with each failure.
- **Giving up.** A notice still failing ``max_age`` (3 days) after it was queued is marked
  ``failed``; it stays listable and can be redelivered. Clients that were down longer catch
  up through the pull feed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, Select, func, select, update

from ndc.exchange.subscriptions.models import Delivery, Subscription
from ndc.exchange.subscriptions.schemas import DeliverResult, DeliveryStatus
from ndc.exchange.subscriptions.service import as_utc, utcnow
from ndc.exchange.subscriptions.signing import webhook_headers

log = logging.getLogger(__name__)
PENDING = DeliveryStatus.PENDING.value
USER_AGENT = "ndc-webhooks/1"


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 1.0  # seconds before the first retry
    cap: float = 3600.0  # longest wait between two attempts
    max_age: timedelta = timedelta(days=3)  # give up on a notice this long after it was queued
    jitter: float = 0.25  # waits are shortened by up to this fraction, at random


def backoff(failures: int, retry: RetryPolicy, rng: random.Random) -> float:
    """Seconds to wait after the ``failures``-th failed attempt."""
    raw = min(retry.cap, retry.base * 2.0 ** min(failures - 1, 62))
    return raw * (1.0 - retry.jitter * rng.random())


def new_http_client(timeout: float = 5.0) -> httpx.Client:
    """The client deliveries use: short timeout, redirects not followed."""
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT})


@dataclass
class _Claim:
    id: str
    subscription_id: str
    payload: str
    secret: str
    url: str
    queued_at: datetime
    lease_until: datetime


#: The audit hook: called with (connection, client id, purpose, notice JSON) in the transaction
#: that claims a notice's first attempt, so a notice is never sent before it is recorded.
OnFirstSend = Callable[[Connection, str, str, str], None]


def _claim(
    engine: Engine,
    subscription_id: str,
    now: datetime,
    retry: RetryPolicy,
    rng: random.Random,
    on_first_send: OnFirstSend | None = None,
) -> _Claim | None:
    """Take the subscription's oldest pending delivery if it is due, recording the attempt."""
    with engine.begin() as conn:
        row = conn.execute(
            select(
                Delivery.id,
                Delivery.seq,
                Delivery.payload,
                Delivery.attempts,
                Delivery.queued_at,
                Delivery.next_attempt_at,
                Subscription.secret,
                Subscription.callback_url,
                Subscription.client_id,
                Subscription.purpose,
            )
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(
                Delivery.subscription_id == subscription_id,
                Delivery.status == PENDING,
                Subscription.active.is_(True),
            )
            .order_by(Delivery.seq)
            .limit(1)
        ).first()
        if row is None or as_utc(row.next_attempt_at) > now:
            return None
        lease = now + timedelta(seconds=backoff(row.attempts + 1, retry, rng))
        taken = conn.execute(
            update(Delivery)
            .where(
                Delivery.id == row.id, Delivery.status == PENDING, Delivery.attempts == row.attempts
            )
            .values(attempts=row.attempts + 1, last_attempt_at=now, next_attempt_at=lease)
        ).rowcount
        if taken == 1 and row.attempts == 0 and on_first_send is not None:
            on_first_send(conn, row.client_id, row.purpose, row.payload)
    if taken != 1:  # another worker took it
        return None
    return _Claim(
        row.id,
        subscription_id,
        row.payload,
        row.secret,
        row.callback_url,
        as_utc(row.queued_at),
        lease,
    )


def _post(http: httpx.Client, claim: _Claim) -> tuple[int | None, str | None, float | None]:
    """(status, error, retry-after seconds) of one attempt."""
    body = claim.payload.encode()
    # The signed timestamp is the wall clock: receivers compare it with theirs to refuse replays.
    headers = webhook_headers(claim.secret, claim.id, int(time.time()), body)
    try:
        resp = http.post(claim.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500], None
    if 200 <= resp.status_code < 300:
        return resp.status_code, None, None
    after = resp.headers.get("retry-after", "")
    return resp.status_code, f"HTTP {resp.status_code}", float(after) if after.isdigit() else None


def _record(
    engine: Engine,
    claim: _Claim,
    now: datetime,
    answer: tuple[int | None, str | None, float | None],
    retry: RetryPolicy,
) -> str:
    """Store an attempt's outcome; returns delivered | retrying | failed | gone."""
    status, error, after = answer
    values: dict[str, Any] = {"last_status": status, "last_error": error}
    outcome = "retrying"
    if error is None:
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
        outcome = "delivered"
    elif status == 410:
        values.update(status=DeliveryStatus.FAILED.value)
        outcome = "gone"
    elif now - claim.queued_at >= retry.max_age:
        values.update(status=DeliveryStatus.FAILED.value)
        outcome = "failed"
    elif after is not None:
        deferred = now + timedelta(seconds=min(after, retry.cap))
        values.update(next_attempt_at=max(claim.lease_until, deferred))
    with engine.begin() as conn:
        conn.execute(update(Delivery).where(Delivery.id == claim.id).values(**values))
        if outcome == "gone":
            conn.execute(
                update(Subscription)
                .where(Subscription.id == claim.subscription_id)
                .values(active=False, inactive_reason="receiver-gone")
            )
    return outcome


def _heads() -> Select[str, datetime]:
    """Each active subscription's oldest pending delivery: the only one that may be sent."""
    head = (
        select(Delivery.subscription_id, func.min(Delivery.seq).label("seq"))
        .where(Delivery.status == PENDING)
        .group_by(Delivery.subscription_id)
        .subquery()
    )
    return (
        select(Delivery.subscription_id, Delivery.next_attempt_at)
        .join(
            head,
            (head.c.subscription_id == Delivery.subscription_id) & (head.c.seq == Delivery.seq),
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Subscription.active.is_(True))
    )


def _queues(engine: Engine, now: datetime) -> list[str]:
    """Subscriptions whose next notice is due, the longest-waiting first."""
    stmt = _heads().where(Delivery.next_attempt_at <= now).order_by(Delivery.next_attempt_at)
    with engine.connect() as conn:
        return [r.subscription_id for r in conn.execute(stmt)]


def next_due(engine: Engine) -> datetime | None:
    """When the next attempt is due (``None``: nothing to send)."""
    sub = _heads().subquery()
    with engine.connect() as conn:
        due = conn.scalar(select(func.min(sub.c.next_attempt_at)))
    return as_utc(due) if due is not None else None


def deliver_due(
    engine: Engine,
    http_client: httpx.Client,
    now: datetime | None = None,
    *,
    retry: RetryPolicy | None = None,
    rng: random.Random | None = None,
    limit: int = 500,
    workers: int = 8,
    on_first_send: OnFirstSend | None = None,
) -> DeliverResult:
    """POST the deliveries due at ``now`` (at most ``limit`` attempts) and record the answers.

    Subscriptions are served by up to ``workers`` threads, so a receiver that hangs until the
    timeout delays only its own queue."""
    now = as_utc(now or utcnow())
    retry = retry or RetryPolicy()
    rng = rng or random.Random()
    counts = {"attempted": 0, "delivered": 0, "retrying": 0, "failed": 0, "deactivated": 0}
    lock = threading.Lock()

    def add(key: str, n: int = 1) -> None:
        with lock:
            counts[key] += n

    def drain(subscription_id: str) -> None:
        while True:
            with lock:  # reserve an attempt within the limit
                if counts["attempted"] >= limit:
                    return
                counts["attempted"] += 1
            claim = _claim(engine, subscription_id, now, retry, rng, on_first_send)
            if claim is None:
                add("attempted", -1)
                return
            outcome = _record(engine, claim, now, _post(http_client, claim), retry)
            if outcome == "gone":
                add("failed")
                add("deactivated")
            else:
                add(outcome)
            if outcome != "delivered":
                return  # keep this subscription's order: its head must go first

    queues = _queues(engine, now)
    if workers <= 1 or len(queues) <= 1:
        for subscription_id in queues:
            drain(subscription_id)
    else:
        with ThreadPoolExecutor(min(workers, len(queues)), "ndc-webhooks") as pool:
            for _ in pool.map(drain, queues):  # re-raises a worker's exception
                pass
    return DeliverResult(**counts)
