"""Create, read and delete subscriptions; list and replay their deliveries.

Functions take a ``Session`` and flush; the caller owns the transaction (one request, one
commit), as in the registry. ``client_id=None`` means an operator (CLI) acting on any client's
subscriptions; a client only ever sees its own, and another client's id is simply not found.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, Table, delete, func, select
from sqlalchemy.orm import Session

from ndc.dictionary import entity
from ndc.exchange.exceptions import ClientNotFound
from ndc.exchange.models import Client
from ndc.exchange.service import create_tables as create_registry_tables
from ndc.exchange.subscriptions.exceptions import (
    DeliveryNotFound,
    InvalidCallback,
    NotEntitled,
    SubscriptionError,
    SubscriptionInactive,
    SubscriptionNotFound,
    TooManySubscriptions,
)
from ndc.exchange.subscriptions.models import Delivery, Subscription
from ndc.exchange.subscriptions.notices import notice_from_payload
from ndc.exchange.subscriptions.schemas import (
    CreatedSubscription,
    DeliveryOut,
    DeliveryStatus,
    SubscriptionIn,
    SubscriptionOut,
)
from ndc.exchange.subscriptions.signing import generate_secret
from ndc.golden import ChangeEventRow
from ndc.golden import create_tables as create_golden_tables
from ndc.store.engine import Base

TABLES: list[Table] = [Base.metadata.tables[m.__tablename__] for m in (Subscription, Delivery)]
MAX_PER_CLIENT = 100  # each whole-dataset subscription multiplies every change: keep it bounded
_SUBJECT = {"person": re.compile(r"^\d{12}$"), "enterprise": re.compile(r"^\d{10}(-\d{3})?$")}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_tables(engine: Engine) -> None:
    """Subscription tables, plus the registry and change-event tables they refer to."""
    create_registry_tables(engine)
    create_golden_tables(engine)
    Base.metadata.create_all(engine, tables=TABLES)


def check_callback(url: str, *, allow_http: bool = False) -> str:
    """An absolute https URL without credentials; plain http only to a loopback address (or
    anywhere with ``allow_http``, for demos): notices carry personal identifiers."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise InvalidCallback(f"callback {url[:100]!r} is not an absolute http(s) URL")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise InvalidCallback("the callback URL must not carry credentials or a fragment")
    if scheme == "http" and not allow_http and not _loopback(parts.hostname):
        raise InvalidCallback("the callback must use https (http only to a loopback address)")
    if _never_a_receiver(parts.hostname):
        # Link-local holds cloud metadata services: a callback there would let a client make
        # the platform fetch its own credentials. Private ranges stay allowed: agencies'
        # receivers sit on the government network.
        raise InvalidCallback("the callback host is link-local, multicast or reserved")
    return url


