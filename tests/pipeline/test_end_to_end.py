"""End to end over a small synthetic national data set with every shipped source config: every
row of every file ends in exactly one place, and every run report says so."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ndc.pipeline.service import RunReport, run_pipeline
from ndc.pipeline.store import connect
from ndc.quality.quarantine import describe_reason
from ndc.sources.connectors import resolve_files
from ndc.sources.schemas import FileConnection, SourceConfig
from ndc.sources.service import load_configs
from ndc.synth import SynthConfig, generate

CITIZENS = 2000
REASON = re.compile(
    r"^(ingest|complete|correct|clean|unified|connected|live|shared)\.[a-z_]+(:[a-z0-9_]+)?$"
)


@dataclass
class Loaded:
    data_dir: Path
    configs: list[SourceConfig]
    first: dict[str, RunReport]


def count_records(cfg: SourceConfig, data_dir: Path) -> int:
    """Rows in the source, counted independently of the connectors."""
    conn = cfg.connection
    if not isinstance(conn, FileConnection):
        url = conn.url.replace("{data_dir}", str(data_dir.resolve()))
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            (n,) = db.execute(f'SELECT count(*) FROM "{conn.table}"').fetchone()
        finally:
            db.close()
        return int(n)
    total = 0
    for path in resolve_files(conn, data_dir):
        if conn.format == "parquet":
            total += pq.ParquetFile(path).metadata.num_rows
            continue
        lines = [ln for ln in path.read_bytes().split(b"\n") if ln.strip(b"\r\n\t ")]
        total += len(lines) - (1 if conn.format == "csv" else 0)
    return total


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    data_dir = tmp_path_factory.mktemp("e2e") / "ndc-data"
    generate(SynthConfig(citizens=CITIZENS, seed=20250701, out=data_dir / "synth"))
    configs = load_configs(data_dir)
    first = {r.source_id: r for r in run_pipeline(data_dir, configs)}
    return Loaded(data_dir, configs, first)


@pytest.fixture
def con(loaded: Loaded) -> duckdb.DuckDBPyConnection:
    return connect(loaded.data_dir)


def test_every_source_runs_and_reconciles(loaded: Loaded) -> None:
    assert set(loaded.first) == {c.id for c in loaded.configs}
    for report in loaded.first.values():
        assert report.status == "ok", (report.source_id, report.message)
        assert report.reconciled, report
        assert report.rows_read == report.new + report.rejected  # first load: nothing unchanged
        assert report.processed == report.new
        assert report.accepted > 0


def test_rows_in_files_equal_accepted_plus_quarantined(
    loaded: Loaded, con: duckdb.DuckDBPyConnection
) -> None:
    for cfg in loaded.configs:
        in_files = count_records(cfg, loaded.data_dir)
        report = loaded.first[cfg.id]
        assert report.rows_read == in_files, cfg.id
        accepted, quarantined = con.execute(
            f"SELECT count(*) FILTER (WHERE _status = 'accepted'), "
            f"count(*) FILTER (WHERE _status = 'quarantined') FROM std_{cfg.id} WHERE NOT _deleted"
        ).fetchall()[0]
        door = con.execute(
            "SELECT count(*) FROM quarantine WHERE source_id = ? AND status = 'open' "
            "AND record_key IS NULL",
            [cfg.id],
        ).fetchall()[0][0]
        assert accepted + quarantined + door == in_files, cfg.id
        assert (accepted, quarantined + door) == (report.accepted, report.quarantined_total)
        # Every quarantined std row has exactly one open quarantine entry, and vice versa.
        missing = con.execute(
            f"SELECT count(*) FROM std_{cfg.id} s WHERE s._status = 'quarantined' AND NOT EXISTS "
            "(SELECT 1 FROM quarantine q WHERE q.source_id = ? AND q.status = 'open' "
            "AND q.record_key = s._record_key)",
            [cfg.id],
        ).fetchall()[0][0]
        assert missing == 0, cfg.id
        opened = con.execute(
            "SELECT count(*) FROM quarantine WHERE source_id = ? AND status = 'open' "
            "AND record_key IS NOT NULL",
            [cfg.id],
        ).fetchall()[0][0]
        assert opened == quarantined, cfg.id


def test_runs_table_says_reconciled(loaded: Loaded, con: duckdb.DuckDBPyConnection) -> None:
    ids = [r.run_id for r in loaded.first.values()]
    got = con.execute(
        "SELECT run_id, reconciled, rows_read, unchanged, accepted, quarantined FROM runs "
        f"WHERE run_id IN ({', '.join('?' for _ in ids)})",
        ids,
    ).fetchall()
    assert len(got) == len(ids)
    for _, reconciled, read, unchanged, accepted, quarantined in got:
        assert reconciled and read == unchanged + accepted + quarantined


def test_quarantine_reasons_are_readable_codes(
    loaded: Loaded, con: duckdb.DuckDBPyConnection
) -> None:
    reasons = [
        r[0] for r in con.execute("SELECT DISTINCT unnest(reasons) FROM quarantine").fetchall()
    ]
    assert reasons, "a synthetic data set with faults must quarantine something"
    for code in reasons:
        assert REASON.match(code), code
        assert describe_reason(code) != code, f"no description for {code}"
    assert any(code.startswith("ingest.") for code in reasons)  # malformed lines were injected


def test_scorecards_cover_all_principles(loaded: Loaded, con: duckdb.DuckDBPyConnection) -> None:
    ids = [r.run_id for r in loaded.first.values()]
    principles = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT principle FROM scorecards WHERE run_id IN "
            f"({', '.join('?' for _ in ids)})",
            ids,
        ).fetchall()
    }
    assert principles == {
        "correct", "complete", "clean", "live", "unified", "connected", "shared"
    }  # fmt: skip


def test_second_run_without_change_loads_nothing(loaded: Loaded) -> None:
    # Last in this module: it adds runs to the shared data directory.
    for report in run_pipeline(loaded.data_dir, loaded.configs):
        assert report.status == "ok", (report.source_id, report.message)
        assert report.new == report.changed == report.tombstoned == 0, report
        assert report.reconciled


def test_reading_ahead_changes_nothing_but_timing(
    loaded: Loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no read-ahead budget (each source read only while the one before it runs) the run
    accounts for every row exactly as with the default budget."""
    import shutil

    import ndc.pipeline.service as service

    d = tmp_path / "ndc-data"
    shutil.copytree(loaded.data_dir / "synth", d / "synth")
    monkeypatch.setattr(service, "READ_AHEAD_BYTES", 0)
    reports = {r.source_id: r for r in run_pipeline(d, loaded.configs)}
    assert set(reports) == set(loaded.first)
    for sid, first in loaded.first.items():
        r = reports[sid]
        assert (r.rows_read, r.new, r.rejected, r.accepted, r.quarantined) == (
            first.rows_read,
            first.new,
            first.rejected,
            first.accepted,
            first.quarantined,
        ), sid
