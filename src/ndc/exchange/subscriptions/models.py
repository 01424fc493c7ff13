"""Subscription tables: who wants to be told about which changes, and every notification owed.

A delivery row is written in the same transaction that advances its subscription's cursor, so a
change event becomes exactly one delivery per matching subscription (the unique key on
``(subscription_id, seq)`` holds even if two dispatchers race). Its ``id`` is the webhook's
idempotency key: identical on every retry of that notification.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store.engine import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Subscription(Base):
    """A client's standing request to be told when golden records of a dataset change.

    ``subjects``: JSON list of record ids, NULL for the whole dataset. ``attributes``: JSON list
    of attribute names an update must touch to be notified, and the only names a notification
    reveals (set to the fields the client may read when created through the API; NULL: any).
    ``cursor``: the last change ``seq`` this subscription has been dispatched up to.
    """

    __tablename__ = "exchange_subscriptions"
    __table_args__ = (Index("ix_exchange_subscriptions_client", "client_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("exchange_clients.id"), nullable=False
    )
    dataset: Mapped[str] = mapped_column(String(32), nullable=False)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    subjects: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[str | None] = mapped_column(Text)
    callback_url: Mapped[str] = mapped_column(String(2000), nullable=False)
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cursor: Mapped[int] = mapped_column(BigInt, nullable=False, default=0)


class Delivery(Base):
    """One notification owed to one subscription for one change event."""

    __tablename__ = "exchange_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "seq", name="uq_exchange_deliveries_sub_seq"),
        Index("ix_exchange_deliveries_queue", "status", "subscription_id", "seq"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("exchange_subscriptions.id"), nullable=False
    )
    seq: Mapped[int] = mapped_column(BigInt, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # the exact JSON body sent
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
