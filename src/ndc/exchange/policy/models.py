"""Sharing catalogue and consent tables in the serving store.

Lists (fields, purposes) are JSON columns: a rule is read whole and matched in memory, never
queried by its list members, so no link tables are needed. Times are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store.engine import Base


class SharingRule(Base):
    """A catalogue entry: a client (or every client of a member) may use fields of a dataset for
    some purposes, on a legal basis, within a validity window. No rule means no access."""

    __tablename__ = "exchange_sharing_rules"
    __table_args__ = (
        Index("ix_exchange_sharing_rules_member", "member_code"),
        Index("ix_exchange_sharing_rules_client", "client_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(32), nullable=False)
    # The member of the client, or the member of a member-wide rule (client_id NULL).
    member_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_members.code"), nullable=False
    )
    client_id: Mapped[str | None] = mapped_column(String(80), ForeignKey("exchange_clients.id"))
    fields: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    purposes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    access: Mapped[str] = mapped_column(String(8), nullable=False)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    covert_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """A citizen's consent to one requester for one dataset, fields and purpose.

    ``state`` holds the last decision (pending, active, rejected, revoked); whether an active
    consent has expired is computed from ``valid_until`` when it is read, never stored.
    """

    __tablename__ = "exchange_consents"
    __table_args__ = (
        Index("ix_exchange_consents_subject", "subject_id", "requester_member", "dataset"),
        Index("ix_exchange_consents_requester", "requester_member"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(12), nullable=False)
    requester_member: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_members.code"), nullable=False
    )
    requester_client: Mapped[str | None] = mapped_column(
        String(80), ForeignKey("exchange_clients.id")
    )
    dataset: Mapped[str] = mapped_column(String(32), nullable=False)
    fields: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    data_life_days: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
