"""DuckDB SQL of ``publish``: which records changed since the last publish, and their events.

The records' JSON documents are ready (``golden_docs``, built with them); the events' JSON is
built here, by DuckDB, as text.
"""

from __future__ import annotations

# Records whose fingerprint differs from the one last published to this store, split in
# partitions so DuckDB prepares one while the store writes the previous one.
CHANGED_SQL = """
CREATE OR REPLACE TEMP TABLE p_changed AS
SELECT coalesce(e.entity, p.entity) AS entity, coalesce(e.entity_id, p.entity_id) AS entity_id,
       e.fingerprint, coalesce(p.version, 0) + 1 AS version,
       CASE WHEN e.fingerprint IS NULL THEN 'deleted'
            WHEN p.fingerprint IS NULL THEN 'created' ELSE 'updated' END AS kind,
       CASE WHEN p.fingerprint IS NULL THEN NULL ELSE p.published_at END AS published_at
FROM golden_entities e
FULL JOIN (SELECT * FROM golden_published WHERE store_key = $key) p USING (entity, entity_id)
WHERE e.fingerprint IS DISTINCT FROM p.fingerprint
"""

# A partition of the changed records, by a hash of the entity id.
PART_SQL = """
CREATE OR REPLACE TEMP TABLE p_part AS
SELECT * FROM p_changed WHERE hash(entity_id) % $parts = $part
"""

_OLD_STATE = (
    "{'value': old_value, 'source_id': old_source_id, 'record_key': old_record_key, "
    "'as_of': strftime(old_as_of, '%Y-%m-%dT%H:%M:%S.%f'), 'verified': old_verified}"
)

# A partition's records with their events. For an update, the attributes whose state differs
# from the last published one (its earliest "old" state in the history since that publish).
ROWS_SQL = f"""
WITH h AS (SELECT h.entity, h.entity_id, h.attribute,
                  arg_min({_OLD_STATE}, h.changed_at) AS old,
                  arg_min(h.old_value, h.changed_at) AS ov,
                  arg_min(h.old_source_id, h.changed_at) AS os,
                  arg_min(h.old_record_key, h.changed_at) AS ok,
                  arg_min(h.old_verified, h.changed_at) AS overi
           FROM golden_history h JOIN p_part c USING (entity, entity_id)
           WHERE c.published_at IS NOT NULL AND h.changed_at > c.published_at
           GROUP BY h.entity, h.entity_id, h.attribute),
hd AS (SELECT h.entity, h.entity_id,
              to_json(list(h.attribute ORDER BY h.attribute))::VARCHAR AS attrs,
              to_json(map_from_entries(list(
                  {{'k': h.attribute, 'v': CASE WHEN h.ov IS NOT NULL THEN h.old END}}
              )))::VARCHAR AS prev,
              to_json(coalesce(list(DISTINCT g.source_id ORDER BY g.source_id)
                               FILTER (WHERE g.source_id IS NOT NULL), []))::VARCHAR AS srcs
       FROM h LEFT JOIN golden_values g USING (entity, entity_id, attribute)
       WHERE (h.ov, h.os, h.ok, h.overi)
             IS DISTINCT FROM (g.value, g.source_id, g.record_key, g.verified)
       GROUP BY h.entity, h.entity_id)
SELECT c.entity, c.entity_id, c.version, c.kind, d.vals, d.prov,
       CASE WHEN c.kind = 'created' THEN NULL ELSE coalesce(hd.attrs, '[]') END AS attrs,
       CASE WHEN c.kind = 'created' THEN NULL ELSE hd.prev END AS prev,
       CASE WHEN c.kind = 'created' THEN NULL ELSE coalesce(hd.srcs, '[]') END AS srcs,
       d.srcmask
FROM p_part c
LEFT JOIN golden_docs d USING (entity, entity_id)
LEFT JOIN hd USING (entity, entity_id)
ORDER BY c.entity, c.entity_id
"""

REMEMBER_SQL = (
    """DELETE FROM golden_published p USING p_changed c
    WHERE p.store_key = $key AND p.entity = c.entity AND p.entity_id = c.entity_id""",
    """INSERT INTO golden_published
    SELECT $key, entity, entity_id, fingerprint, version, $now FROM p_changed""",
)


def part_sql(part: int, parts: int) -> str:
    return PART_SQL.replace("$parts", str(int(parts))).replace("$part", str(int(part)))
