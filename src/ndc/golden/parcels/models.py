"""Serving-store table of land parcels, looked up by their owner's personal ID.

One row per parcel of the land register, like ``golden_records``: values and provenance as JSON
text written by DuckDB. ``owner_id`` is the golden person the parcel's holder was linked to (the
CCCD), not the identifier the register wrote down: a mistyped ID that linking resolved by name
and birth date still finds its owner, and an unresolved one finds nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Engine, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store.engine import Base


class LandParcelRow(Base):
    """The published state of one land parcel.

    ``values``: ``{field: value}``, the parcel's own fields (never its holder's name, birth date or
    address). ``provenance``: ``{"record": [source_id, record_key, as_of], "owner": {"method":
    ..., "match_probability": ...}}``; ``owner`` says how the holder was linked and is absent when
    ``owner_id`` is NULL.
    """

    __tablename__ = "land_parcels"
    __table_args__ = (Index("ix_land_parcels_owner_id", "owner_id"),)

    parcel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(64))
    values: Mapped[str] = mapped_column(Text, nullable=False)
    provenance: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    run_id: Mapped[str] = mapped_column(String(64), nullable=False)


TABLES: list[Table] = [LandParcelRow.__table__]  # type: ignore[list-item]


def create_parcel_tables(engine: Engine) -> None:
    """Create ``land_parcels`` if it does not exist (no-op otherwise)."""
    Base.metadata.create_all(engine, tables=TABLES)
