"""Registry tables in the serving store: members, their client systems, keys and used token ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store.engine import Base


class Member(Base):
    """A member organisation (ministry, province, public body, enterprise)."""

    __tablename__ = "exchange_members"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255), nullable=False)
    name_en: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Client(Base):
    """A client system of a member; its id is the ``iss`` of the tokens it signs."""

    __tablename__ = "exchange_clients"
    __table_args__ = (Index("ix_exchange_clients_member", "member_code"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    member_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_members.code"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ClientKey(Base):
    """A client's public key; ``kid`` is its RFC 7638 JWK thumbprint."""

    __tablename__ = "exchange_client_keys"
    __table_args__ = (Index("ix_exchange_client_keys_client", "client_id"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("exchange_clients.id"), nullable=False
    )
    algorithm: Mapped[str] = mapped_column(String(8), nullable=False)
    public_key_pem: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UsedTokenId(Base):
    """A ``jti`` seen from a client, kept until its token can no longer be accepted.

    The primary key makes the replay check one INSERT that any process sharing the store sees.
    """

    __tablename__ = "exchange_used_jti"
    __table_args__ = (Index("ix_exchange_used_jti_expires", "expires_at"),)

    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
