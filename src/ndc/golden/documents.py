"""The JSON documents of golden records, built by DuckDB when a record changes.

Built at build time for the records that changed (``g_changed``), so that a publish only
streams ready text to the store. Provenance is compact: ``record`` is the register's own record
(cited by most attributes), ``from`` lists the attributes taken from other records; a record
with several register records (rare) has ``record`` null and lists every attribute. ``srcmask``
has one bit per source (``golden_source_bits``, stable across builds) offering a value: the
sources named by a ``created`` event. Attribute names are snake_case (no escaping needed).
"""

from __future__ import annotations

import duckdb

from ndc.dictionary import load_dictionary
from ndc.golden.contributions import GOLDEN_ENTITIES
from ndc.golden.exceptions import GoldenError

MAX_SOURCES = 62  # one bit each in a BIGINT mask

DOCS_SCHEMA = """
CREATE TABLE IF NOT EXISTS golden_docs (
    entity VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, vals VARCHAR NOT NULL,
    prov VARCHAR NOT NULL, srcmask BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS golden_source_bits (source_id VARCHAR NOT NULL, bit INTEGER NOT NULL);
"""

TS = "coalesce('\"' || strftime({t}, '%Y-%m-%dT%H:%M:%S.%f') || '\"', 'null')"
_REC = (
    "'[' || to_json(source_id)::VARCHAR || ',' || to_json(record_key)::VARCHAR || ','"
    " || " + TS.format(t="as_of") + " || ']'"
)
# A value needs JSON escaping only if it holds a quote, a backslash or a control character
# (standardised values almost never do): plain quoting is much cheaper than ``to_json``.
_JSON_STR = (
    "CASE WHEN regexp_matches(value, '[\"\\\\\\x00-\\x1f]') THEN to_json(value)::VARCHAR "
    "ELSE '\"' || value || '\"' END"
)

_DOCS_SQL = f"""
CREATE OR REPLACE TEMP VIEW d_src AS
SELECT g.*, $register_case AS reg
FROM g_new g SEMI JOIN (SELECT entity, entity_id FROM g_changed WHERE new_fp IS NOT NULL)
     USING (entity, entity_id);
CREATE OR REPLACE TEMP TABLE d_docs AS
SELECT entity, entity_id, vals, from_other, unv, srcmask, rk_min <> rk_max AS multi,
       CASE WHEN rk_min IS NULL OR rk_min <> rk_max THEN 'null'
            ELSE '[' || to_json($register_case)::VARCHAR || ',' || to_json(rk_min)::VARCHAR
                 || ',' || {TS.format(t="t_reg")} || ']' END AS dflt
FROM (
    SELECT entity, entity_id,
           '{{' || string_agg('"' || attribute || '":' || {_JSON_STR}, ',') || '}}' AS vals,
           min(record_key) FILTER (WHERE source_id = reg) AS rk_min,
           max(record_key) FILTER (WHERE source_id = reg) AS rk_max,
           max(as_of) FILTER (WHERE source_id = reg) AS t_reg,
           string_agg(CASE WHEN source_id <> reg THEN '"' || attribute || '":' || {_REC} END,
                      ',') AS from_other,
           coalesce(string_agg(CASE WHEN NOT verified THEN '"' || attribute || '"' END, ','), '')
               AS unv,
           bit_or($source_bits) AS srcmask
    FROM d_src GROUP BY entity, entity_id);
CREATE OR REPLACE TEMP TABLE d_multi AS
SELECT entity, entity_id, string_agg('"' || attribute || '":' || {_REC}, ',') AS from_reg
FROM d_src SEMI JOIN (SELECT entity, entity_id FROM d_docs WHERE multi) USING (entity, entity_id)
WHERE source_id = reg
GROUP BY entity, entity_id;
"""

_STORE_SQL = """
INSERT INTO golden_docs
SELECT d.entity, d.entity_id, d.vals,
       '{"record":' || d.dflt || ',"from":{' || concat_ws(',', d.from_other, m.from_reg)
       || '},"unverified":[' || d.unv || ']}',
       d.srcmask
FROM d_docs d LEFT JOIN d_multi m USING (entity, entity_id)
"""


def register_case() -> str:
    """SQL naming each golden entity's register (its master source) for a row's ``entity``."""
    dictionary = load_dictionary()
    whens = " ".join(
        f"WHEN '{e}' THEN '{dictionary.entity(e).master_source}'" for e in GOLDEN_ENTITIES
    )
    return f"(CASE entity {whens} END)"


def _source_bits(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """All sources in bit order, and those of ``g_in`` that get a bit now (the next free ones)."""
    rows = con.execute("SELECT source_id FROM golden_source_bits ORDER BY bit").fetchall()
    known = [str(r[0]) for r in rows]
    rows = con.execute("SELECT DISTINCT source_id FROM g_in ORDER BY 1").fetchall()
    new = [str(r[0]) for r in rows if r[0] not in known]
    names = known + new
    if len(names) > MAX_SOURCES:
        raise GoldenError(f"{len(names)} sources feed golden records; at most {MAX_SOURCES}")
    return names, new


def prepare_documents(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Build the documents of the changed records in temp tables (outside the transaction);
    return the sources that need a new bit."""
    names, new = _source_bits(con)
    whens = " ".join(f"WHEN '{s}' THEN {1 << i}" for i, s in enumerate(names))
    con.execute(
        _DOCS_SQL.replace("$register_case", register_case()).replace(
            "$source_bits", f"(CASE source_id {whens} ELSE 0 END)::BIGINT"
        )
    )
    return new


def store_documents(con: duckdb.DuckDBPyConnection, new_sources: list[str]) -> None:
    """Replace the changed records' documents (inside the build's transaction)."""
    (top,) = con.execute("SELECT coalesce(max(bit), -1) FROM golden_source_bits").fetchone() or (
        -1,
    )
    for i, source_id in enumerate(new_sources):
        con.execute("INSERT INTO golden_source_bits VALUES (?, ?)", [source_id, top + 1 + i])
    con.execute(
        """DELETE FROM golden_docs d USING g_changed c
        WHERE d.entity = c.entity AND d.entity_id = c.entity_id"""
    )
    con.execute(_STORE_SQL)
    con.execute("DROP VIEW IF EXISTS d_src")
    for t in ("d_docs", "d_multi"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
