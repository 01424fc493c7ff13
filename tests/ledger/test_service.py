"""The ledger on a real store (SQLite and PostgreSQL): append, integrate, prove, survive crashes."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ndc.ledger import merkle
from ndc.ledger.exceptions import EntryError, LedgerConfigError, NotFoundError
from ndc.ledger.models import Entry
from ndc.ledger.note import open_checkpoint
from ndc.ledger.schemas import AccessEvent
from ndc.ledger.sequencer import Sequencer
from ndc.ledger.service import Ledger
from ndc.ledger.verify import verify
from ndc.settings import Settings

from .conftest import make_event


def _entries(n: int, start: int = 0) -> list[bytes]:
    return [f'{{"n":{i}}}'.encode() for i in range(start, start + n)]


def test_appended_events_are_integrated_signed_and_provable(ledger: Ledger) -> None:
    ids = ledger.append_many([make_event(ledger, i) for i in range(700)])
    assert len(set(ids)) == 700 and ledger.pending() == 700
    assert ledger.integrate(max_batch=300) == 700
    assert ledger.pending() == 0
    cp = ledger.checkpoint()
    parsed, _ = open_checkpoint(cp.note, ledger.keys.verifier)
    assert parsed.size == cp.size == 700 and parsed.origin == ledger.origin
    leaves = [merkle.leaf_hash(ledger.entry(i)) for i in range(700)]
    assert cp.root == merkle.root(leaves)
    for index in (0, 255, 256, 699):
        leaf, proof, root = ledger.inclusion_proof(index)
        assert leaf == leaves[index] and proof == merkle.inclusion_proof(index, leaves)
        assert merkle.verify_inclusion(index, 700, leaf, proof, root)
    for size1 in (1, 300, 600, 700):  # every batch left a checkpoint at these sizes
        proof, r1, r2 = ledger.consistency_proof(size1)
        assert r1 == merkle.root(leaves[:size1])
        assert merkle.verify_consistency(size1, 700, proof, r1, r2)
    assert ledger.seq_of(ids[5]) == 5


def test_entry_bundles_and_tiles_follow_tlog_tiles(ledger: Ledger) -> None:
    ledger.append_entries(_entries(300))
    ledger.integrate()
    bundle = ledger.entry_bundle(0)
    entries, pos = [], 0
    while pos < len(bundle):
        n = int.from_bytes(bundle[pos : pos + 2], "big")
        entries.append(bundle[pos + 2 : pos + 2 + n])
        pos += 2 + n
    assert entries == _entries(256)
    tile = ledger.tile(0, 0)
    assert tile == b"".join(merkle.leaf_hash(e) for e in entries)
    assert ledger.tile(0, 1, 44) == b"".join(merkle.leaf_hash(e) for e in _entries(44, 256))
    assert ledger.tile(1, 0, 1) == merkle.root([merkle.leaf_hash(e) for e in entries])
    assert len(ledger.entry_bundle(1, 44)) > 0
    with pytest.raises(NotFoundError):
        ledger.tile(0, 1)  # not full yet
    with pytest.raises(NotFoundError):
        ledger.entry_bundle(1, 45)


def test_history_by_subject_hides_covert_access_until_due(ledger: Ledger) -> None:
    now = datetime(2025, 7, 1, tzinfo=UTC)
    ledger.append_many(
        [
            make_event(ledger, 1, time=now),
            make_event(ledger, 2, citizen="079200000001", time=now),
            make_event(ledger, 3, time=now, hidden_until=now + timedelta(days=30)),
        ]
    )
    ledger.integrate()
    ref = ledger.subject_ref("001099012345")
    assert [h.seq for h in ledger.history(ref, now=now)] == [0]
    assert [h.seq for h in ledger.history(ref, now=now + timedelta(days=31))] == [0, 2]
    assert ledger.history(ref, now=now)[0].event.request_id == "r1"


def test_entries_never_hold_identifiers_or_values_in_clear(ledger: Ledger) -> None:
    event = make_event(ledger, 1)
    assert b"001099012345" not in event.to_entry()
    assert len(event.subject_ref or "") == 64
    with pytest.raises(ValueError):
        make_event(ledger, 1, subject_ref="001099012345")
    with pytest.raises(ValueError):
        make_event(ledger, 1, fields=("Nguyễn Văn A",))
    with pytest.raises(ValueError):
        make_event(ledger, 1, legal_basis=None)
    assert AccessEvent.from_entry(event.to_entry()) == event
    with pytest.raises(EntryError):
        ledger.append_entries([b"x" * 70_000])


def test_integration_killed_mid_transaction_loses_and_duplicates_nothing(
    ledger: Ledger, store_url: str, store_settings: Settings
) -> None:
    ledger.append_entries(_entries(500))
    ledger.integrate()
    ledger.append_entries(_entries(400, 500))
    # A separate process integrates and is SIGKILLed just before its checkpoint INSERT, i.e.
    # after it wrote entries and tiles in the same transaction.
    script = f"""
