"""The golden state kept in the pipeline's DuckDB database.

- ``golden_values``: the current golden attributes (one row per entity, id and attribute).
- ``golden_entities``: one row per golden record with a fingerprint of its attributes.
- ``golden_history``: every change of an attribute of an existing record, old and new, with
  when (build time), why (the run and the source record now cited) and what kind of change.
- ``golden_published``: per serving store, the fingerprint and version last published, so a
  publish writes only entities whose fingerprint moved.
- ``golden_docs`` (documents.py): each record's JSON, ready to publish; ``golden_inputs``
  (inputs.py): the records that fed the last build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ndc.golden.documents import DOCS_SCHEMA
from ndc.golden.exceptions import NothingToBuild, PublishConflict
from ndc.golden.inputs import INPUTS_SCHEMA
from ndc.pipeline.store import connect, table_exists

SCHEMA = """
CREATE TABLE IF NOT EXISTS golden_values (
    entity VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL,
    value VARCHAR NOT NULL, source_id VARCHAR NOT NULL, record_key VARCHAR NOT NULL,
    as_of TIMESTAMP, verified BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS golden_entities (
    entity VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, fingerprint UBIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, run_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS golden_history (
    entity VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL,
    change VARCHAR NOT NULL,  -- added | changed | provenance | removed
    old_value VARCHAR, old_source_id VARCHAR, old_record_key VARCHAR, old_as_of TIMESTAMP,
    old_verified BOOLEAN,
    value VARCHAR, source_id VARCHAR, record_key VARCHAR, as_of TIMESTAMP, verified BOOLEAN,
    changed_at TIMESTAMP NOT NULL, run_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS golden_published (
    store_key VARCHAR NOT NULL, entity VARCHAR NOT NULL, entity_id VARCHAR NOT NULL,
    fingerprint UBIGINT,  -- NULL once the record was deleted from that store
    version INTEGER NOT NULL, published_at TIMESTAMP NOT NULL
);
"""


def open_state(data_dir: Path, *, need_links: bool = True) -> duckdb.DuckDBPyConnection:
    """The pipeline database with the golden tables; a held lock is a retryable conflict."""
    try:
        con = connect(data_dir)
    except duckdb.IOException as exc:
        raise PublishConflict(f"pipeline database is busy: {exc}") from exc
    for schema in (SCHEMA, DOCS_SCHEMA, INPUTS_SCHEMA):
        con.execute(schema)
    if need_links and not table_exists(con, "links"):
        con.close()
        raise NothingToBuild(
            f"no 'links' table in {data_dir / 'pipeline.duckdb'}: "
            "run the pipeline and linking first"
        )
    return con
