"""Sequencers sharing a leader file: exactly one integrates; a standby takes over when it stops."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ndc.ledger import AccessEvent, Ledger, Sequencer


def _event(n: int) -> AccessEvent:
    return AccessEvent(action="exchange:person:read", actor_member="BHXH",
                       actor_client="BHXH/claims", purpose="social-insurance",
                       legal_basis="Nghị định 278/2025/NĐ-CP", request_id=f"r{n}")  # fmt: skip


def _wait(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_one_leader_integrates_and_a_standby_takes_over(ledger: Ledger, tmp_path: Path) -> None:
    lock = tmp_path / "sequencer.lock"
    first = Sequencer(ledger, interval=0.05, leader_file=lock)
    second = Sequencer(ledger, interval=0.05, leader_file=lock)
    first.start()
    assert _wait(lambda: first.leader)
    second.start()
    ledger.append_many([_event(i) for i in range(10)])
    assert _wait(lambda: first.integrated == 10)
    assert (ledger.size, second.integrated, second.leader) == (10, 0, False)
    first.stop()
    ledger.append_many([_event(i) for i in range(10, 15)])
    assert _wait(lambda: second.integrated == 5)  # the standby became the leader
    assert second.leader and ledger.size == 15
    second.stop()


def test_wal_starts_over_past_its_limit(ledger: Ledger) -> None:
    if ledger.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's WAL only: PostgreSQL manages its own write-ahead log")

    def wal_frames() -> int:
        with ledger.engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()[1])

    ledger.append_many([_event(i) for i in range(200)])
    ledger.integrate()
    grown = wal_frames()
    assert grown > 20  # commits no longer checkpoint (and restart the WAL) by themselves
    ledger._checkpoint_wal(every=0.0, max_frames=1)
    ledger.append_many([_event(200)])
    ledger.integrate()
    assert wal_frames() < grown / 2  # the next writer started the WAL over
    assert ledger.size == 201
