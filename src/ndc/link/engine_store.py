"""Linking tables in the pipeline's DuckDB database (the shared contract, plus linking's own state).

``links``, ``link_candidates`` and ``review_decisions`` are the contract other packages read.
``link_inputs`` keeps a fingerprint of what linking read from each record, so that a later run
relinks only records that are new or changed; ``link_models`` keeps the trained Splink model;
``link_register`` the register's canonical rows and ``link_state`` the hash they were built from.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    source_id VARCHAR NOT NULL, record_key VARCHAR NOT NULL, entity VARCHAR NOT NULL,
    target_id VARCHAR, status VARCHAR NOT NULL, method VARCHAR NOT NULL,
    match_probability DOUBLE, run_id VARCHAR, linked_at TIMESTAMP,
    PRIMARY KEY (source_id, record_key, entity)
);
CREATE TABLE IF NOT EXISTS link_candidates (
    source_id VARCHAR NOT NULL, record_key VARCHAR NOT NULL, entity VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL, match_probability DOUBLE, rank INTEGER
);
CREATE TABLE IF NOT EXISTS review_decisions (
    source_id VARCHAR NOT NULL, record_key VARCHAR NOT NULL, entity VARCHAR NOT NULL,
    target_id VARCHAR, decision VARCHAR NOT NULL, reviewer VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL, note VARCHAR
);
CREATE TABLE IF NOT EXISTS link_inputs (
    source_id VARCHAR NOT NULL, record_key VARCHAR NOT NULL, entity VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL, PRIMARY KEY (source_id, record_key, entity)
);
CREATE TABLE IF NOT EXISTS link_state (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS link_models (
    entity VARCHAR PRIMARY KEY, model JSON NOT NULL, trained_at TIMESTAMP, run_id VARCHAR
);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def load_model(con: duckdb.DuckDBPyConnection, entity: str) -> dict[str, Any] | None:
    rows = con.execute("SELECT model FROM link_models WHERE entity = ?", [entity]).fetchall()
    if not rows:
        return None
    model: dict[str, Any] = json.loads(rows[0][0])
    return model


def save_model(
    con: duckdb.DuckDBPyConnection, entity: str, model: dict[str, Any], run_id: str
) -> None:
    con.execute("DELETE FROM link_models WHERE entity = ?", [entity])
    con.execute(
        "INSERT INTO link_models VALUES (?, ?, now(), ?)", [entity, json.dumps(model), run_id]
    )


def load_state(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM link_state WHERE key = ?", [key]).fetchall()
    return str(rows[0][0]) if rows else None


def save_state(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("DELETE FROM link_state WHERE key = ?", [key])
    con.execute("INSERT INTO link_state VALUES (?, ?)", [key, value])


def latest_decisions_sql(entity: str) -> str:
    """The latest decision per (record, target): a later 'link' replaces an earlier one."""
    return f"""
        SELECT * FROM review_decisions WHERE entity = '{entity}'
        QUALIFY row_number() OVER (PARTITION BY source_id, record_key, entity,
                                   CASE WHEN decision = 'link' THEN '' ELSE target_id END
                                   ORDER BY decided_at DESC) = 1
    """
