"""Run a Python normaliser once per *distinct* value of a DuckDB column and expose a lookup table.

The pipeline stays set-based: ``SELECT DISTINCT`` in DuckDB, Python only on the distinct values,
then an Arrow table copied into a temporary DuckDB table that the next step JOINs on ``raw``::

    lk = standardize_names_table(con, "raw_people", "ho_ten")
    con.sql(f"SELECT p.*, n.standard FROM raw_people p LEFT JOIN {lk} n "
            f"ON CAST(p.ho_ten AS VARCHAR) = n.raw")

``raw`` is the column value cast to VARCHAR (NULLs are skipped: they need no lookup). The same
shape works on Spark (``distinct()`` -> pandas UDF -> broadcast join).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pyarrow as pa

_SAFE = re.compile(r"[^0-9A-Za-z_]+")


def quote_identifier(name: str) -> str:
    """Quote a possibly dotted name (``schema.table``) for DuckDB SQL."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def distinct_values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """Distinct non-NULL values of ``table.column`` as strings, in a stable order."""
    col = quote_identifier(column)
    rows = con.execute(
        f"SELECT DISTINCT CAST({col} AS VARCHAR) AS v FROM {quote_identifier(table)} "
        f"WHERE {col} IS NOT NULL ORDER BY v"
    ).fetchall()
    return [r[0] for r in rows]


def lookup_name(kind: str, table: str, column: str) -> str:
    """Name of the temporary lookup table, e.g. ``std_name__raw_people__ho_ten``."""
    return "std_" + "__".join(_SAFE.sub("_", p).strip("_") for p in (kind, table, column))


def build_lookup(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    kind: str,
    schema: pa.Schema,
    row: Callable[[str], dict[str, Any]],
    values: Iterable[str] | None = None,
) -> str:
    """Apply ``row`` to each distinct value and store the results as a temporary table.

    ``row(raw)`` returns a dict with every field of ``schema`` except ``raw``. Returns the table's
    name; it is replaced if it exists, so re-running a step is safe.
    """
    raws = distinct_values(con, table, column) if values is None else list(values)
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    for raw in raws:
        columns["raw"].append(raw)
        for key, val in row(raw).items():
            columns[key].append(val)
    arrow = pa.table(columns, schema=schema)
    name = lookup_name(kind, table, column)
    view = f"_{name}_arrow"
    con.register(view, arrow)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)
    return name


FLAGS = pa.list_(pa.string())
