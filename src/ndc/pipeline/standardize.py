"""Standardise a batch set-based: values already standard are recognised in SQL, every other
distinct value goes once through its normaliser (results cached across sources and runs), and
one SQL statement joins it all into the std rows.

Every standard value keeps its original beside it (``<field>__raw``); every repair or doubt is a
flag ``<field>:<reason>`` in ``_flags``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb

from ndc.dictionary import code_list
from ndc.pipeline import lookups as lk
from ndc.pipeline.fields import MappedField
from ndc.standardize.codes import map_codes_table
from ndc.standardize.dates import parse_dates_table
from ndc.standardize.distinct import quote_identifier as q
from ndc.standardize.identifiers import Expected

SOURCE = "_todo"
_EXPECTED: dict[str, Expected] = {"cccd": "cccd", "cmnd": "cmnd", "mst": "mst"}
_NO_FLAGS = "[]::VARCHAR[]"


@dataclass
class _Query:
    selects: list[str] = field(default_factory=lambda: ["t._record_key", "t._load_id",
                                                        "t._file", "t._row_number"])  # fmt: skip
    joins: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    lookups: dict[str, str] = field(default_factory=dict)  # std column -> lookup table

    def join(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        alias: str,
        on: str,
        column: str,
        prefixed: bool = False,
    ) -> None:
        """Join a lookup on its raw value; its flags, '<column>:'-prefixed once per distinct
        value (not per row), go into the row's ``_flags``."""
        if not prefixed:
            copy = f"_pf_{alias}"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {copy} AS SELECT * REPLACE "
                f"({_prefix('flags', column)} AS flags) FROM {q(table)}"
            )
            table = copy
        self.joins.append(f"LEFT JOIN {q(table)} {alias} ON {alias}.raw = {on}")
        self.lookups[column] = table
        self.flags.append(f"coalesce({alias}.flags, {_NO_FLAGS})")


def _prefix(flags: str, column: str) -> str:
    return f"list_transform({flags}, lambda x: '{column}:' || x)"


def _present_flags(con: duckdb.DuckDBPyConnection, qy: _Query) -> set[str]:
    """Every '<column>:<flag>' some value of the batch carries (from the small lookup tables)."""
    if not qy.lookups:
        return set()
    parts = " UNION ".join(
        f"SELECT DISTINCT unnest(flags) AS f FROM {q(t)}" for t in qy.lookups.values()
    )
    return {r[0] for r in con.execute(parts).fetchall()}


def _decimal(col: str) -> str:
    # Vietnamese exports write 1.500.000,5 (dot thousands, decimal comma); others 1500000.5.
    v = f"replace(trim({col}), ' ', '')"
    return (
        f"CASE WHEN {v} LIKE '%,%' "
        f"THEN TRY_CAST(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE) "
        f"ELSE TRY_CAST({v} AS DOUBLE) END"
    )


def _lookup(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    col: str,
    paths: list[lk.FastPath],
    fill: Callable[[str], str],
    column: str | None = None,
) -> str:
    """One lookup table per mapped column, over its distinct values: SQL fast paths for values
    whose standard form SQL can give exactly (each a predicate, column expressions over ``v`` in
    the cache's column order, and its flags), the cached normaliser for the rest. Returns the
    table to join on ``raw``."""
    d, name = f"_d_{alias}", f"_lk_{alias}"
    which = " ".join(f"WHEN {p.when} THEN {i + 1}" for i, p in enumerate(paths))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {d} AS SELECT v, "
        f"{f'CASE {which} ELSE 0 END' if paths else '0'} AS path FROM "
        f"(SELECT DISTINCT CAST({q(col)} AS VARCHAR) AS v FROM {SOURCE}) WHERE v IS NOT NULL"
    )
    cache = q(fill(f"SELECT v FROM {d} WHERE path = 0"))
    names = [r[0] for r in con.execute(f"DESCRIBE {cache}").fetchall()][1:-1]
    parts = []
    for i, p in enumerate(paths):
        cols = ", ".join(f"{e} AS {q(n)}" for e, n in zip(p.columns, names, strict=True))
        parts.append(f"SELECT v AS raw, {cols}, {p.flags} AS flags FROM {d} WHERE path = {i + 1}")
    parts.append(f"SELECT c.* FROM {d} JOIN {cache} c ON c.raw = {d}.v WHERE {d}.path = 0")
    union = " UNION ALL ".join(parts)
    if column:  # flags carry their column, as in the std rows
        union = f"SELECT * REPLACE ({_prefix('flags', column)} AS flags) FROM ({union})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {union}")
    return name


