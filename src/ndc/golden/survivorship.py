"""Survivorship in set-based DuckDB SQL: one value per (entity, id, attribute), with provenance.

1. observations: every value a linked, accepted, live std record offers for a golden attribute,
   with its source, record key and as-of time (the start of the pipeline run that loaded that
   version of the record: see docs/golden-records.md for why not a source date column).
2. ``vals``: observations grouped by value: how many records offer it, whether the field's
   master source is among them, when it was first and last seen, and the best record to cite
   (a master record first, then the most recent).
3. ``g_new``: per attribute, the value that wins the field's rules in dictionary order, then
   the most recent, compared as one packed integer key (``arg_max``).
"""

from __future__ import annotations

from collections import defaultdict

import duckdb

from ndc.dictionary import load_dictionary
from ndc.dictionary.schemas import FieldType
from ndc.golden.contributions import GOLDEN_ENTITIES, Contribution
from ndc.pipeline.store import std_table
from ndc.standardize.distinct import quote_identifier as q

# "Bigger wins" key of each rule over a g_vals row, and its width in bits. Times count in
# seconds since 2000 (fit 31 bits until 2068); dates as YYYYMMDD; counts and lengths are capped.
_SECS = "least(greatest(epoch({t}) - 946684800, 0), 2147483647)::BIGINT"
RULES: dict[str, tuple[int, str]] = {
    "master": (1, "has_master::BIGINT"),
    "most_recent": (31, _SECS.format(t="last_as_of")),
    "most_frequent": (20, "least(freq, 1048575)"),
    # Longer is more complete: 'YYYY-MM-DD' over 'YYYY-MM' over 'YYYY', and likewise for text.
    "most_complete": (20, "least(length(value), 1048575)"),
    # A date: the earliest date; anything else: the value recorded first.
    "earliest": (31, "2147483647 - {earliest}"),
}
_EARLIEST_DATE = "CAST(rpad(replace(value, '-', ''), 8, '0') AS BIGINT)"
KEY_BITS = 126  # a non-negative HUGEINT


def _field_key(rules: list[str], is_date: bool) -> str:
    """One field's rules packed, most significant first, into one integer (cheaper for
    ``arg_max`` than a struct); the bits left hold the value's hash, so that values tied on
    every rule still resolve the same way on every run."""
    terms, used = [], 0
    for rule in rules:
        width, sql = RULES[rule]
        used += width
        sql = sql.format(earliest=_EARLIEST_DATE if is_date else _SECS.format(t="first_as_of"))
        terms.append(f"({sql})::HUGEINT * CAST('{2 ** (KEY_BITS - used)}' AS HUGEINT)")
    spare = min(64, KEY_BITS - used)
    terms.append(f"(hash(value) % CAST('{2**spare}' AS HUGEINT))::HUGEINT")
    return " + ".join(terms)


def _key_sql(rows: list[tuple[str, str, str, bool, list[str]]]) -> str:
    """``CASE entity ... CASE attribute ...``: the packed key of each field's own rules."""
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, attribute, _master, is_date, rules in rows:
        by_entity[entity].append(f"WHEN '{attribute}' THEN {_field_key(rules, is_date)}")
    inner = " ".join(
        f"WHEN '{e}' THEN CASE attribute {' '.join(whens)} END" for e, whens in by_entity.items()
    )
    return f"CASE entity {inner} END"


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


