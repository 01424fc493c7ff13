"""Hand-made std tables and ``links`` (built from the linking contract) for the golden tests.

Loads happen at increasing times: population t1, land t2, health t3, civil servants t4,
social insurance t5, so "most recent" means social insurance unless a test reloads something.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine

from ndc.golden.links import LINKS_SCHEMA
from ndc.pipeline.store import connect
from ndc.store.engine import create_store_engine

T = {s: datetime(2026, 1, i + 1, 8, 0) for i, s in enumerate(
    ["population", "land_registry", "health_insurance", "civil_servants", "social_insurance"]
)}  # fmt: skip
AN, BINH, CUONG = "001090000001", "079185000002", "048200000003"
MST = "0100109106"


def _type(column: str) -> str:
    return "DATE" if column.endswith("date_of_birth") else "VARCHAR"


def put_std(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    rows: list[dict[str, Any]],
    at: datetime | None = None,
    load_id: str | None = None,
) -> None:
    """(Re)create ``std_<source_id>`` with these rows, loaded by one run started at ``at``."""
    load_id = load_id or f"{source_id}-load-1"
    at = at or T[source_id]
    cols = sorted({k for r in rows for k in r})
    defs = ", ".join(f'"{c}" {_type(c)}' for c in cols)
    con.execute(
        f"CREATE OR REPLACE TABLE std_{source_id} (_record_key VARCHAR, _load_id VARCHAR, "
        f"_status VARCHAR, _deleted BOOLEAN, {defs})"
    )
    for r in rows:
        vals = [r.get(c) for c in cols]
        con.execute(
            f"INSERT INTO std_{source_id} VALUES (?, ?, ?, ?, {', '.join('?' for _ in cols)})",
            [r["_key"] if "_key" in r else r[cols[0]], load_id, r.get("_status", "accepted"),
             False, *vals],
        )  # fmt: skip
    con.execute("DELETE FROM runs WHERE run_id = ?", [load_id])
    con.execute(
        "INSERT INTO runs (run_id, source_id, started_at, status) VALUES (?, ?, ?, 'ok')",
        [load_id, source_id, at],
    )


def put_links(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str]]) -> None:
    """Contract-shaped links: (source_id, record_key, entity, target_id), all 'linked'."""
    con.execute(LINKS_SCHEMA)
    con.execute("DELETE FROM links")
    for source_id, key, entity, target in rows:
        method = "master" if source_id in ("population", "business_registry") else "deterministic"
        con.execute(
            "INSERT INTO links VALUES (?, ?, ?, ?, 'linked', ?, 1.0, 'test', now())",
            [source_id, key, entity, target, method],
        )


def seed(con: duckdb.DuckDBPyConnection) -> None:
    """Three people and one enterprise, with the conflicts the rule tests need."""
    put_std(
        con,
        "population",
        [
            {
                "_key": AN,
                "person_id": AN,
                "full_name": "Nguyễn Văn An",
                "phone": "0912000001",
                "sex": "1",
                "date_of_birth": "1990-03-15",
                "date_of_birth__precision": "day",
            },
            {"_key": BINH, "person_id": BINH, "full_name": "Trần Thị Bình"},
            {"_key": CUONG, "person_id": CUONG, "full_name": "Lê Văn Cường", "phone": "0903000003"},
        ],
    )
    put_std(
        con,
        "land_registry",
        [
            {
                "_key": "L2",
                "person__date_of_birth": "1985-01-01",
                "person__date_of_birth__precision": "year",
            },
        ],
    )
    put_std(
        con,
        "health_insurance",
        [
            {"_key": "H1", "person__full_name": "Nguyễn Văn Ân", "person__phone": "0912000001"},
            {
                "_key": "H2",
                "person__sex": "2",
                "person__phone": "0987000002",
                "person__date_of_birth": "1985-11-02",
                "person__date_of_birth__precision": "day",
            },
            {"_key": "H3", "person__phone": "0903000003"},
        ],
    )
    put_std(con, "civil_servants", [{"_key": "C2", "person__sex": "2"}])
    put_std(
        con,
        "social_insurance",
        [
            {"_key": "S1", "person__full_name": "Nguyễn Văn Ân", "person__phone": "0912999999"},
            {
                "_key": "S2",
                "person__sex": "1",
                "person__phone": "0987000003",
                "person__date_of_birth": "1985-01-01",
                "person__date_of_birth__precision": "year",
            },
        ],
    )
    put_std(
        con,
        "business_registry",
        [
            {"_key": "HS1", "mst": MST, "name": "Công ty TNHH An Bình", "status": "active"},
        ],
        at=T["population"],
    )
    put_links(
        con,
        [
            ("population", AN, "person", AN),
            ("population", BINH, "person", BINH),
            ("population", CUONG, "person", CUONG),
            ("land_registry", "L2", "person", BINH),
            ("health_insurance", "H1", "person", AN),
            ("health_insurance", "H2", "person", BINH),
            ("health_insurance", "H3", "person", CUONG),
            ("civil_servants", "C2", "person", BINH),
            ("social_insurance", "S1", "person", AN),
            ("social_insurance", "S2", "person", BINH),
            ("business_registry", "HS1", "enterprise", MST),
        ],
    )


@pytest.fixture
def hand_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    con = connect(d)
    try:
        seed(con)
    finally:
        con.close()
    return d


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = create_store_engine(store_url)
    yield eng
    eng.dispose()
