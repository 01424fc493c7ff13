"""Independent re-verification of a stored log: recompute everything, trust nothing stored.

The tree is rebuilt from the stored entries alone and compared with every stored tile, every
signed checkpoint (signature and root at its size) and any checkpoints an auditor saw before;
the side index is compared with the entries. Each problem names what is wrong and where.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_

from ndc.ledger import merkle
from ndc.ledger.merkle import HASH_SIZE
from ndc.ledger.models import CheckpointRow, Entry, LedgerState, Tile, TileNodes
from ndc.ledger.note import Checkpoint, NoteError, check_signatures, parse_note
from ndc.ledger.service import Ledger
from ndc.ledger.tiles import TILE_WIDTH, RightEdge, partial_width, tile_levels

CHUNK = 64 * TILE_WIDTH
MAX_PROOF_CHECKS = 200


@dataclass
class VerifyReport:
    size: int = 0
    root_hash: str = ""
    entries: int = 0
    tiles: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < 1000:
            self.problems.append(text)


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def _check_checkpoints(ledger: Ledger, report: VerifyReport) -> dict[int, bytes]:
    """Signatures and well-formedness of every stored checkpoint; returns size -> root."""
    roots: dict[int, bytes] = {}
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(CheckpointRow.size, CheckpointRow.root, CheckpointRow.note).order_by(
                CheckpointRow.size
            )
        ).all()
    verifiers = [ledger.keys.verifier, *ledger.keys.witnesses]
    for i, row in enumerate(rows):
        where = f"checkpoint of size {row.size}"
        try:
            note = parse_note(row.note)
            cp = Checkpoint.parse(note.text)
        except NoteError as exc:
            report.problem(f"{where}: malformed note ({exc})")
            continue
        checks = check_signatures(note, verifiers)
        if not any(c.kind == "log" and c.valid for c in checks):
            report.problem(
                f"{where}: no valid signature by the log key {ledger.keys.verifier.vkey}"
            )
        for c in checks:
            if c.valid is False:
                report.problem(f"{where}: invalid {c.kind} signature by {c.name}")
        if i == len(rows) - 1:
            report.cosignatures = sum(1 for c in checks if c.kind == "cosignature" and c.valid)
        if cp.origin != ledger.origin:
            report.problem(f"{where}: origin {cp.origin!r} is not {ledger.origin!r}")
        if cp.size != row.size or cp.root_hash != bytes(row.root):
            report.problem(f"{where}: signed note says size {cp.size} root {_b64(cp.root_hash)}")
        roots[cp.size] = cp.root_hash
    report.checkpoints = len(rows)
    return roots


def _compare_tiles(
    ledger: Ledger, touched: dict[tuple[int, int], bytes], report: VerifyReport
) -> None:
    if not touched:
        return
    with ledger.engine.connect() as conn:
        stored = {
            (r.level, r.idx): bytes(r.hashes)
            for r in conn.execute(
                select(Tile.level, Tile.idx, Tile.hashes).where(
                    tuple_(Tile.level, Tile.idx).in_(list(touched))
                )
            )
        }
    for (level, idx), expected in sorted(touched.items()):
        report.tiles += 1
        got = stored.get((level, idx))
        if got is None:
            report.problem(f"tile {level}/{idx} is missing")
            continue
        full = len(expected) == TILE_WIDTH * HASH_SIZE
        if full and len(got) != len(expected):
            report.problem(f"tile {level}/{idx} has {len(got) // HASH_SIZE} hashes, not 256")
        for pos in range(0, min(len(got), len(expected)), HASH_SIZE):
            if got[pos : pos + HASH_SIZE] != expected[pos : pos + HASH_SIZE]:
                i = pos // HASH_SIZE
                what = (
                    f"entry {idx * TILE_WIDTH + i} does not hash to it (entry changed, moved, "
                    "or tile hash swapped)"
                    if level == 0
                    else "it differs from the tile below"
                )
                report.problem(f"tile {level}/{idx} hash {i}: {what}")


def _compare_nodes(
    ledger: Ledger, nodes: dict[tuple[int, int], bytes], report: VerifyReport
) -> None:
    """Acceleration nodes may be missing, but any stored row must be the recomputed one."""
    if not nodes:
        return
    with ledger.engine.connect() as conn:
        stored = conn.execute(
            select(TileNodes.level, TileNodes.idx, TileNodes.nodes).where(
                tuple_(TileNodes.level, TileNodes.idx).in_(list(nodes))
            )
        ).all()
    for level, idx, got in stored:
        if bytes(got) != nodes[(level, idx)]:
            report.problem(
                f"acceleration nodes of tile {level}/{idx} differ from the recomputed tree "
                "(proofs never trust them; deleting the row is safe)"
            )


def _check_index(rows: Sequence[object], report: VerifyReport) -> None:
    for r in rows:
        seq, data, subject = r.seq, r.data, r.subject_ref  # type: ignore[attr-defined]
        try:
            doc = json.loads(data)
            expected = doc.get("subject") if isinstance(doc, dict) else None
        except (ValueError, UnicodeDecodeError):
            expected = None
        if subject != expected:
            report.problem(f"entry {seq}: subject index says {subject!r}, entry says {expected!r}")


def verify(
    ledger: Ledger,
    known_checkpoints: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Recompute the log from stored entries and report every inconsistency found."""
    report = VerifyReport()
    ledger.clear_caches()  # nothing from memory: proofs below are rebuilt from the store
    roots = _check_checkpoints(ledger, report)
    with ledger.engine.connect() as conn:
        size = conn.execute(select(LedgerState.size).where(LedgerState.id == 1)).scalar() or 0
    report.size = size
    if size not in roots:
        report.problem(f"the log's size {size} has no signed checkpoint")
    if roots and max(roots) > size:
        report.problem(f"a checkpoint of size {max(roots)} exceeds the log's size {size}")

    seen: dict[int, bytes] = {}
    for text in known_checkpoints:
        try:
            note = parse_note(text)
            cp = Checkpoint.parse(note.text)
        except NoteError as exc:
            report.problem(f"previously seen checkpoint is malformed: {exc}")
            continue
        if not any(c.valid for c in check_signatures(note, [ledger.keys.verifier])):
            report.problem(f"previously seen checkpoint of size {cp.size} is not signed by the log")
            continue
        if cp.size > size:
            report.problem(f"the log was rolled back: a checkpoint of size {cp.size} was seen")
            continue
        seen[cp.size] = cp.root_hash

    # Rebuild the tree from entries, stopping at every checkpoint size to compare roots.
    stops = sorted({s for s in (*roots, *seen) if s <= size} | {size})
    edge, expected_seq = RightEdge(), 0
    with ledger.engine.connect() as conn:
        for stop in stops:
            while edge.size < stop:
                hi = min(stop, edge.size + CHUNK)
                rows = conn.execute(
                    select(Entry.seq, Entry.data, Entry.subject_ref)
                    .where(Entry.seq >= edge.size, Entry.seq < hi)
                    .order_by(Entry.seq)
                ).all()
                by_seq = {r.seq: r for r in rows}
                leaves = []
                for s in range(edge.size, hi):
                    r = by_seq.get(s)
                    if r is None:
                        report.problem(f"entry {s} is missing")
                        leaves.append(b"\0" * HASH_SIZE)
                    else:
                        leaves.append(merkle.leaf_hash(bytes(r.data)))
                _check_index(rows, report)
                report.entries += len(rows)
                touched, nodes = edge.append_with_nodes(leaves)
                # Partial tiles are compared once, at the final size, below.
                full = {k: v for k, v in touched.items() if len(v) == TILE_WIDTH * HASH_SIZE}
                _compare_tiles(ledger, full, report)
                _compare_nodes(ledger, nodes, report)
                expected_seq = hi
                if progress:
                    progress(edge.size, size)
            root = edge.root()
            for name, table in (("signed checkpoint", roots), ("previously seen checkpoint", seen)):
                if stop in table and table[stop] != root:
                    report.problem(
                        f"{name} of size {stop} has root {_b64(table[stop])}, "
                        f"but the entries give {_b64(root)}"
                    )
        extra = (
            conn.execute(select(Entry.seq).where(Entry.seq >= expected_seq).limit(5))
            .scalars()
            .all()
        )
        for s in extra:
            report.problem(f"entry {s} is beyond the log's size {size} (inserted)")
        # The stored partial right edge must be exactly the recomputed one.
        partial = {
            (level, size >> (8 * (level + 1))): bytes(edge.partial[level])
            for level in range(tile_levels(size))
            if partial_width(size, level)
        }
        _compare_tiles(ledger, partial, report)
        for (level, idx), data in partial.items():
            got = conn.execute(
                select(Tile.width).where(Tile.level == level, Tile.idx == idx)
            ).scalar()
            if got is not None and got != len(data) // HASH_SIZE:
                report.problem(
                    f"tile {level}/{idx} claims width {got}, expected {len(data) // HASH_SIZE}"
                )
    report.root_hash = _b64(edge.root())
    _check_proofs(ledger, roots, size, report)
    return report


def _check_proofs(ledger: Ledger, roots: dict[int, bytes], size: int, report: VerifyReport) -> None:
    """Serve consistency proofs from the tiles and verify them, as a remote auditor would."""
    if report.problems or size not in roots:
        return  # the stored tiles are already known to be wrong; proofs would only repeat it
    sizes = sorted(roots)
    step = max(1, len(sizes) // MAX_PROOF_CHECKS)
    for s in sizes[::step]:
        proof, _r1, _r2 = ledger.consistency_proof(s, size)
        if not merkle.verify_consistency(s, size, proof, roots[s], roots[size]):
            report.problem(f"consistency proof from checkpoint {s} to {size} does not verify")
