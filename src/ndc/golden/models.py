"""Serving-store tables: one row per golden record, and the change events subscribers follow.

A record is one row holding its values and provenance as JSON text, not one row per attribute:
publishing a million people is then a million inserts, not twenty-five million. The JSON is
produced by DuckDB and stored as text on both backends (no re-encoding in Python).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store.engine import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class GoldenRecordRow(Base):
    """The published golden record of one person or enterprise.

    ``values``: ``{attribute: value}``. ``provenance`` (compact; readers expand it per attribute):
    ``{"record": [source_id, record_key, as_of], "from": {attribute: [source_id, record_key,
    as_of]}, "unverified": [attribute, ...]}``: an attribute absent from ``from`` comes from
    ``record`` (the register's own record); ``verified`` is false only for those listed.
    """

    __tablename__ = "golden_records"

    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    values: Mapped[str] = mapped_column(Text, nullable=False)
    provenance: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    run_id: Mapped[str] = mapped_column(String(64), nullable=False)


class ChangeEventRow(Base):
    """One published change; ``seq`` increases by one per event across all publishes."""

    __tablename__ = "change_events"
    __table_args__ = (Index("ix_change_events_entity", "entity", "entity_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    attributes: Mapped[str | None] = mapped_column(Text)  # JSON list; NULL: every attribute
    previous: Mapped[str | None] = mapped_column(Text)  # JSON {attribute: {...} | null}
    sources: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list: sources of new values
    run_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


TABLES: list[Table] = [GoldenRecordRow.__table__, ChangeEventRow.__table__]  # type: ignore[list-item]