def _name(con: duckdb.DuckDBPyConnection, qy: _Query, a: str, c: str, col: str) -> None:
    table = _lookup(con, a, col, lk.name_paths("v"), lambda sql: lk.names_cache(con, sql), c)
    qy.join(con, table, a, f"CAST(t.{q(col)} AS VARCHAR)", c, prefixed=True)
    qy.selects += [f"{a}.standard AS {q(c)}", f"{a}.key AS {q(c + '__key')}"]
    qy.selects += [f"{a}.{p} AS {q(c + '__' + p)}" for p in ("family", "middle", "given")]


def _identifier(
    con: duckdb.DuckDBPyConnection, qy: _Query, a: str, c: str, col: str, mf: MappedField
) -> None:
    check = mf.field.check.value if mf.field and mf.field.check else ""
    expected = _EXPECTED.get(check)
    table = _lookup(
        con, a, col, lk.id_paths("v", expected), lambda sql: lk.ids_cache(con, sql, expected), c
    )
    qy.join(con, table, a, f"CAST(t.{q(col)} AS VARCHAR)", c, prefixed=True)
    qy.selects += [f"{a}.value AS {q(c)}", f"{a}.kind AS {q(c + '__kind')}"]


def _phone(con: duckdb.DuckDBPyConnection, qy: _Query, a: str, c: str, col: str) -> None:
    table = _lookup(con, a, col, lk.phone_paths("v"), lambda sql: lk.phones_cache(con, sql), c)
    qy.join(con, table, a, f"CAST(t.{q(col)} AS VARCHAR)", c, prefixed=True)
    qy.selects.append(f"{a}.value AS {q(c)}")


def _date(
    con: duckdb.DuckDBPyConnection,
    qy: _Query,
    a: str,
    c: str,
    col: str,
    fmt: str | None,
    today: date,
) -> None:
    tv = f"CAST(t.{q(col)} AS VARCHAR)"
    if fmt is None:  # no declared format: the day/month order is inferred over the batch
        qy.join(con, parse_dates_table(con, SOURCE, col, None), a, tv, c)
    else:
        table = _lookup(
            con, a, col, lk.date_paths("v", fmt, today),
            lambda sql: lk.dates_cache(con, sql, fmt, today), c,
        )  # fmt: skip
        qy.join(con, table, a, tv, c, prefixed=True)
    qy.selects += [f"{a}.value AS {q(c)}", f"{a}.precision AS {q(c + '__precision')}"]


_TAIL = {2: "[^,]*,[^,]*$", 3: "[^,]*,[^,]*,[^,]*$"}


