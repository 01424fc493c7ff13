"""The ledger: durable append queue, batched integration, tiles, checkpoints and proofs.

Writers only INSERT into ``ledger_queue``. The sequencer (:meth:`Ledger.integrate`, run by
:class:`ndc.ledger.sequencer.Sequencer` inside ``ndc serve``) takes pending rows in order,
computes their leaf hashes and the changed tiles from the in-memory right edge, signs the new
checkpoint, and then writes entries, tiles, checkpoint and state in *one* transaction: a crash
leaves either the old tree or the new one, and the rows are still queued in the first case.
The tree maths happens before the write transaction, so appenders never wait on it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ndc.ledger import merkle
from ndc.ledger.exceptions import (
    EntryError,
    IntegrationConflict,
    LedgerIntegrityError,
    NotFoundError,
)
from ndc.ledger.keys import LedgerKeys, load_keys, pseudonymize
from ndc.ledger.models import CheckpointRow, Entry, LedgerState, QueuedEntry, Tile, TileNodes
from ndc.ledger.note import Checkpoint, NoteError, parse_note, sign_checkpoint
from ndc.ledger.schemas import MAX_ENTRY_BYTES, AccessEvent
from ndc.ledger.tiles import (
    LRU,
    TILE_HEIGHT,
    TILE_WIDTH,
    RightEdge,
    TileCache,
    TileHasher,
    partial_width,
    tile_levels,
)
from ndc.settings import Settings
from ndc.store.engine import Base, create_store_engine, placeholder, write_gate

TABLES: list[Table] = [
    Base.metadata.tables[t.__tablename__]
    for t in (QueuedEntry, Entry, Tile, TileNodes, CheckpointRow, LedgerState)
]
DEFAULT_BATCH = 50_000
#: SQLite page cache of the ledger's own connections (KiB). The default 2 MiB cannot hold the
#: insertion points of the subject index, so every integrated row missed the cache.
SQLITE_CACHE_KIB = 65_536

log = logging.getLogger(__name__)
_sha256 = hashlib.sha256


@dataclass(frozen=True)
class SignedCheckpoint:
    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class HistoryItem:
    seq: int
    event: AccessEvent


def _mark(conn: Connection) -> str:
    """The DBAPI placeholder: hot paths bypass SQLAlchemy's per-row parameter processing."""
    return placeholder(conn.dialect)


