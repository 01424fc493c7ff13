"""DuckDB SQL of the parcel publish: each live parcel as JSON text with a fingerprint.

Which std columns are parcel fields is read from the land register's config and the dictionary
(every mapped field of the ``land_parcel`` entity), never hand-listed; ``person.*`` columns
describe the holder for linking and are left out. Values are rendered as golden values are
(dates at their precision, whole decimals unpadded), so a client formats both alike.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ndc.dictionary import load_dictionary
from ndc.golden.documents import TS
from ndc.golden.survivorship import _types, _value_sql
from ndc.pipeline.fields import resolve
from ndc.pipeline.store import std_table, table_exists
from ndc.sources.schemas import SourceConfig
from ndc.sources.service import load_configs

ENTITY = "land_parcel"

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS parcels_published (
    store_key VARCHAR NOT NULL, parcel_id VARCHAR NOT NULL, fingerprint UBIGINT NOT NULL
)
"""

_NO_LINKS = (
    "SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS target_id, NULL::VARCHAR AS method, "
    "NULL::DOUBLE AS match_probability WHERE false"
)


def parcel_source(data_dir: Path) -> SourceConfig | None:
    """The config of the land register: the master source of ``land_parcel``."""
    master = load_dictionary().entity(ENTITY).master_source
    for cfg in load_configs(data_dir):
        if cfg.id == master and cfg.entity == ENTITY:
            return cfg
    return None


def parcel_fields(cfg: SourceConfig) -> list[tuple[str, str]]:
    """(field, std column) of every parcel field the config maps, sorted by field."""
    fields = {
        mf.field.name: mf.column
        for mf in resolve(cfg)
        if mf.entity == cfg.entity and mf.field is not None
    }
    return sorted(fields.items())


def _owner_links(con: duckdb.DuckDBPyConnection, source_id: str) -> str:
    if not table_exists(con, "links"):
        return _NO_LINKS
    return f"""SELECT record_key, target_id, method, match_probability FROM links
        WHERE source_id = '{source_id}' AND entity = 'person' AND status = 'linked'
          AND target_id IS NOT NULL"""


def current_sql(con: duckdb.DuckDBPyConnection, cfg: SourceConfig) -> str:
    """``lp_cur``: parcel id, owner id, values and provenance JSON, fingerprint of the three."""
    types = _types(con, cfg.id)
    fields = [(name, col) for name, col in parcel_fields(cfg) if col in types]
    cols = "".join(
        f", {_value_sql(col, types[col], set(types))} AS v{i}" for i, (_n, col) in enumerate(fields)
    )
    pairs = ", ".join(
        f"""CASE WHEN v{i} IS NOT NULL THEN '"{name}":' || to_json(v{i})::VARCHAR END"""
        for i, (name, _c) in enumerate(fields)
    )
    vals = f"'{{' || concat_ws(',', {pairs}) || '}}'" if fields else "'{}'"
    owner = (
        "CASE WHEN owner_id IS NULL THEN '' ELSE "
        """',"owner":{"method":' || to_json(method)::VARCHAR || ',"match_probability":' """
        "|| coalesce(round(match_probability, 6)::VARCHAR, 'null') || '}' END"
    )
    prov = f"""'{{"record":[' || to_json('{cfg.id}')::VARCHAR || ',' || to_json(parcel_id)::VARCHAR
           || ',' || {TS.format(t="as_of")} || ']' || {owner} || '}}'"""
    return f"""
CREATE OR REPLACE TEMP TABLE lp_cur AS
SELECT parcel_id, owner_id, vals, prov, hash(owner_id, vals, prov) AS fingerprint
FROM (SELECT parcel_id, owner_id, {vals} AS vals, {prov} AS prov
      FROM (SELECT s._record_key AS parcel_id, l.target_id AS owner_id, l.method,
                   l.match_probability, r.started_at AS as_of{cols}
            FROM {std_table(cfg.id)} s
            LEFT JOIN ({_owner_links(con, cfg.id)}) l ON l.record_key = s._record_key
            LEFT JOIN runs r ON r.run_id = s._load_id
            WHERE s._status = 'accepted' AND NOT coalesce(s._deleted, false)
              AND s._record_key IS NOT NULL))
"""


# Parcels whose fingerprint differs from the one last published to this store.
CHANGED_SQL = """
CREATE OR REPLACE TEMP TABLE lp_changed AS
SELECT parcel_id, c.owner_id, c.vals, c.prov, c.fingerprint,
       CASE WHEN c.fingerprint IS NULL THEN 'deleted'
            WHEN p.fingerprint IS NULL THEN 'inserted' ELSE 'updated' END AS kind
FROM lp_cur c
FULL JOIN (SELECT parcel_id, fingerprint FROM parcels_published WHERE store_key = $key) p
     USING (parcel_id)
WHERE c.fingerprint IS DISTINCT FROM p.fingerprint
"""

REMEMBER_SQL = (
    """DELETE FROM parcels_published p USING lp_changed c
    WHERE p.store_key = $key AND p.parcel_id = c.parcel_id""",
    """INSERT INTO parcels_published
    SELECT $key, parcel_id, fingerprint FROM lp_changed WHERE kind <> 'deleted'""",
)


def has_parcels(con: duckdb.DuckDBPyConnection, cfg: SourceConfig) -> bool:
    return table_exists(con, std_table(cfg.id))
