"""The pipeline's DuckDB database: raw landing, current versions, standardised rows, quarantine,
run reports, sync state and scorecards. One file in the data directory; every run of a source
writes inside one transaction, so a killed run leaves nothing behind and can simply be re-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ndc.standardize.distinct import quote_identifier

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,
    rows_read BIGINT,
    unchanged BIGINT,
    rows_in BIGINT,
    accepted BIGINT,
    quarantined BIGINT,
    tombstoned BIGINT,
    warnings BIGINT,
    reconciled BOOLEAN,
    message VARCHAR,
    details JSON
);
CREATE TABLE IF NOT EXISTS sync_state (
    source_id VARCHAR PRIMARY KEY,
    watermark VARCHAR,
    last_run_id VARCHAR,
    last_success TIMESTAMP,
    fingerprints JSON,
    columns JSON,
    pending BOOLEAN  -- rows landed by an ingest-only run wait for 'process'
);
CREATE TABLE IF NOT EXISTS quarantine (
    source_id VARCHAR NOT NULL,
    record_key VARCHAR,
    run_id VARCHAR NOT NULL,
    file VARCHAR,
    row_number BIGINT,
    reasons VARCHAR[] NOT NULL,
    details JSON,
    status VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS scorecards (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    principle VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    checked BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_drift (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    detail VARCHAR
);
"""


def raw_table(source_id: str) -> str:
    """Every row version ever read from the source, unchanged, with load id and row number."""
    return quote_identifier(f"raw_{source_id}")


def current_table(source_id: str) -> str:
    """One row per record key: the version in force (or a tombstone)."""
    return quote_identifier(f"cur_{source_id}")


def std_table(source_id: str) -> str:
    """Standardised, validated rows of the current versions, with their outcome."""
    return quote_identifier(f"std_{source_id}")


def connect(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the pipeline database in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(data_dir / "pipeline.duckdb"))
    con.execute("SET enable_progress_bar = false")
    # Row order is carried by explicit row numbers, never by insertion order; checkpoint once
    # per pipeline run rather than every 16 MB of WAL.
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET checkpoint_threshold = '1GB'")
    # Leave room for the Python side (the batch being read) under the 6 GB budget.
    con.execute("SET memory_limit = '5GB'")
    con.execute(SCHEMA)
    return con


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    bare = name.strip('"')
    row = one(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [bare])
    return bool(row and row[0])


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    bare = name.strip('"')
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [bare],
    ).fetchall()
    return [r[0] for r in rows]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first row of a query, fully fetched (DuckDB keeps a half-read result open, which
    blocks the next statement on the connection)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temporary table or view of that name, whichever it is."""
    for (kind,) in con.execute(
        "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ? "
        "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ?",
        [name, name],
    ).fetchall():
        con.execute(f"DROP {kind} {name}")


def drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every temporary view and table: a source's batch, lookups and verdicts are not
    kept in memory while the next source runs."""
    for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall():
        con.execute(f"DROP VIEW {quote_identifier(name)}")
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall():
        con.execute(f"DROP TABLE {quote_identifier(name)}")