def _fetch_one(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """First row of a query on the driver's cursor: proofs run a few tiny queries each, and
    SQLAlchemy's result machinery cost more than the query itself."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql.replace("?", _mark(conn)), params)
        return cursor.fetchone()
    finally:
        cursor.close()


def queue_rows(events: Iterable[AccessEvent]) -> list[tuple[bytes, str | None, int | None]]:
    """The ledger_queue rows of events: canonical entry bytes, subject index, hidden-until."""
    rows: list[tuple[bytes, str | None, int | None]] = []
    for e in events:
        try:
            data = e.to_entry()
        except ValueError as exc:
            raise EntryError(str(exc)) from exc
        hidden = e.hidden_until
        rows.append((data, e.subject_ref, None if hidden is None else int(hidden.timestamp())))
    return rows


def enqueue_with(
    cursor: Any, mark: str, rows: Sequence[tuple[bytes, str | None, int | None]]
) -> list[int]:
    """Queue rows on a driver cursor inside the caller's transaction; returns the queue ids.

    One multi-row INSERT ... RETURNING per 500 rows. Callers that must write something else
    atomically with the audit (the exchange's token ids) share their transaction this way.
    """
    ids: list[int] = []
    for k in range(0, len(rows), 500):
        chunk = rows[k : k + 500]
        values = ", ".join([f"({mark}, {mark}, {mark})"] * len(chunk))
        cursor.execute(
            "INSERT INTO ledger_queue (data, subject_ref, hidden_until) "
            f"VALUES {values} RETURNING id",
            [v for row in chunk for v in row],
        )
        # Ids are drawn in VALUES order; RETURNING's row order is not promised.
        ids.extend(sorted(r[0] for r in cursor.fetchall()))
    return ids


def _sqlite_cache(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    # Commits never checkpoint the WAL themselves (a checkpoint's fsync inside the write lock
    # stalled every writer waiting on it); integrate_once checkpoints after committing.
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted ids as inclusive runs of consecutive integers (one run in the usual case)."""
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class Ledger:
    """One transparency log in one serving store. Thread-safe; one per process is enough."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        keys: LedgerKeys | None = None,
    ) -> None:
        self.settings = settings
        if engine is None:
            if settings.database_url is None:
                settings.ensure_data_dir()
            engine = create_store_engine(settings.store_url)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_cache)
        self._last_checkpoint = 0.0
        self.engine = engine
        self.keys = keys or load_keys(settings)
        self._lock = threading.RLock()
        self._edge: RightEdge | None = None
        # Shared by every proof: complete tiles and nodes never change.
        self._tile_cache = TileCache()
        # Roots computed from the tiles alone (and checked against any checkpoint of that size).
        self._roots: LRU[int, bytes] = LRU(4096)
        # Cleared if acceleration data ever disagrees with the tiles (see _proof_hashers).
        self.accelerate = True
        Base.metadata.create_all(engine, tables=TABLES)
        self._initialise()

    # ---- identity ------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return self.keys.origin

    def subject_ref(self, identifier: str) -> str:
        """The pseudonymous reference of a citizen or business identifier (keyed HMAC)."""
        return pseudonymize(self.keys.pseudonym_key, identifier)

    # ---- append (writers) ----------------------------------------------------------------

    def append(self, event: AccessEvent) -> int:
        """Queue one event; returns its queue id (a receipt) without waiting for integration."""
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[AccessEvent]) -> list[int]:
        """Queue events in one INSERT statement and one transaction; returns their queue ids."""
        return self._enqueue(queue_rows(events))

    def append_entries(self, entries: Sequence[bytes]) -> list[int]:
        """Queue opaque entries (no subject index); for tools and benchmarks."""
        for data in entries:
            if len(data) > MAX_ENTRY_BYTES:
                raise EntryError(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
        return self._enqueue([(d, None, None) for d in entries])

    def append_rows(self, rows: list[dict[str, Any]]) -> list[int]:
        """Queue rows given as dicts with ``data``, ``subject_ref`` and ``hidden_until``."""
        return self._enqueue([(r["data"], r["subject_ref"], r["hidden_until"]) for r in rows])

    def _enqueue(self, rows: Sequence[tuple[bytes, str | None, int | None]]) -> list[int]:
        """One multi-row INSERT ... RETURNING per 500 rows, in one transaction.

        Straight on the driver's cursor: SQLAlchemy's per-row result processing cost more than
        the insert itself on this path.
        """
        if not rows:
            return []
        with self.engine.begin() as conn:
            cursor = conn.connection.cursor()
            try:
                return enqueue_with(cursor, _mark(conn), rows)
            finally:
                cursor.close()

    # ---- integration (sequencer) ---------------------------------------------------------

    def _checkpoint_wal(self, every: float = 1.0, max_frames: int = 65_536) -> None:
        """SQLite: copy the WAL back into the database, outside any write transaction.

        PASSIVE (at most every ``every`` seconds) never waits for readers or writers, and the
        WAL starts over whenever traffic pauses. Under load without pause it cannot reset the
        WAL, which then only grows (and reads slow down); past ``max_frames`` (256 MB of 4 KB
        pages) a RESTART checkpoint, holding the write gate, finishes the little PASSIVE left
        and starts the WAL over: a pause of about 0.1 s, once per 256 MB written (every ~12 s
        at 1,500 audited requests/s).
        """
        if self.engine.dialect.name != "sqlite":
            return
        now = time.monotonic()
        if now - self._last_checkpoint < every:
            return
        self._last_checkpoint = now
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
        if row is not None and row[1] > max_frames:
            with write_gate(self.engine), self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)")

    def _initialise(self) -> None:
        with self.engine.connect() as conn:
            if conn.execute(select(LedgerState.size).where(LedgerState.id == 1)).first():
                return
        note = sign_checkpoint(Checkpoint(self.origin, 0, merkle.EMPTY_ROOT), self.keys.signer)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(LedgerState).values(id=1, size=0))
                conn.execute(
                    insert(CheckpointRow).values(
                        size=0, root=merkle.EMPTY_ROOT, note=note, created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            pass  # another process initialised the same store first

    def _load_edge(self) -> RightEdge:
        self.clear_caches()  # reloading means the store may have changed under us
        with self.engine.connect() as conn:
            size = conn.execute(select(LedgerState.size).where(LedgerState.id == 1)).scalar_one()
            partials: dict[int, bytes] = {}
            for level in range(tile_levels(size)):
                if partial_width(size, level):
                    idx = size >> (TILE_HEIGHT * (level + 1))
                    data = conn.execute(
                        select(Tile.hashes).where(Tile.level == level, Tile.idx == idx)
                    ).scalar()
                    partials[level] = data or b""
        return RightEdge.from_partials(size, partials)

    def _current_edge(self) -> RightEdge:
        if self._edge is None:
            self._edge = self._load_edge()
        return self._edge

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(QueuedEntry)).scalar_one())

    def integrate(self, max_batch: int = DEFAULT_BATCH, drain: bool = True) -> int:
        """Integrate pending entries in batches of at most ``max_batch``; returns how many."""
        total = 0
        while True:
            try:
                n = self.integrate_once(max_batch)
            except IntegrationConflict:
                continue  # another sequencer won; state was reloaded, try again
            total += n
            if n == 0 or not drain or n < max_batch:
                return total

    def integrate_once(self, max_batch: int = DEFAULT_BATCH) -> int:
        with self._lock:
            edge = self._current_edge()
            with self.engine.connect() as conn:
                # Plain driver tuples: SQLAlchemy rows cost more than the hashing on this path.
                cursor = conn.connection.cursor()
                cursor.execute(
                    "SELECT id, data, subject_ref, hidden_until FROM ledger_queue "
                    f"ORDER BY id LIMIT {int(max_batch)}"
                )
                rows = cursor.fetchall()
                cursor.close()
            if not rows:
                return 0
            new = edge.copy()
            touched, nodes = new.append_with_nodes([_sha256(b"\x00" + r[1]).digest() for r in rows])
            root = new.root()
            note = sign_checkpoint(Checkpoint(self.origin, new.size, root), self.keys.signer)
            try:
                self._commit(edge, new, rows, touched, nodes, root, note)
            except BaseException:
                self._edge = None  # the store is the truth; reload it next time
                raise
            self._edge = new
            self._roots.put(new.size, root)  # what the new tiles give, as just signed
        self._checkpoint_wal()
        return len(rows)

    def _commit(
        self,
        old: RightEdge,
        new: RightEdge,
        rows: Sequence[Any],
        touched: dict[tuple[int, int], bytes],
        nodes: dict[tuple[int, int], bytes],
        root: bytes,
        note: str,
    ) -> None:
        existing = {
            (level, count // TILE_WIDTH)
            for level, count in enumerate(old.counts)
            if count % TILE_WIDTH
        }
        with write_gate(self.engine), self.engine.begin() as conn:
            # Claim the tree first: the UPDATE takes the write lock (SQLite) or the row lock
            # (PostgreSQL) and fails if another sequencer moved the tree since the edge was loaded.
            claimed = conn.execute(
                update(LedgerState)
                .where(LedgerState.id == 1, LedgerState.size == old.size)
                .values(size=new.size)
            ).rowcount
            if claimed != 1:
                raise IntegrationConflict(f"tree is no longer at size {old.size}")
            deleted = 0
            for lo, hi in _runs([r[0] for r in rows]):
                deleted += conn.execute(
                    delete(QueuedEntry).where(QueuedEntry.id >= lo, QueuedEntry.id <= hi)
                ).rowcount
            if deleted != len(rows):
                raise IntegrationConflict("queued entries were taken by another sequencer")
            mark = _mark(conn)
            base = old.size
            conn.exec_driver_sql(
                "INSERT INTO ledger_entries (seq, queue_id, data, subject_ref, hidden_until) "
                f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                [(base + i, r[0], r[1], r[2], r[3]) for i, r in enumerate(rows)],
            )
            updates = [
                {"l": lv, "i": ix, "w": len(h) // 32, "h": h}
                for (lv, ix), h in touched.items()
                if (lv, ix) in existing
            ]
            inserts = [
                {"level": lv, "idx": ix, "width": len(h) // 32, "hashes": h}
                for (lv, ix), h in touched.items()
                if (lv, ix) not in existing
            ]
            if updates:
                conn.execute(
                    update(Tile)
                    .where(Tile.level == bindparam("l"), Tile.idx == bindparam("i"))
                    .values(width=bindparam("w"), hashes=bindparam("h")),
                    updates,
                )
            if inserts:
                conn.execute(insert(Tile), inserts)
            if nodes:
                # Acceleration data of the tiles that became full. A leftover row (after manual
                # surgery on the store) is replaced: it is a cache and must never block integration.
                keys = [(lv, ix) for lv, ix in nodes]
                conn.exec_driver_sql(
                    f"DELETE FROM ledger_tile_nodes WHERE level = {mark} AND idx = {mark}", keys
                )
                conn.exec_driver_sql(
                    "INSERT INTO ledger_tile_nodes (level, idx, nodes) "
                    f"VALUES ({mark}, {mark}, {mark})",
                    [(lv, ix, n) for (lv, ix), n in nodes.items()],
                )
            conn.execute(
                insert(CheckpointRow).values(
                    size=new.size, root=root, note=note, created_at=datetime.now(UTC)
                )
            )

    # ---- reads ---------------------------------------------------------------------------

    def checkpoint(self) -> SignedCheckpoint:
        """The latest signed checkpoint (with any cosignatures added since)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(CheckpointRow.size, CheckpointRow.root, CheckpointRow.note)
                .order_by(CheckpointRow.size.desc())
                .limit(1)
            ).one()
        return SignedCheckpoint(row.size, bytes(row.root), row.note)

    @property
    def size(self) -> int:
        """The integrated tree size (that of the latest checkpoint)."""
        with self.engine.connect() as conn:
            return self._size(conn)

    @staticmethod
    def _size(conn: Connection) -> int:
        return int(_fetch_one(conn, "SELECT size FROM ledger_state WHERE id = 1")[0])

    def read_tile(self, level: int, index: int, conn: Connection | None = None) -> bytes:
        if conn is None:
            with self.engine.connect() as own:
                return self.read_tile(level, index, own)
        row = _fetch_one(
            conn, "SELECT hashes FROM ledger_tiles WHERE level = ? AND idx = ?", (level, index)
        )
        return bytes(row[0]) if row is not None else b""

    def tile(self, level: int, index: int, width: int = TILE_WIDTH) -> bytes:
        """The tile ``tile/<level>/<index>[.p/<width>]`` as served (a stored tile's prefix)."""
        data = self.read_tile(level, index)
        if len(data) < width * 32:
            raise NotFoundError(f"tile {level}/{index} has no {width} hashes yet")
        return data[: width * 32]

    def entry_bundle(self, index: int, width: int = TILE_WIDTH) -> bytes:
        """``tile/entries/<index>[.p/<width>]``: uint16 big-endian length-prefixed entries."""
        first = index * TILE_WIDTH
        if first + width > self.size:
            raise NotFoundError(f"entry bundle {index} has no {width} entries yet")
        with self.engine.connect() as conn:
            datas = (
                conn.execute(
                    select(Entry.data)
                    .where(Entry.seq >= first, Entry.seq < first + width)
                    .order_by(Entry.seq)
                )
                .scalars()
                .all()
            )
        if len(datas) != width:
            raise NotFoundError(f"entry bundle {index} is incomplete in the store")
        return b"".join(len(d).to_bytes(2, "big") + bytes(d) for d in datas)

    def entry(self, seq: int) -> bytes:
        with self.engine.connect() as conn:
            data = conn.execute(select(Entry.data).where(Entry.seq == seq)).scalar()
        if data is None:
            raise NotFoundError(f"no entry {seq} in the log")
        return bytes(data)

    def seq_of(self, queue_id: int) -> int | None:
        """The sequence number an appended entry got, or None while it is still queued."""
        with self.engine.connect() as conn:
            return conn.execute(select(Entry.seq).where(Entry.queue_id == queue_id)).scalar()

    def history(
        self, subject_ref: str, include_hidden: bool = False, now: datetime | None = None
    ) -> list[HistoryItem]:
        """A subject's access history (oldest first); covert entries stay hidden until due."""
        stmt = select(Entry.seq, Entry.data).where(Entry.subject_ref == subject_ref)
        if not include_hidden:
            t = int((now or datetime.now(UTC)).timestamp())
            stmt = stmt.where((Entry.hidden_until.is_(None)) | (Entry.hidden_until <= t))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(Entry.seq)).all()
        return [HistoryItem(r.seq, AccessEvent.from_entry(r.data)) for r in rows]

    # ---- proofs --------------------------------------------------------------------------

    def read_nodes(self, level: int, index: int, conn: Connection) -> bytes:
        """A full tile's acceleration nodes (private; see ``TileNodes``), or b"" if none."""
        row = _fetch_one(
            conn, "SELECT nodes FROM ledger_tile_nodes WHERE level = ? AND idx = ?", (level, index)
        )
        return bytes(row[0]) if row is not None else b""

    def clear_caches(self) -> None:
        """Forget every cached tile, node and root (``verify`` starts from the store alone)."""
        self._tile_cache.clear()
        self._roots.clear()

    def _hasher(self, conn: Connection, accelerated: bool = False) -> TileHasher:
        return TileHasher(
            lambda level, idx: self.read_tile(level, idx, conn),
            self._tile_cache,
            (lambda level, idx: self.read_nodes(level, idx, conn)) if accelerated else None,
        )

    def _proof_hashers(self, conn: Connection) -> list[TileHasher]:
        """Hashers to try in turn: with acceleration data first (if enabled), then tiles only.

        A proof that only the second one can make means the acceleration data is wrong.
        """
        plain = self._hasher(conn)
        return [self._hasher(conn, accelerated=True), plain] if self.accelerate else [plain]

    def _distrust_acceleration(self, what: str) -> None:
        if self.accelerate:
            self.accelerate = False
            log.error(
                "ledger acceleration data disagrees with the tiles (%s); proofs now use the "
                "tiles only. Run `ndc ledger verify`.",
                what,
            )

    def _check_size(self, conn: Connection, size: int | None) -> int:
        latest = self._size(conn)
        if size is None:
            return latest
        if not 0 <= size <= latest:
            raise NotFoundError(f"tree size {size} is not between 0 and {latest}")
        return size

    def _anchor(self, conn: Connection, size: int) -> bytes:
        """Root of the tree of ``size`` from the tiles alone, never from acceleration data.

        Checked once against the stored checkpoint of that size, if any, then cached: every
        proof is verified against it before it is returned.
        """
        root = self._roots.get(size)
        if root is not None:
            return root
        root = self._hasher(conn).root(size)
        row = _fetch_one(conn, "SELECT root FROM ledger_checkpoints WHERE size = ?", (size,))
        if row is not None and bytes(row[0]) != root:
            raise LedgerIntegrityError(
                f"the tiles give root {base64.b64encode(root).decode()} at size {size}, but the "
                f"checkpoint of that size says {base64.b64encode(bytes(row[0])).decode()}"
            )
        self._roots.put(size, root)
        return root

    def root_at(self, size: int) -> bytes:
        with self.engine.connect() as conn:
            return self._anchor(conn, self._check_size(conn, size))

    def inclusion_proof(
        self, index: int, size: int | None = None
    ) -> tuple[bytes, list[bytes], bytes]:
        """(leaf hash, proof, root) for entry ``index`` in the tree of ``size`` (latest).

        The proof is verified against the tiles' root before it is returned; one that does not
        verify is never served (:class:`LedgerIntegrityError`).
        """
        with self.engine.connect() as conn:
            size = self._check_size(conn, size)
            if not 0 <= index < size:
                raise NotFoundError(f"entry {index} is not in the tree of size {size}")
            root = self._anchor(conn, size)
            for n, hasher in enumerate(self._proof_hashers(conn)):
                leaf = hasher.node(0, index)
                proof = merkle.inclusion_path(index, size, hasher.subtree)
                if merkle.verify_inclusion(index, size, leaf, proof, root):
                    if n:
                        self._distrust_acceleration(f"inclusion proof of {index} in {size}")
                    return leaf, proof, root
        raise LedgerIntegrityError(
            f"the tiles give no verifiable inclusion proof of entry {index} in the tree of "
            f"size {size}; run `ndc ledger verify`"
        )

    def consistency_proof(
        self, size1: int, size2: int | None = None
    ) -> tuple[list[bytes], bytes, bytes]:
        """(proof, root1, root2) showing the tree of ``size1`` is a prefix of ``size2``.

        ``root2`` comes from the tiles alone; the proof and ``root1`` are verified against it
        (which pins ``root1``) before they are returned.
        """
        with self.engine.connect() as conn:
            size2 = self._check_size(conn, size2)
            if not 0 <= size1 <= size2:
                raise NotFoundError(f"no consistency proof from {size1} to {size2}")
            root2 = self._anchor(conn, size2)
            for n, hasher in enumerate(self._proof_hashers(conn)):
                proof = merkle.consistency_path(size1, size2, hasher.subtree)
                root1 = hasher.root(size1)
                if merkle.verify_consistency(size1, size2, proof, root1, root2):
                    if n:
                        self._distrust_acceleration(f"consistency proof {size1} -> {size2}")
                    return proof, root1, root2
        raise LedgerIntegrityError(
            f"the tiles give no verifiable consistency proof from size {size1} to {size2}; "
            "run `ndc ledger verify`"
        )

    # ---- witnesses -----------------------------------------------------------------------

    def add_cosignature(self, size: int, line: str) -> None:
        """Attach a witness cosignature line to the checkpoint of ``size`` after verifying it."""
        from ndc.ledger.note import check_signatures

        with self.engine.begin() as conn:
            row = conn.execute(select(CheckpointRow.note).where(CheckpointRow.size == size)).first()
            if row is None:
                raise NotFoundError(f"no checkpoint of size {size}")
            note = parse_note(row.note)
            cosig = parse_note(note.text + "\n" + line.strip() + "\n").signatures[0]
            checks = check_signatures(
                parse_note(note.text + "\n" + cosig.line), list(self.keys.witnesses)
            )
            if not checks or checks[0].kind != "cosignature" or not checks[0].valid:
                raise NoteError("cosignature is not a valid signature by a trusted witness")
            if any(s.name == cosig.name and s.key_id == cosig.key_id for s in note.signatures):
                return
            conn.execute(
                update(CheckpointRow)
                .where(CheckpointRow.size == size)
                .values(note=row.note + cosig.line)
            )

    def stats(self) -> dict[str, Any]:
        cp = self.checkpoint()
        with self.engine.connect() as conn:
            tiles = conn.execute(select(func.count()).select_from(Tile)).scalar_one()
            cps = conn.execute(select(func.count()).select_from(CheckpointRow)).scalar_one()
        return {
            "origin": self.origin,
            "size": cp.size,
            "pending": self.pending(),
            "checkpoints": int(cps),
            "tiles": int(tiles),
            "root_hash": base64.b64encode(cp.root).decode(),
            "vkey": self.keys.verifier.vkey,
        }
