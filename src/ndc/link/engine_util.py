"""Small SQL helpers shared by the engine modules."""

from __future__ import annotations

import duckdb


def count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single integer a query returns (fully fetched: DuckDB keeps half-read results open)."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def fold_sql(expr: str | None) -> str:
    """Accent-folded lower case in SQL (đ has no decomposition, so it is mapped first)."""
    if expr is None:
        return "NULL::VARCHAR"
    return f"nullif(strip_accents(lower(replace(replace({expr}, 'Đ', 'D'), 'đ', 'd'))), '')"


def extra_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Configured extra columns of a canonical table: ``xe_`` compared exactly, ``xf_`` fuzzily."""
    rows = con.execute(f"DESCRIBE {table}").fetchall()
    return [r[0] for r in rows if r[0].startswith(("xe_", "xf_"))]