def _obs_sql(
    con: duckdb.DuckDBPyConnection,
    contribs: list[Contribution],
    only: bool,
    part: tuple[int, int] = (0, 1),
) -> str:
    """One UNPIVOT per (source, entity): a std row becomes one row per non-null attribute;
    with ``only``, just the rows linked to a golden record listed in ``g_affected``; with
    ``part`` = (i, n), just the golden records whose id hashes to partition i of n."""
    i, n = part
    in_part = f"AND hash(l.target_id) % {n} = {i}" if n > 1 else ""
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
                       AND l.status = 'linked' AND l.target_id IS NOT NULL {in_part}
                  {
                "JOIN g_affected a ON a.entity = l.entity AND a.entity_id = l.target_id"
                if only
                else ""
            }
                  LEFT JOIN runs r ON r.run_id = s._load_id
                  WHERE s._status = 'accepted' AND NOT coalesce(s._deleted, false))
            UNPIVOT (value FOR attribute IN ({names}))"""
        )
    return "\nUNION ALL\n".join(parts)


def rules_rows() -> list[tuple[str, str, str, bool, list[str]]]:
    dictionary = load_dictionary()
    rows = []
    for e in GOLDEN_ENTITIES:
        for f in dictionary.entity(e).fields:
            rules = [str(r) for r in f.survivorship]
            if "most_recent" not in rules:  # the implicit tie-break
                rules.append("most_recent")
            rows.append((e, f.name, f.master_source, f.type is FieldType.DATE, rules))
    return rows


def survive(
    con: duckdb.DuckDBPyConnection,
    contribs: list[Contribution],
    build_time: object,
    only_affected: bool = False,
) -> int:
    """Fill temp table ``g_new`` (the chosen attributes); return the number of observations.

    With ``only_affected``, only the golden records listed in temp table ``g_affected``."""
    rules = rules_rows()
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
    # Observations stream straight into the two groupings (never materialised: at national
    # volume they are tens of millions of rows). The record to cite for a value: a master
    # record first, then the most recent, then the greatest source and record key (a struct's
    # max is deterministic, unlike arg_max on ties). The groupings' struct states cannot spill
    # to disk, so a large build runs in partitions of golden records (by id hash) that each fit
    # in memory.
    parts = 1 if only_affected else _partitions(con)
    for i in range(parts):
        _survive_part(con, contribs, rules, build_time, only_affected, (i, parts), first=i == 0)
    (n,) = con.execute("SELECT coalesce(sum(n_obs), 0) FROM g_new").fetchone() or (0,)
    con.execute("ALTER TABLE g_new DROP COLUMN n_obs")
    return int(n)


#: Linked records per partition of a full build (about 2 GB of grouping state at most).
LINKS_PER_PARTITION = 600_000


def _partitions(con: duckdb.DuckDBPyConnection) -> int:
    (linked,) = con.execute(
        "SELECT count(*) FROM links WHERE status = 'linked' AND target_id IS NOT NULL"
    ).fetchone() or (0,)
    return max(1, -(-int(linked) // LINKS_PER_PARTITION))


def _survive_part(
    con: duckdb.DuckDBPyConnection,
    contribs: list[Contribution],
    rules: list[tuple[str, str, str, bool, list[str]]],
    build_time: object,
    only_affected: bool,
    part: tuple[int, int],
    first: bool,
) -> None:
    target = "CREATE OR REPLACE TEMP TABLE g_new AS" if first else "INSERT INTO g_new"
    con.execute(
        f"""{target}
        WITH o AS ({_obs_sql(con, contribs, only_affected, part)}),
        vals AS (
            SELECT o.entity, o.entity_id, o.attribute, o.value, count(*) AS freq,
                   bool_or(o.source_id = g.master_source) AS has_master,
                   max(o.as_of) AS last_as_of, min(o.as_of) AS first_as_of,
                   max({{'m': o.source_id = g.master_source, 't': o.as_of, 's': o.source_id,
                        'k': o.record_key}}) AS prov
            FROM o JOIN g_rules g USING (entity, attribute)
            GROUP BY o.entity, o.entity_id, o.attribute, o.value)
        SELECT entity, entity_id, attribute, w.v AS value, w.p.s AS source_id,
               w.p.k AS record_key, w.p.t AS as_of, w.m AS verified, n_obs
        FROM (SELECT entity, entity_id, attribute, sum(freq) AS n_obs,
                     arg_max({{'v': value, 'p': prov, 'm': has_master}}, {_key_sql(rules)}) AS w
              FROM vals GROUP BY entity, entity_id, attribute)""",
        {"build_time": build_time},
    )
