"""Tampering with any stored part of the log is detected, and reported precisely."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, insert, select, update

from ndc.ledger.exceptions import LedgerIntegrityError
from ndc.ledger.models import CheckpointRow, Entry, LedgerState, Tile, TileNodes
from ndc.ledger.note import Checkpoint, Signer, sign_checkpoint
from ndc.ledger.service import Ledger
from ndc.ledger.verify import verify

from .conftest import make_event

SIZE = 600


@pytest.fixture
def log(ledger: Ledger) -> Iterator[Ledger]:
    for start in range(0, SIZE, 200):  # three checkpoints: 200, 400, 600
        ledger.append_many([make_event(ledger, i) for i in range(start, start + 200)])
        ledger.integrate()
    report = verify(ledger)
    assert report.ok, report.problems
    assert (report.size, report.entries, report.checkpoints) == (SIZE, SIZE, 4)
    yield ledger


def _problems(log: Ledger, known: tuple[str, ...] = ()) -> str:
    report = verify(log, known)
    assert not report.ok
    return "\n".join(report.problems)


def _data(log: Ledger, seq: int) -> bytes:
    with log.engine.connect() as conn:
        return bytes(conn.execute(select(Entry.data).where(Entry.seq == seq)).scalar_one())


def _set_data(log: Ledger, seq: int, data: bytes) -> None:
    with log.engine.begin() as conn:
        conn.execute(update(Entry).where(Entry.seq == seq).values(data=data))


def test_changed_entry_is_detected(log: Ledger) -> None:
    _set_data(log, 17, _data(log, 17).replace(b"BHXH", b"BHXX"))
    problems = _problems(log)
    assert "tile 0/0 hash 17: entry 17 does not hash to it" in problems
    assert "root" in problems


def test_deleted_entry_is_detected(log: Ledger) -> None:
    with log.engine.begin() as conn:
        conn.execute(delete(Entry).where(Entry.seq == 300))
    assert "entry 300 is missing" in _problems(log)


def test_reordered_entries_are_detected(log: Ledger) -> None:
    a, b = _data(log, 5), _data(log, 6)
    _set_data(log, 5, b)
    _set_data(log, 6, a)
    problems = _problems(log)
    assert "entry 5 does not hash" in problems and "entry 6 does not hash" in problems


def test_inserted_entry_is_detected(log: Ledger) -> None:
    # Shift everything after 100 up by one and slip a forged entry into the gap.
    forged = make_event(log, 999, purpose="forged").to_entry()
    with log.engine.begin() as conn:
        rows = conn.execute(select(Entry).where(Entry.seq >= 100).order_by(Entry.seq.desc())).all()
        for r in rows:
            conn.execute(update(Entry).where(Entry.seq == r.seq).values(seq=r.seq + 1))
        conn.execute(insert(Entry).values(seq=100, queue_id=0, data=forged, subject_ref=None))
    problems = _problems(log)
    assert "entry 100 does not hash" in problems
    assert f"entry {SIZE} is beyond the log's size {SIZE} (inserted)" in problems


def test_entry_appended_past_the_signed_size_is_detected(log: Ledger) -> None:
    with log.engine.begin() as conn:
        conn.execute(insert(Entry).values(seq=SIZE, queue_id=0, data=b"{}", subject_ref=None))
    assert f"entry {SIZE} is beyond" in _problems(log)


def test_swapped_tile_hash_is_detected(log: Ledger) -> None:
    with log.engine.begin() as conn:
        tile = bytes(
            conn.execute(select(Tile.hashes).where(Tile.level == 0, Tile.idx == 1)).scalar_one()
        )
        swapped = tile[32:64] + tile[:32] + tile[64:]
        conn.execute(update(Tile).where(Tile.level == 0, Tile.idx == 1).values(hashes=swapped))
    problems = _problems(log)
    assert "tile 0/1 hash 0: entry 256 does not hash" in problems
    assert "tile 0/1 hash 1: entry 257 does not hash" in problems


def test_forged_checkpoints_are_detected(log: Ledger) -> None:
    latest = log.checkpoint()
    # Same signature, different root: the signature no longer verifies.
    cp = Checkpoint.parse(latest.note.split("\n\n")[0] + "\n")
    fake_root = bytes(32)
    forged = latest.note.replace(
        Checkpoint(cp.origin, cp.size, cp.root_hash).body(),
        Checkpoint(cp.origin, cp.size, fake_root).body(),
    )
    with log.engine.begin() as conn:
        conn.execute(
            update(CheckpointRow)
            .where(CheckpointRow.size == SIZE)
            .values(note=forged, root=fake_root)
        )
    problems = _problems(log)
    assert f"checkpoint of size {SIZE}: no valid signature by the log key" in problems
    assert f"signed checkpoint of size {SIZE} has root" in problems


def test_checkpoint_signed_by_another_key_is_detected(log: Ledger) -> None:
    mallory = Signer(log.origin, b"\x66" * 32)
    note = sign_checkpoint(Checkpoint(log.origin, 400, bytes(32)), mallory)
    with log.engine.begin() as conn:
        conn.execute(update(CheckpointRow).where(CheckpointRow.size == 400).values(note=note))
    assert "checkpoint of size 400: no valid signature by the log key" in _problems(log)


def test_rewritten_history_is_inconsistent_with_checkpoints_seen_before(log: Ledger) -> None:
    seen = log.checkpoint().note
    # An insider rewrites entry 3 and re-signs everything with the real key (a "perfect" forgery
    # of the store): only an earlier checkpoint held by an auditor can expose it.
    _set_data(log, 3, _data(log, 3).replace(b"claims", b"claimz"))
    with log.engine.begin() as conn:
        conn.execute(delete(Tile))
        conn.execute(delete(CheckpointRow))
        conn.execute(update(LedgerState).values(size=0))
        rows = conn.execute(
            select(Entry.queue_id, Entry.data, Entry.subject_ref).order_by(Entry.seq)
        ).all()
        conn.execute(delete(Entry))
    log._edge = None
    log._initialise()
    log.append_rows(
        [{"data": r.data, "subject_ref": r.subject_ref, "hidden_until": None} for r in rows]
    )
    log.integrate()
    assert verify(log).ok  # self-consistent...
    problems = _problems(log, (seen,))
    assert f"previously seen checkpoint of size {SIZE} has root" in problems


def test_rollback_below_a_seen_checkpoint_is_detected(log: Ledger) -> None:
    mallory_view = sign_checkpoint(Checkpoint(log.origin, SIZE + 5, bytes(32)), log.keys.signer)
    assert f"rolled back: a checkpoint of size {SIZE + 5} was seen" in _problems(
        log, (mallory_view,)
    )


def test_tampered_subject_index_is_detected(log: Ledger) -> None:
    # Hiding an access from a citizen's history by editing the side index is caught too.
    with log.engine.begin() as conn:
        conn.execute(update(Entry).where(Entry.seq == 42).values(subject_ref=None))
    assert "entry 42: subject index says None" in _problems(log)


def test_tampered_acceleration_nodes_never_change_a_proof(log: Ledger) -> None:
    # The private acceleration rows are not served; forging them must not change what a
    # client gets (proofs are checked against the tiles' root), and verify names the row.
    expected_inc = [log.inclusion_proof(i) for i in (0, 17, 255, 300, 511, 599)]
    expected_con = [log.consistency_proof(s) for s in (1, 16, 200, 257, 400, 599)]
    with log.engine.begin() as conn:
        nodes = bytes(
            conn.execute(
                select(TileNodes.nodes).where(TileNodes.level == 0, TileNodes.idx == 0)
            ).scalar_one()
        )
        forged = bytes(32) * (len(nodes) // 32)
        conn.execute(
            update(TileNodes).where(TileNodes.level == 0, TileNodes.idx == 0).values(nodes=forged)
        )
    log.clear_caches()
    assert log.accelerate
    assert [log.inclusion_proof(i) for i in (0, 17, 255, 300, 511, 599)] == expected_inc
    assert [log.consistency_proof(s) for s in (1, 16, 200, 257, 400, 599)] == expected_con
    assert not log.accelerate  # it noticed, and now serves from the tiles alone
    assert "acceleration nodes of tile 0/0 differ" in _problems(log)


def test_missing_acceleration_nodes_are_not_a_problem(log: Ledger) -> None:
    expected = log.inclusion_proof(100)
    with log.engine.begin() as conn:
        conn.execute(delete(TileNodes))
    log.clear_caches()
    assert log.inclusion_proof(100) == expected and log.accelerate
    assert verify(log).ok


def test_a_proof_that_would_not_verify_is_never_served(log: Ledger) -> None:
    # A swapped level-0 tile hash makes the tiles disagree with the tile above: the ledger
    # refuses to serve a proof through it instead of returning one that fails to verify.
    with log.engine.begin() as conn:
        tile = bytes(
            conn.execute(select(Tile.hashes).where(Tile.level == 0, Tile.idx == 0)).scalar_one()
        )
        swapped = tile[32:64] + tile[:32] + tile[64:]
        conn.execute(update(Tile).where(Tile.level == 0, Tile.idx == 0).values(hashes=swapped))
    log.clear_caches()
    with pytest.raises(LedgerIntegrityError):
        log.inclusion_proof(0)
    root = log.inclusion_proof(300)[2]  # the rest of the log still proves fine
    assert root == log.checkpoint().root
