"""Ledger tables in the serving store: durable queue, entries, tiles, checkpoints, state.

Entry bundles are not stored twice: ``ledger_entries`` keyed by sequence number *is* the bundle
store, and a bundle is a range scan of at most 256 rows. Tiles are one row per (level, index)
holding the widest version; a partial tile ``.p/W`` is that row's first W hashes, which is
exactly what it was when a checkpoint of that width was signed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store.engine import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class QueuedEntry(Base):
    """An appended entry waiting for the sequencer; deleted in the transaction integrating it."""

    __tablename__ = "ledger_queue"
    # AUTOINCREMENT: ids are never reused, even after the queue drains, so receipts stay unique.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    subject_ref: Mapped[str | None] = mapped_column(String(64))
    hidden_until: Mapped[int | None] = mapped_column(BigInteger)


class Entry(Base):
    """An integrated log entry; ``subject_ref`` is the side index for access-history lookups."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_subject", "subject_ref", "seq"),
        Index("ix_ledger_entries_queue", "queue_id"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    queue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    subject_ref: Mapped[str | None] = mapped_column(String(64))
    hidden_until: Mapped[int | None] = mapped_column(BigInteger)


class Tile(Base):
    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    width: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class TileNodes(Base):
    """Private acceleration data: internal node hashes (heights 4-7) of a *full* tile.

    Never served and never trusted: proofs built with them are checked against a root computed
    from the tiles alone, and ``ndc ledger verify`` recomputes them. Rows may be missing (a
    store built before they existed) or deleted at any time; proofs then hash the tile instead.
    """

    __tablename__ = "ledger_tile_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    nodes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class CheckpointRow(Base):
    """Every signed checkpoint, so verification can check each against the recomputed tree."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LedgerState(Base):
    """One row: the integrated size; updating it first serialises sequencers across processes."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