import os, signal
from sqlalchemy import event
from ndc.ledger.service import Ledger
from ndc.settings import Settings
data_dir = {str(store_settings.data_dir)!r}
settings = Settings(data_dir=data_dir, database_url={store_url!r}, demo=True)
lg = Ledger(settings)
@event.listens_for(lg.engine, "before_cursor_execute")
def kill(conn, cursor, statement, *args):
    if statement.startswith("INSERT INTO ledger_checkpoints"):
        os.kill(os.getpid(), signal.SIGKILL)
lg.integrate()
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    assert ledger.size == 500 and ledger.pending() == 400
    assert ledger.integrate() == 400
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Entry)).scalar_one() == 900
    assert [ledger.entry(i) for i in (0, 499, 500, 899)] == [
        b'{"n":0}',
        b'{"n":499}',
        b'{"n":500}',
        b'{"n":899}',
    ]
    assert verify(ledger).ok


def test_two_sequencers_on_one_store_never_fork_the_tree(
    ledger: Ledger, store_settings: Settings
) -> None:
    other = Ledger(store_settings)
    ledger.append_entries(_entries(100))
    assert ledger.integrate() == 100
    other.append_entries(_entries(50, 100))
    assert other.integrate() == 50  # detects its stale right edge, reloads, integrates
    ledger.append_entries(_entries(10, 150))
    assert ledger.integrate() == 10
    assert ledger.size == other.size == 160
    report = verify(ledger)
    assert report.ok, report.problems
    other.engine.dispose()


def test_background_sequencer_integrates_within_a_second(ledger: Ledger) -> None:
    seq = Sequencer(ledger, interval=0.1)
    seq.start()
    try:
        for burst in range(5):
            qid = ledger.append_many([make_event(ledger, i) for i in range(200)])[-1]
            t0 = time.monotonic()
            while ledger.seq_of(qid) is None:
                assert time.monotonic() - t0 < 1.0, "entry not integrated within 1 s"
                time.sleep(0.01)
            assert burst >= 0
    finally:
        seq.stop()
    assert ledger.size == 1000 and seq.last_error is None


def test_proofs_for_sizes_outside_the_log_are_not_found(ledger: Ledger) -> None:
    ledger.append_entries(_entries(3))
    ledger.integrate()
    with pytest.raises(NotFoundError):
        ledger.inclusion_proof(3)
    with pytest.raises(NotFoundError):
        ledger.inclusion_proof(0, 4)
    with pytest.raises(NotFoundError):
        ledger.consistency_proof(3, 2)
    with pytest.raises(NotFoundError):
        ledger.entry(7)


def test_secrets_are_required_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(LedgerConfigError, match="ndc ledger init"):
        Ledger(Settings(data_dir=tmp_path))
    seed = "11" * 32
    with pytest.raises(LedgerConfigError, match="pseudonym"):
        Ledger(Settings(data_dir=tmp_path, ledger_key_seed=seed))  # type: ignore[arg-type]
    lg = Ledger(
        Settings(data_dir=tmp_path, ledger_key_seed=seed, pseudonym_key="k" * 32)  # type: ignore[arg-type]
    )
    assert lg.origin == "ndc.gov.vn/ledger"
    lg.engine.dispose()