def _never_a_receiver(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if ip.is_loopback:
        return False
    return ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_subjects(dataset: str, subjects: Sequence[str] | None) -> list[str] | None:
    if subjects is None:
        return None
    bad = [s for s in subjects if not _SUBJECT[dataset].match(s)]
    if bad:
        raise SubscriptionError(f"not {dataset} ids: {', '.join(bad[:5])}")
    if not subjects:
        raise SubscriptionError("subjects is empty; omit it to follow the whole dataset")
    return sorted(set(subjects))


def _check_attributes(
    dataset: str, wanted: Sequence[str] | None, allowed: Sequence[str] | None
) -> list[str] | None:
    known = set(entity(dataset).field_names)
    if wanted is not None:
        unknown = sorted(set(wanted) - known)
        if unknown or not wanted:
            raise SubscriptionError(f"unknown {dataset} attributes: {', '.join(unknown) or '[]'}")
        if allowed is not None and not set(wanted) <= set(allowed):
            denied = ", ".join(sorted(set(wanted) - set(allowed)))
            raise NotEntitled("fields-not-allowed", f"not permitted to read: {denied}")
        return sorted(set(wanted))
    return sorted(set(allowed) & known) if allowed is not None else None


def _out(row: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        client_id=row.client_id,
        dataset=row.dataset,
        purpose=row.purpose,
        subjects=json.loads(row.subjects) if row.subjects is not None else None,
        attributes=json.loads(row.attributes) if row.attributes is not None else None,
        callback_url=row.callback_url,
        active=row.active,
        inactive_reason=row.inactive_reason,
        created_at=as_utc(row.created_at),
        cursor=row.cursor,
    )


def create_subscription(
    session: Session,
    client_id: str,
    request: SubscriptionIn,
    purpose: str,
    *,
    allowed_fields: Sequence[str] | None = None,
    allow_http: bool = False,
    max_per_client: int = MAX_PER_CLIENT,
    now: datetime | None = None,
) -> CreatedSubscription:
    """Subscribe ``client_id`` to changes published from now on; the secret is returned once.

    ``allowed_fields``: what the policy lets the client read; the attribute filter is limited
    to them, so a notice never names an attribute the client may not read."""
    if session.get(Client, client_id) is None:
        raise ClientNotFound(f"no client {client_id!r}")
    live = session.scalar(
        select(func.count())
        .select_from(Subscription)
        .where(Subscription.client_id == client_id, Subscription.deleted_at.is_(None))
    )
    if (live or 0) >= max_per_client:
        raise TooManySubscriptions(f"{client_id!r} has {live} subscriptions (the maximum)")
    callback = check_callback(request.callback_url, allow_http=allow_http)
    subjects = _check_subjects(request.dataset, request.subjects)
    attributes = _check_attributes(request.dataset, request.attributes, allowed_fields)
    head = session.scalar(select(func.coalesce(func.max(ChangeEventRow.seq), 0)))
    secret = generate_secret()
    row = Subscription(
        id="sub_" + uuid.uuid4().hex,
        client_id=client_id,
        dataset=request.dataset,
        purpose=purpose,
        subjects=json.dumps(subjects) if subjects is not None else None,
        attributes=json.dumps(attributes) if attributes is not None else None,
        callback_url=callback,
        secret=secret,
        active=True,
        created_at=as_utc(now or utcnow()),
        cursor=int(head or 0),
    )
    session.add(row)
    session.flush()
    return CreatedSubscription(**_out(row).model_dump(), secret=secret)


def _row(session: Session, client_id: str | None, subscription_id: str) -> Subscription:
    row = session.get(Subscription, subscription_id)
    if (
        row is None
        or row.deleted_at is not None
        or (client_id is not None and row.client_id != client_id)
    ):
        raise SubscriptionNotFound(f"no subscription {subscription_id!r}")
    return row


def get_subscription(
    session: Session, client_id: str | None, subscription_id: str
) -> SubscriptionOut:
    return _out(_row(session, client_id, subscription_id))


def list_subscriptions(session: Session, client_id: str | None = None) -> list[SubscriptionOut]:
    stmt = select(Subscription).where(Subscription.deleted_at.is_(None))
    if client_id is not None:
        stmt = stmt.where(Subscription.client_id == client_id)
    rows = session.scalars(stmt.order_by(Subscription.client_id, Subscription.created_at))
    return [_out(r) for r in rows]


def delete_subscription(
    session: Session, client_id: str | None, subscription_id: str, now: datetime | None = None
) -> None:
    """Stop notifying; the subscription and its deliveries stay in the store for the record."""
    row = _row(session, client_id, subscription_id)
    row.active = False
    row.inactive_reason = "deleted"
    row.deleted_at = as_utc(now or utcnow())
    session.flush()


def delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        subscription_id=row.subscription_id,
        seq=row.seq,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
        next_attempt_at=as_utc(row.next_attempt_at),
        last_attempt_at=as_utc(row.last_attempt_at) if row.last_attempt_at else None,
        last_status=row.last_status,
        last_error=row.last_error,
        delivered_at=as_utc(row.delivered_at) if row.delivered_at else None,
        notice=notice_from_payload(row.payload),
    )


def list_deliveries(
    session: Session,
    client_id: str | None,
    subscription_id: str,
    status: DeliveryStatus | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[DeliveryOut]:
    """A subscription's deliveries, newest first (page with ``before_seq``)."""
    _row(session, client_id, subscription_id)
    stmt = select(Delivery).where(Delivery.subscription_id == subscription_id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status.value)
    if before_seq is not None:
        stmt = stmt.where(Delivery.seq < before_seq)
    rows = session.scalars(stmt.order_by(Delivery.seq.desc()).limit(limit))
    return [delivery_out(r) for r in rows]


def redeliver(
    session: Session,
    client_id: str | None,
    subscription_id: str,
    delivery_id: str,
    now: datetime | None = None,
) -> DeliveryOut:
    """Queue a delivery again (typically a failed one) with the same webhook-id, due now; the
    back-off and the maximum age start over."""
    sub = _row(session, client_id, subscription_id)
    if not sub.active:
        raise SubscriptionInactive(f"subscription {subscription_id!r} is {sub.inactive_reason}")
    row = session.get(Delivery, delivery_id)
    if row is None or row.subscription_id != subscription_id:
        raise DeliveryNotFound(f"no delivery {delivery_id!r} in {subscription_id!r}")
    now = as_utc(now or utcnow())
    row.status = DeliveryStatus.PENDING.value
    row.attempts = 0
    row.queued_at = now
    row.next_attempt_at = now
    row.delivered_at = None
    session.flush()
    return delivery_out(row)


def purge_deliveries(session: Session, before: datetime) -> int:
    """Delete delivered and failed deliveries queued before ``before``; returns how many.

    A delivery names a person and what changed about them, so it is kept only as long as it is
    useful for replay and support; pending ones are never purged."""
    result = session.execute(
        delete(Delivery).where(
            Delivery.status.in_([DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value]),
            Delivery.queued_at < as_utc(before),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
