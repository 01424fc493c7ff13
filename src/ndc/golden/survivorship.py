"""Survivorship in set-based DuckDB SQL: one value per (entity, id, attribute), with provenance.

1. ``g_obs``: every value a linked, accepted, live std record offers for a golden attribute,
   with its source, record key and as-of time (the start of the pipeline run that loaded that
   version of the record: see docs/golden-records.md for why not a source date column).
2. ``g_vals``: observations grouped by value: how many records offer it, whether the field's
   master source is among them, when it was first and last seen, and the best record to cite
   (a master record first, then the most recent).
3. ``g_new``: per attribute, the value that wins the field's rules in dictionary order, compared
   as a tuple of keys (``arg_max``), with a value hash as the last, deterministic tie-break.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb

from ndc.dictionary import load_dictionary
from ndc.dictionary.schemas import FieldType
from ndc.golden.contributions import GOLDEN_ENTITIES, Contribution
from ndc.pipeline.store import std_table
from ndc.standardize.distinct import quote_identifier as q

# "Bigger wins" key of each rule, over a g_vals row.
RULE_KEYS = {
    "master": "has_master::BIGINT",
    "most_recent": "epoch_us(last_as_of)",
    "most_frequent": "freq",
    # Longer is more complete: 'YYYY-MM-DD' over 'YYYY-MM' over 'YYYY', and likewise for text.
    "most_complete": "length(value)",
    # A date: the earliest date; anything else: the value recorded first.
    "earliest": "CASE WHEN is_date THEN -CAST(rpad(replace(value, '-', ''), 8, '0') AS BIGINT) "
    "ELSE -epoch_us(first_as_of) END",
}


def _value_sql(col: str, dtype: str, columns: set[str]) -> str:
    """The column as golden text: partial dates at their precision, whole decimals unpadded."""
    c = f"s.{q(col)}"
    if dtype == "DATE" or dtype.startswith("TIMESTAMP"):
        prec = f"{col}__precision"
        if prec in columns:
            return (
                f"CASE s.{q(prec)} WHEN 'year' THEN strftime({c}, '%Y') "
                f"WHEN 'month' THEN strftime({c}, '%Y-%m') ELSE strftime({c}, '%Y-%m-%d') END"
            )
        return f"strftime({c}, '%Y-%m-%d')"
    if dtype in ("DOUBLE", "FLOAT", "REAL") or dtype.startswith("DECIMAL"):
        return (
            f"CASE WHEN {c} = trunc({c}) AND abs({c}) < 1e18 "
            f"THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END"
        )
    return f"NULLIF(trim(CAST({c} AS VARCHAR)), '')"


def _types(con: duckdb.DuckDBPyConnection, source_id: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
        [f"std_{source_id}"],
    ).fetchall()
    return {str(n): str(t) for n, t in rows}


def _obs_sql(con: duckdb.DuckDBPyConnection, contribs: list[Contribution]) -> str:
    """One UNPIVOT per (source, entity): a std row becomes one row per non-null attribute."""
    groups: dict[tuple[str, str], list[Contribution]] = defaultdict(list)
    for c in contribs:
        groups[(c.source_id, c.entity)].append(c)
    parts = []
    for (source_id, entity), cs in sorted(groups.items()):
        types = _types(con, source_id)
        cols = ", ".join(
            f"{_value_sql(c.column, types[c.column], set(types))} AS {q(c.attribute)}" for c in cs
        )
        names = ", ".join(q(c.attribute) for c in cs)
        parts.append(
            f"""SELECT '{entity}' AS entity, entity_id, attribute, value,
                   '{source_id}' AS source_id, record_key, as_of
            FROM (SELECT l.target_id AS entity_id, s._record_key AS record_key,
                         coalesce(r.started_at, $build_time) AS as_of, {cols}
                  FROM {std_table(source_id)} s
                  JOIN links l ON l.source_id = '{source_id}' AND l.entity = '{entity}'
                       AND l.record_key = s._record_key
                       AND l.status = 'linked' AND l.target_id IS NOT NULL
                  LEFT JOIN runs r ON r.run_id = s._load_id
                  WHERE s._status = 'accepted' AND NOT coalesce(s._deleted, false))
            UNPIVOT (value FOR attribute IN ({names}))"""
        )
    return "\nUNION ALL\n".join(parts)


def _rules_rows() -> list[tuple[str, str, str, bool, list[str]]]:
    dictionary = load_dictionary()
    return [
        (e, f.name, f.master_source, f.type is FieldType.DATE, [str(r) for r in f.survivorship])
        for e in GOLDEN_ENTITIES
        for f in dictionary.entity(e).fields
    ]


def survive(
    con: duckdb.DuckDBPyConnection, contribs: list[Contribution], build_time: object
) -> int:
    """Fill temp table ``g_new`` (the chosen attributes); return the number of observations."""
    rules = _rules_rows()
    depth = max(len(r[4]) for r in rules)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE g_rules (entity VARCHAR, attribute VARCHAR, "
        "master_source VARCHAR, is_date BOOLEAN, rules VARCHAR[])"
    )
    con.executemany("INSERT INTO g_rules VALUES (?, ?, ?, ?, ?)", rules)
    if not contribs:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE g_new (entity VARCHAR, entity_id VARCHAR, attribute "
            "VARCHAR, value VARCHAR, source_id VARCHAR, record_key VARCHAR, as_of TIMESTAMP, "
            "verified BOOLEAN)"
        )
        return 0
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE g_obs AS {_obs_sql(con, contribs)}",
        {"build_time": build_time},
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE g_vals AS
        SELECT o.entity, o.entity_id, o.attribute, o.value, any_value(g.rules) AS rules,
               any_value(g.is_date) AS is_date, count(*) AS freq,
               bool_or(o.source_id = g.master_source) AS has_master,
               max(o.as_of) AS last_as_of, min(o.as_of) AS first_as_of,
               arg_max({'source_id': o.source_id, 'record_key': o.record_key, 'as_of': o.as_of},
                       {'m': o.source_id = g.master_source, 't': o.as_of,
                        's': o.source_id, 'k': o.record_key}) AS prov
        FROM g_obs o JOIN g_rules g USING (entity, attribute)
        GROUP BY o.entity, o.entity_id, o.attribute, o.value"""
    )
    keys = []
    for i in range(1, depth + 1):
        cases = " ".join(f"WHEN '{rule}' THEN {sql}" for rule, sql in RULE_KEYS.items())
        keys.append(f"'k{i}': coalesce(CASE rules[{i}] {cases} END, 0)")
    keys.append("'h': hash(value)")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE g_new AS
        SELECT entity, entity_id, attribute, w.value AS value, w.prov.source_id AS source_id,
               w.prov.record_key AS record_key, w.prov.as_of AS as_of, w.verified AS verified
        FROM (SELECT entity, entity_id, attribute,
                     arg_max({{'value': value, 'prov': prov, 'verified': has_master}},
                             {{{", ".join(keys)}}}) AS w
              FROM g_vals GROUP BY entity, entity_id, attribute)"""
    )
    (n,) = con.execute("SELECT count(*) FROM g_obs").fetchone() or (0,)
    con.execute("DROP TABLE g_obs")
    con.execute("DROP TABLE g_vals")
    return int(n)
