"""Lookups for the standardise step, built for national volumes.

Two things keep Python off the hot path:

* **SQL fast paths.** A value already in standard form (a 12-digit CCCD with a known province
  code, a 10-digit mobile number, a title-cased Vietnamese name in the canonical tone placement,
  a date in the source's declared format) is recognised in SQL and gives exactly what the Python
  normaliser would give (tests/pipeline/test_lookups.py holds them to that).
* **A persistent cache.** Every other distinct value goes through its normaliser once and the
  result is kept in a ``cache_<kind>`` table of the pipeline database, shared by all sources and
  runs: the same CCCD, name or address met again in another agency's data costs a join.

Addresses are split on their last commas first: the administrative tail (``Phường X, Tỉnh Y``)
has a few thousand distinct values nationally, the street before it is kept as written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa

from ndc.dictionary.identifiers import MIGRATED_PREFIXES, MOBILE_PREFIXES, cccd_province_codes
from ndc.pipeline.store import one
from ndc.standardize.addresses import ADDRESSES_SCHEMA, parse_address
from ndc.standardize.dates import DATES_SCHEMA, MIN_YEAR, parse_date
from ndc.standardize.distinct import quote_identifier as q
from ndc.standardize.encodings import VIETNAMESE_LETTERS
from ndc.standardize.identifiers import (
    IDS_SCHEMA,
    PHONES_SCHEMA,
    Expected,
    normalize_identifier,
    standardize_phone,
)
from ndc.standardize.names import COMPOUND_FAMILIES, NAMES_SCHEMA, standardize_name

# Bump when a normaliser's output changes: cached results of older versions are dropped.
CACHE_VERSION = "1"

Row = Callable[[str], dict[str, Any]]
NO_FLAGS = "[]::VARCHAR[]"


@dataclass(frozen=True)
class FastPath:
    """Values for which SQL gives exactly the normaliser's result: the predicate over ``v``,
    the result columns (cache column order, without ``raw`` and ``flags``) and the flags."""

    when: str
    columns: list[str]
    flags: str = NO_FLAGS


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in sorted(values)) + ")"


def ensure_cache_version(con: duckdb.DuckDBPyConnection) -> None:
    """Drop cached normaliser results written by another version of the normalisers."""
    con.execute("CREATE TABLE IF NOT EXISTS cache_meta (version VARCHAR)")
    row = one(con, "SELECT max(version) FROM cache_meta")
    if row and row[0] == CACHE_VERSION:
        return
    for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'cache\\_%' "
        "ESCAPE '\\' AND table_name <> 'cache_meta'"
    ).fetchall():
        con.execute(f"DROP TABLE {q(name)}")
    con.execute("DELETE FROM cache_meta")
    con.execute("INSERT INTO cache_meta VALUES (?)", [CACHE_VERSION])


def fill_cache(
    con: duckdb.DuckDBPyConnection,
    name: str,
    schema: pa.Schema,
    row: Row,
    values_sql: str,
) -> str:
    """Normalise the values of ``values_sql`` (one VARCHAR column ``v``) missing from the cache."""
    cache = q(name)
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()[0][0]
    if not exists:
        con.register("_empty", pa.table({f.name: [] for f in schema}, schema=schema))
        try:
            con.execute(f"CREATE TABLE {cache} AS SELECT * FROM _empty")
        finally:
            con.unregister("_empty")
    missing = con.execute(
        f"SELECT DISTINCT v FROM ({values_sql}) s WHERE v IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {cache} c WHERE c.raw = s.v) ORDER BY v"
    ).fetchall()
    if not missing:
        return name
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    for (raw,) in missing:
        columns["raw"].append(raw)
        for key, val in row(raw).items():
            columns[key].append(val)
    con.register("_fresh", pa.table(columns, schema=schema))
    try:
        con.execute(f"INSERT INTO {cache} SELECT * FROM _fresh")
    finally:
        con.unregister("_fresh")
    return name


# --- fast-path predicates and expressions (over a raw VARCHAR expression ``v``) ---------------


@lru_cache(maxsize=1)
def _letter_classes() -> tuple[str, str]:
    letters = set(VIETNAMESE_LETTERS) | set("đĐ") | set("abcdefghijklmnopqrstuvwxyz")
    letters |= {c.upper() for c in letters}
    upper = "".join(sorted(c for c in letters if c.isupper()))
    lower = "".join(sorted(c for c in letters if c.islower()))
    return upper, lower


def _compound_keys() -> str:
    return _in_list(list(COMPOUND_FAMILIES))


def name_fast(v: str) -> str:
    """A name needing no change: title-cased Vietnamese words with diacritics, single spaces,
    traditional tone placement, no compound family name."""
    up, low = _letter_classes()
    word = f"[{up}][{low}]+"
    modern = "[oOuU][àáảãạèéẻẽẹỳýỷỹỵ]( |$)"
    two = fold_sql(f"split_part({v}, ' ', 1) || ' ' || split_part({v}, ' ', 2)")
    return (
        f"(regexp_full_match({v}, '{word}( {word})+') AND NOT regexp_full_match({v}, '[ -~]*') "
        f"AND {v} = nfc_normalize({v}) AND NOT regexp_matches({v}, '{modern}') "
        f"AND {two} NOT IN {_compound_keys()})"
    )


def fold_sql(v: str) -> str:
    """SQL twin of ``fold_accents`` for Vietnamese letters (đ has no decomposition)."""
    return f"lower(strip_accents(replace(replace({v}, 'đ', 'd'), 'Đ', 'D')))"


def name_fast_columns(v: str) -> dict[str, str]:
    family = f"split_part({v}, ' ', 1)"
    given = f"regexp_extract({v}, '(\\S+)$', 1)"
    return {
        "standard": v,
        "key": fold_sql(v),
        "family": family,
        "middle": f"trim(substr({v}, length({family}) + 2, "
        f"length({v}) - length({family}) - length({given}) - 1))",
        "given": given,
    }


def title_sql(v: str) -> str:
    """Each space-separated word with its first letter upper-case and the rest lower-case."""
    return (
        f"array_to_string(list_transform(string_split({v}, ' '), "
        "lambda w: upper(w[1]) || lower(w[2:])), ' ')"
    )


def name_paths(v: str) -> list[FastPath]:
    """Names already standard; names written in capitals (standard once title-cased); names
    typed without accents (flagged, kept as typed once title-cased); names in decomposed
    Unicode (standard once NFC-normalised)."""
    up, _ = _letter_classes()
    order = ("standard", "key", "family", "middle", "given")

    def columns(expr: str) -> list[str]:
        cols = name_fast_columns(expr)
        return [cols[k] for k in order]

    t, n = title_sql(v), f"nfc_normalize({v})"
    tn = title_sql(n)
    capitals = f"(regexp_full_match({v}, '[{up}]+( [{up}]+)+') AND {name_fast(t)})"
    nfd_capitals = f"(regexp_full_match({n}, '[{up}]+( [{up}]+)+') AND {name_fast(tn)})"
    ascii_ok = f"(regexp_full_match({v}, '[A-Za-z]+( [A-Za-z]+)+') AND {ascii_name_fast(t)})"
    return [
        FastPath(name_fast(v), columns(v)),
        FastPath(capitals, columns(t), "['name.case']"),
        FastPath(f"({ascii_ok} AND {v} = {t})", columns(v), "['name.no_accents']"),
        FastPath(ascii_ok, columns(t), "['name.case', 'name.no_accents']"),
        FastPath(f"({v} <> {n} AND {name_fast(n)})", columns(n), "['name.nfd']"),
        FastPath(f"({v} <> {n} AND {nfd_capitals})", columns(tn), "['name.nfd', 'name.case']"),
    ]


def ascii_name_fast(v: str) -> str:
    """A title-cased name of plain ASCII letters (typed without accents), no compound family."""
    two = fold_sql(f"split_part({v}, ' ', 1) || ' ' || split_part({v}, ' ', 2)")
    return (
        f"(regexp_full_match({v}, '[A-Z][a-z]+( [A-Z][a-z]+)+') "
        f"AND {two} NOT IN {_compound_keys()})"
    )


def id_paths(v: str, expected: Expected | None) -> list[FastPath]:
    """Well-formed identifiers of the kind the column holds (for a column of unknown kind: a
    12-digit CCCD or a 10-digit MST with a valid check digit)."""
    paths = []
    fast = id_fast(v, expected)
    if fast:
        paths.append(FastPath(fast, [v, id_fast_kind(expected)]))
    if expected is None:
        paths.append(FastPath(f"coalesce({id_fast(v, 'mst')}, false)", [v, "'mst'"]))
    if expected != "cmnd":  # an old 9-digit card number: kept, flagged where unexpected
        flags = "['id.unexpected_kind']" if expected in ("cccd", "mst") else NO_FLAGS
        paths.append(FastPath(f"regexp_full_match({v}, '[0-9]{{9}}')", [v, "'cmnd'"], flags))
    return paths


def phone_paths(v: str) -> list[FastPath]:
    """Mobile numbers already standard; written "(+84) 32 061 7318"; pre-2018 11-digit numbers
    (converted to their new prefix and flagged)."""
    spaced = f"('0' || replace(substr({v}, 7), ' ', ''))"
    spaced_ok = (
        f"(regexp_full_match({v}, '\\(\\+84\\) [0-9]{{2}} [0-9]{{3}} [0-9]{{4}}') "
        f"AND {phone_fast(spaced)})"
    )
    cases = " ".join(f"WHEN {lit(old)} THEN {lit(new)}" for old, new in MIGRATED_PREFIXES.items())
    migrated = f"((CASE substr({v}, 1, 4) {cases} END) || substr({v}, 5))"
    migrated_ok = f"(regexp_full_match({v}, '0[0-9]{{10}}') AND {phone_fast(migrated)})"
    return [
        FastPath(phone_fast(v), [v, f"'+84' || substr({v}, 2)"]),
        FastPath(spaced_ok, [spaced, f"'+84' || substr({spaced}, 2)"]),
        FastPath(migrated_ok, [migrated, f"'+84' || substr({migrated}, 2)"], "['phone.migrated']"),
    ]


def date_paths(v: str, fmt: str, today: date) -> list[FastPath]:
    fast = date_fast(v, fmt, today)
    if fast is None:
        return []
    return [FastPath(fast, [f"CAST(try_strptime({v}, {lit(fmt)}) AS DATE)", "'day'"])]


def id_fast(v: str, expected: Expected | None) -> str | None:
    if expected in (None, "cccd", "person"):
        codes = _in_list(list(cccd_province_codes()))
        return f"(regexp_full_match({v}, '[0-9]{{12}}') AND substr({v}, 1, 3) IN {codes})"
    if expected == "cmnd":
        return f"regexp_full_match({v}, '[0-9]{{9}}')"
    if expected == "mst":
        weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
        total = " + ".join(
            f"TRY_CAST(substr({v}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(weights)
        )
        return (
            f"(regexp_full_match({v}, '[0-9]{{10}}') AND "
            f"10 - (({total}) % 11) = TRY_CAST(substr({v}, 10, 1) AS INTEGER))"
        )
    return None


def id_fast_kind(expected: Expected | None) -> str:
    return {"mst": "'mst'", "cmnd": "'cmnd'"}.get(expected or "", "'cccd'")


def phone_fast(v: str) -> str:
    return (
        f"(regexp_full_match({v}, '0[0-9]{{9}}') AND substr({v}, 1, 3) IN "
        f"{_in_list(list(MOBILE_PREFIXES))})"
    )


_FORMAT_PARTS = {"%d": "[0-9]{1,2}", "%m": "[0-9]{1,2}", "%Y": "[0-9]{4}"}


def date_fast(v: str, fmt: str | None, today: date) -> str | None:
    """A date written exactly in the declared day-precision format, not in the future."""
    if not fmt or "%d" not in fmt or "%m" not in fmt or "%Y" not in fmt:
        return None
    tokens = re.split(r"(%[a-zA-Z])", fmt)
    if any(t.startswith("%") and t not in _FORMAT_PARTS for t in tokens):
        return None
    pattern = "".join(_FORMAT_PARTS.get(t, re.escape(t)) for t in tokens)
    parsed = f"CAST(try_strptime({v}, {lit(fmt)}) AS DATE)"
    return (
        f"(regexp_full_match({v}, {lit(pattern)}) AND {parsed} IS NOT NULL "
        f"AND {parsed} <= DATE '{today.isoformat()}' AND year({parsed}) >= {MIN_YEAR})"
    )


# --- cached slow paths -------------------------------------------------------------------------


def names_cache(con: duckdb.DuckDBPyConnection, values_sql: str) -> str:
    def row(raw: str) -> dict[str, Any]:
        r = standardize_name(raw)
        return {"standard": r.standard, "key": r.key, "family": r.family, "middle": r.middle,
                "given": r.given, "flags": list(r.flags)}  # fmt: skip

    return fill_cache(con, "cache_name", NAMES_SCHEMA, row, values_sql)


def ids_cache(con: duckdb.DuckDBPyConnection, values_sql: str, expected: Expected | None) -> str:
    def row(raw: str) -> dict[str, Any]:
        r = normalize_identifier(raw, expected)
        return {"value": r.value, "kind": r.kind, "flags": list(r.flags)}

    return fill_cache(con, f"cache_id_{expected or 'any'}", IDS_SCHEMA, row, values_sql)


def phones_cache(con: duckdb.DuckDBPyConnection, values_sql: str) -> str:
    def row(raw: str) -> dict[str, Any]:
        r = standardize_phone(raw)
        return {"value": r.value, "e164": r.e164, "flags": list(r.flags)}

    return fill_cache(con, "cache_phone", PHONES_SCHEMA, row, values_sql)


def dates_cache(con: duckdb.DuckDBPyConnection, values_sql: str, fmt: str, today: date) -> str:
    def row(raw: str) -> dict[str, Any]:
        r = parse_date(raw, fmt, today)
        return {"value": r.value, "precision": r.precision, "flags": list(r.flags)}

    ident = hashlib.sha256(fmt.encode()).hexdigest()[:10]  # table names ignore case: %Y vs %y
    return fill_cache(con, f"cache_date_{ident}_{today:%Y%m%d}", DATES_SCHEMA, row, values_sql)


def addresses_cache(con: duckdb.DuckDBPyConnection, values_sql: str) -> str:
    def row(raw: str) -> dict[str, Any]:
        r = parse_address(raw)
        return {"street": r.street, "commune_code": r.commune_code,
                "province_code": r.province_code, "mode": r.mode, "confidence": r.confidence,
                "legacy_ward_code": r.legacy_ward_code, "flags": list(r.flags)}  # fmt: skip

    return fill_cache(con, "cache_address", ADDRESSES_SCHEMA, row, values_sql)