def _address(con: duckdb.DuckDBPyConnection, qy: _Query, a: str, c: str, col: str) -> None:
    """Parse the administrative tail (last two, then three comma parts); the full text only for
    addresses whose tail does not resolve exactly. The street is what stands before the tail."""
    base = f"_addr_{a}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {base} AS SELECT v, "
        f"trim(regexp_extract(v, '{_TAIL[2]}')) AS t2, "
        f"trim(regexp_extract(v, '{_TAIL[3]}')) AS t3 "
        f"FROM (SELECT DISTINCT CAST({q(col)} AS VARCHAR) AS v FROM {SOURCE}) WHERE v IS NOT NULL"
    )
    cache = "cache_address"
    lk.addresses_cache(con, f"SELECT t2 AS v FROM {base} WHERE t2 <> ''")

    def ok(alias: str) -> str:
        return (
            f"({alias}.street = '' AND {alias}.confidence = 1 AND len({alias}.flags) = 0 "
            f"AND {alias}.commune_code IS NOT NULL)"
        )

    lk.addresses_cache(
        con,
        f"SELECT b.t3 AS v FROM {base} b LEFT JOIN {cache} x ON x.raw = b.t2 "
        f"WHERE b.t3 <> '' AND NOT coalesce({ok('x')}, false)",
    )
    lk.addresses_cache(
        con,
        f"SELECT b.v FROM {base} b LEFT JOIN {cache} x ON x.raw = b.t2 "
        f"LEFT JOIN {cache} y ON y.raw = b.t3 "
        f"WHERE NOT coalesce({ok('x')}, false) AND NOT coalesce({ok('y')}, false)",
    )
    resolved = f"_addr_res_{a}"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {resolved} AS
        SELECT b.v AS raw,
            CASE WHEN coalesce({ok("x")}, false) THEN 2
                 WHEN coalesce({ok("y")}, false) THEN 3 ELSE 0 END AS tail,
            CASE WHEN coalesce({ok("x")}, false)
                 THEN trim(regexp_replace(left(b.v, length(b.v) - length(b.t2)), ',\\s*$', ''))
                 WHEN coalesce({ok("y")}, false)
                 THEN trim(regexp_replace(left(b.v, length(b.v) - length(b.t3)), ',\\s*$', ''))
                 ELSE z.street END AS street,
            CASE WHEN coalesce({ok("x")}, false) THEN x.commune_code
                 WHEN coalesce({ok("y")}, false) THEN y.commune_code
                 ELSE z.commune_code END AS commune_code,
            CASE WHEN coalesce({ok("x")}, false) THEN x.province_code
                 WHEN coalesce({ok("y")}, false) THEN y.province_code
                 ELSE z.province_code END AS province_code,
            CASE WHEN coalesce({ok("x")}, false) THEN x.mode
                 WHEN coalesce({ok("y")}, false) THEN y.mode ELSE z.mode END AS mode,
            CASE WHEN coalesce({ok("x")}, false) OR coalesce({ok("y")}, false) THEN 1.0
                 ELSE z.confidence END AS confidence,
            CASE WHEN coalesce({ok("x")}, false) OR coalesce({ok("y")}, false)
                 THEN {_NO_FLAGS} ELSE z.flags END AS flags
        FROM {base} b
        LEFT JOIN {cache} x ON x.raw = b.t2
        LEFT JOIN {cache} y ON y.raw = b.t3
        LEFT JOIN {cache} z ON z.raw = b.v
        """
    )
    qy.join(con, resolved, a, f"CAST(t.{q(col)} AS VARCHAR)", c)
    qy.selects += [
        f"{a}.street AS {q(c + '_street')}",
        f"{a}.commune_code AS {q(c + '_commune_code')}",
        f"{a}.province_code AS {q(c + '_province_code')}",
        f"{a}.confidence AS {q(c + '__confidence')}",
        f"{a}.mode AS {q(c + '__mode')}",
    ]


def _code(
    con: duckdb.DuckDBPyConnection, qy: _Query, a: str, c: str, col: str, mf: MappedField
) -> None:
    if not (mf.field and mf.field.code_list):
        raise ValueError(f"mapping '{mf.key}': transform 'code' needs a code-list field")
    table = map_codes_table(con, SOURCE, col, code_list(mf.field.code_list))
    raw = f"t.{q(col)}"
    qy.join(con, table, a, f"CAST({raw} AS VARCHAR)", c)
    # The source's own value table wins over the generic matching.
    whens = " ".join(f"WHEN {lk.lit(k)} THEN {lk.lit(v)}" for k, v in mf.mapping.values.items())
    expr = f"CASE {raw} {whens} ELSE {a}.code END" if whens else f"{a}.code"
    qy.selects.append(f"{expr} AS {q(c)}")


def _number(qy: _Query, c: str, raw: str, decimal: bool) -> None:
    expr = (
        _decimal(raw)
        if decimal
        else f"TRY_CAST(replace(replace(trim({raw}), '.', ''), ' ', '') AS BIGINT)"
    )
    qy.selects.append(f"{expr} AS {q(c)}")
    qy.flags.append(
        f"CASE WHEN {raw} IS NOT NULL AND {expr} IS NULL "
        f"THEN ['{c}:number.invalid'] ELSE {_NO_FLAGS} END"
    )


def build_std(
    con: duckdb.DuckDBPyConnection,
    fields: list[MappedField],
    natives: list[str],
    today: date | None = None,
) -> set[str]:
    """Create the table ``_std`` from ``_todo``; returns the '<column>:<flag>' flags present."""
    today = today or date.today()
    lk.ensure_cache_version(con)
    qy = _Query()
    for i, mf in enumerate(fields):
        col, c, t, a = mf.mapping.column, mf.column, mf.mapping.transform, f"lk{i}"
        if col not in natives:  # schema drift: mapped column missing -> all values missing
            qy.selects.append(f"NULL::VARCHAR AS {q(c + '__raw')}")
            parts = ("_street", "_commune_code", "_province_code") if t == "address" else ("",)
            qy.selects += [f"NULL::VARCHAR AS {q(c + p)}" for p in parts]
            qy.flags.append(f"['{c}:source.column_missing']")
            continue
        raw = f"t.{q(col)}"
        qy.selects.append(f"{raw} AS {q(c + '__raw')}")
        if t == "name":
            _name(con, qy, a, c, col)
        elif t == "identifier":
            _identifier(con, qy, a, c, col, mf)
        elif t == "phone":
            _phone(con, qy, a, c, col)
        elif t == "date":
            _date(con, qy, a, c, col, mf.mapping.format, today)
        elif t == "address":
            _address(con, qy, a, c, col)
        elif t == "code":
            _code(con, qy, a, c, col, mf)
        elif t in ("integer", "decimal"):
            _number(qy, c, raw, t == "decimal")
        else:  # text
            qy.selects.append(f"nullif(trim(nfc_normalize({raw})), '') AS {q(c)}")
    flags = "flatten([" + ", ".join(qy.flags) + "])" if qy.flags else _NO_FLAGS
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _std AS SELECT {', '.join(qy.selects)}, "
        f"CAST({flags} AS VARCHAR[]) AS _flags FROM {SOURCE} t {' '.join(qy.joins)}"
    )
    return _present_flags(con, qy)
