"""Which records feed the golden records, so that a rebuild only recomputes what they touch.

``golden_inputs`` keeps, from the last build, one row per contributing record: source, record
key, the golden record it is linked to, its load id and a hash of the columns it contributes.
A build compares the current set with it; the golden records on either side of a difference
(a new, changed, re-linked, quarantined or deleted record) are the only ones recomputed. When
the contributions themselves change (a new source, a new mapping, other rules) everything is.
This is what makes small batches cheap: the same code path as the bulk build, on fewer rows.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import duckdb

from ndc.golden.contributions import Contribution
from ndc.pipeline.store import std_table
from ndc.standardize.distinct import quote_identifier as q

INPUTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS golden_inputs (
    source_id VARCHAR NOT NULL, record_key VARCHAR NOT NULL, entity VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL, load_id VARCHAR, row_hash UBIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS golden_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
"""


def signature(contribs: list[Contribution], rules: list[tuple[object, ...]]) -> str:
    """A digest of everything besides the data that decides the golden records."""
    doc = json.dumps([[c.__dict__ for c in contribs], rules], sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()


def _inputs_sql(contribs: list[Contribution]) -> str:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in contribs:
        groups[(c.source_id, c.entity)].append(c.column)
    parts = [
        f"""SELECT '{source_id}' AS source_id, s._record_key AS record_key,
                   '{entity}' AS entity, l.target_id AS entity_id, s._load_id AS load_id,
                   hash({", ".join(f"s.{q(col)}" for col in cols)}) AS row_hash
            FROM {std_table(source_id)} s
            JOIN links l ON l.source_id = '{source_id}' AND l.entity = '{entity}'
                 AND l.record_key = s._record_key
                 AND l.status = 'linked' AND l.target_id IS NOT NULL
            WHERE s._status = 'accepted' AND NOT coalesce(s._deleted, false)"""
        for (source_id, entity), cols in sorted(groups.items())
    ]
    return "\nUNION ALL\n".join(parts)


def affected(con: duckdb.DuckDBPyConnection, contribs: list[Contribution], sig: str) -> bool:
    """Fill ``g_in`` (current inputs) and ``g_affected`` (records to recompute).

    Returns True when everything must be recomputed (first build, or other contributions)."""
    if contribs:
        con.execute(f"CREATE OR REPLACE TEMP TABLE g_in AS {_inputs_sql(contribs)}")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE g_in AS SELECT * FROM golden_inputs LIMIT 0")
    row = con.execute("SELECT value FROM golden_meta WHERE key = 'signature'").fetchone()
    full = row is None or row[0] != sig
    if full:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE g_affected AS
            SELECT DISTINCT entity, entity_id FROM g_in
            UNION SELECT entity, entity_id FROM golden_entities"""
        )
        return True
    con.execute(
        """CREATE OR REPLACE TEMP TABLE g_affected AS
        SELECT DISTINCT entity, entity_id FROM (
            (SELECT * FROM g_in EXCEPT SELECT * FROM golden_inputs)
            UNION ALL
            (SELECT * FROM golden_inputs EXCEPT SELECT * FROM g_in))"""
    )
    return False


def remember(con: duckdb.DuckDBPyConnection, full: bool, sig: str) -> None:
    """Make the current inputs the reference of the next build (inside its transaction)."""
    if full:
        con.execute("DELETE FROM golden_inputs")
        con.execute("INSERT INTO golden_inputs SELECT * FROM g_in")
    else:
        con.execute(
            """DELETE FROM golden_inputs i USING g_affected a
            WHERE i.entity = a.entity AND i.entity_id = a.entity_id"""
        )
        con.execute(
            "INSERT INTO golden_inputs SELECT * FROM g_in SEMI JOIN g_affected "
            "USING (entity, entity_id)"
        )
    con.execute(
        "INSERT OR REPLACE INTO golden_meta VALUES ('signature', ?)",
        [sig],
    )
