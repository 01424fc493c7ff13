"""Standardise a batch set-based: one lookup table per mapped column (Python runs once per distinct
value, in ``ndc.standardize``), then one SQL statement joins them into the std rows.

Every standard value keeps its original beside it (``<field>__raw``); every repair or doubt is a
flag ``<field>:<reason>`` in ``_flags``.
"""

from __future__ import annotations

import duckdb

from ndc.dictionary import code_list
from ndc.pipeline.fields import MappedField
from ndc.standardize.addresses import parse_addresses_table
from ndc.standardize.codes import map_codes_table
from ndc.standardize.dates import parse_dates_table
from ndc.standardize.distinct import quote_identifier as q
from ndc.standardize.identifiers import (
    Expected,
    normalize_identifiers_table,
    standardize_phones_table,
)
from ndc.standardize.names import standardize_names_table

SOURCE = "_todo"
_EXPECTED: dict[str, Expected] = {"cccd": "cccd", "cmnd": "cmnd", "mst": "mst"}


def _flags(alias: str, column: str) -> str:
    return f"coalesce(list_transform({alias}.flags, lambda x: '{column}:' || x), [])"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _decimal(col: str) -> str:
    # Vietnamese exports write 1.500.000,5 (dot thousands, decimal comma); others 1500000.5.
    v = f"replace(trim({col}), ' ', '')"
    return (
        f"CASE WHEN {v} LIKE '%,%' "
        f"THEN TRY_CAST(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE) "
        f"ELSE TRY_CAST({v} AS DOUBLE) END"
    )


def build_std(con: duckdb.DuckDBPyConnection, fields: list[MappedField], natives: list[str]) -> str:
    """Create the temporary table ``_std`` from ``_todo`` and return its name."""
    selects = ["t._record_key", "t._load_id", "t._file", "t._row_number"]
    joins: list[str] = []
    flag_exprs: list[str] = []
    for i, mf in enumerate(fields):
        col = mf.mapping.column
        c = mf.column
        if col not in natives:  # schema drift: mapped column missing -> all values missing
            selects.append(f"NULL::VARCHAR AS {q(c + '__raw')}")
            if mf.mapping.transform == "address":
                for part in ("street", "commune_code", "province_code"):
                    selects.append(f"NULL::VARCHAR AS {q(c + '_' + part)}")
            else:
                selects.append(f"NULL::VARCHAR AS {q(c)}")
            flag_exprs.append(f"['{c}:source.column_missing']")
            continue
        raw = f"t.{q(col)}"
        selects.append(f"{raw} AS {q(c + '__raw')}")
        a = f"lk{i}"
        t = mf.mapping.transform
        if t == "name":
            lk = standardize_names_table(con, SOURCE, col)
            selects += [f"{a}.standard AS {q(c)}", f"{a}.key AS {q(c + '__key')}"]
            selects += [f"{a}.{p} AS {q(c + '__' + p)}" for p in ("family", "middle", "given")]
        elif t == "date":
            lk = parse_dates_table(con, SOURCE, col, mf.mapping.format)
            selects += [f"{a}.value AS {q(c)}", f"{a}.precision AS {q(c + '__precision')}"]
        elif t == "identifier":
            check = mf.field.check.value if mf.field and mf.field.check else None
            lk = normalize_identifiers_table(con, SOURCE, col, _EXPECTED.get(check or ""))
            selects += [f"{a}.value AS {q(c)}", f"{a}.kind AS {q(c + '__kind')}"]
        elif t == "phone":
            lk = standardize_phones_table(con, SOURCE, col)
            selects.append(f"{a}.value AS {q(c)}")
        elif t == "address":
            lk = parse_addresses_table(con, SOURCE, col)
            selects += [
                f"{a}.street AS {q(c + '_street')}",
                f"{a}.commune_code AS {q(c + '_commune_code')}",
                f"{a}.province_code AS {q(c + '_province_code')}",
                f"{a}.confidence AS {q(c + '__confidence')}",
                f"{a}.mode AS {q(c + '__mode')}",
            ]
        elif t == "code":
            if not (mf.field and mf.field.code_list):
                raise ValueError(f"mapping '{mf.key}': transform 'code' needs a code-list field")
            lk = map_codes_table(con, SOURCE, col, code_list(mf.field.code_list))
            # The source's own value table wins over the generic matching.
            whens = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in mf.mapping.values.items())
            code = f"CASE {raw} {whens} ELSE {a}.code END" if whens else f"{a}.code"
            selects.append(f"{code} AS {q(c)}")
        elif t == "integer":
            expr = f"TRY_CAST(replace(replace(trim({raw}), '.', ''), ' ', '') AS BIGINT)"
            selects.append(f"{expr} AS {q(c)}")
            flag_exprs.append(
                f"CASE WHEN {raw} IS NOT NULL AND {expr} IS NULL "
                f"THEN ['{c}:number.invalid'] ELSE [] END"
            )
            continue
        elif t == "decimal":
            expr = _decimal(raw)
            selects.append(f"{expr} AS {q(c)}")
            flag_exprs.append(
                f"CASE WHEN {raw} IS NOT NULL AND {expr} IS NULL "
                f"THEN ['{c}:number.invalid'] ELSE [] END"
            )
            continue
        else:  # text
            selects.append(f"nullif(trim(nfc_normalize({raw})), '') AS {q(c)}")
            continue
        joins.append(f"LEFT JOIN {lk} {a} ON {a}.raw = CAST({raw} AS VARCHAR)")
        flag_exprs.append(_flags(a, c))
    flags = "flatten([" + ", ".join(flag_exprs) + "])" if flag_exprs else "[]::VARCHAR[]"
    sql = (
        f"CREATE OR REPLACE TEMP TABLE _std AS SELECT {', '.join(selects)}, "
        f"CAST({flags} AS VARCHAR[]) AS _flags FROM {SOURCE} t {' '.join(joins)}"
    )
    con.execute(sql)
    return "_std"
