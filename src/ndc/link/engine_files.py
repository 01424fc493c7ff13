"""The generic engine on files: ``ndc link run --left A --right B --config link.yaml --out P``.

Reads CSV or Parquet, builds the canonical columns (names standardised in Python once per
distinct name, everything else in SQL), links with ``engine.link_canonical`` and writes the
decided pairs as CSV or Parquet (by the output's extension).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa

from ndc.link.config import Columns, LinkConfig, LinkConfigError
from ndc.link.engine import canonical_view, decide_sql, link_canonical
from ndc.link.engine_util import count, fold_sql
from ndc.link.schemas import FileLinkReport
from ndc.standardize.names import name_key, standardize_name

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise LinkConfigError(f"{path}: use a .csv or .parquet file")
    return fmt


def _read(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    if not path.is_file():
        raise LinkConfigError(f"input file not found: {path}")
    reader = "read_csv" if _format(path) == "csv" else "read_parquet"
    extra = ", all_varchar = true, header = true" if reader == "read_csv" else ""
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {reader}(?{extra})", [str(path)])


def _check_columns(con: duckdb.DuckDBPyConnection, table: str, cols: Columns, side: str) -> None:
    have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    wanted = [
        (k, c)
        for k, v in cols.model_dump().items()
        if v
        for c in ([v] if isinstance(v, str) else v)
    ]
    if cols.extra:
        wanted = [w for w in wanted if w[0] != "extra"] + [("extra", c) for c in cols.extra]
    missing = sorted(f"{k}={c!r}" for k, c in wanted if c not in have)
    if missing:
        raise LinkConfigError(
            f"{side} input has no column(s) {', '.join(missing)}; it has: {', '.join(sorted(have))}"
        )


def _q(col: str | None) -> str:
    return f'CAST("{col}" AS VARCHAR)' if col else "NULL::VARCHAR"


def _names(con: duckdb.DuckDBPyConnection, tables: list[str], expr: dict[str, str]) -> None:
    """Standardise each distinct raw name once (Python), into temp table ``lk_names``."""
    raws: set[str] = set()
    for t in tables:
        raws.update(
            r[0] for r in con.execute(f"SELECT DISTINCT {expr[t]} FROM {t}").fetchall() if r[0]
        )
    out: dict[str, list[str | None]] = {k: [] for k in ("raw", "tone", "fold", "fam", "giv")}
    for raw in sorted(raws):
        r = standardize_name(raw)
        for k, v in zip(
            out, (raw, r.standard, r.key, name_key(r.family), name_key(r.given)), strict=True
        ):
            out[k].append(v or None)
    con.register("lk_names_arrow", pa.table(out))
    con.execute("CREATE OR REPLACE TEMP TABLE lk_names AS SELECT * FROM lk_names_arrow")
    con.unregister("lk_names_arrow")


def _dob_sql(col: str | None, formats: list[str]) -> tuple[str, str]:
    if not col:
        return "NULL::DATE", "NULL::VARCHAR"
    v = f"trim({_q(col)})"
    parsed = ", ".join(f"try_strptime({v}, '{f}')" for f in formats)
    year = f"regexp_full_match({v}, '\\d{{4}}')"
    dob = (
        f"CASE WHEN {year} THEN make_date(CAST({v} AS INTEGER), 1, 1) "
        f"ELSE CAST(coalesce({parsed}) AS DATE) END"
    )
    prec = f"CASE WHEN {year} THEN 'year' WHEN coalesce({parsed}) IS NOT NULL THEN 'day' END"
    return dob, prec


SEX = """CASE WHEN lower(trim({v})) IN ('1', 'm', 'male', 'nam') THEN '1'
              WHEN lower(trim({v})) IN ('2', 'f', 'female', 'nữ', 'nu') THEN '2'
              ELSE nullif(lower(trim({v})), '') END"""


def _canonical(
    con: duckdb.DuckDBPyConnection,
    table: str,
    cols: Columns,
    formats: list[str],
    name_expr: str,
    out: str,
) -> None:
    dob, prec = _dob_sql(cols.date_of_birth, formats)
    ident = f"nullif(regexp_replace({_q(cols.identifier)}, '[^0-9A-Za-z]', '', 'g'), '')"
    sex = SEX.format(v=_q(cols.sex)) if cols.sex else "NULL::VARCHAR"
    canonical_view(
        con,
        out,
        f"""SELECT {_q(cols.id)} AS uid, nfc_normalize(n.raw) AS name_exact, n.tone AS name_tone,
                   n.fold AS name_fold, n.fam AS family_fold, n.giv AS given_fold,
                   {dob} AS dob, {prec} AS dob_precision, {sex} AS sex,
                   nullif(trim({_q(cols.commune)}), '') AS commune, NULL::VARCHAR AS commune_alt,
                   {fold_sql(_address(cols))} AS address_fold,
                   {ident} AS ident, NULL::VARCHAR AS ident_alt{_extras(cols)}
            FROM {table} t LEFT JOIN lk_names n ON n.raw = {name_expr}""",
    )


def _extras(cols: Columns) -> str:
    out = []
    # matched by position: right_columns.extra lists the counterparts in the same order
    for i, (col, kind) in enumerate(cols.extra.items()):
        name = f"{'xe' if kind == 'exact' else 'xf'}_{i}"
        expr = f"nullif(trim({_q(col)}), '')"
        out.append(f", {expr if kind == 'exact' else fold_sql(expr)} AS {name}")
    return "".join(out)


def _address(cols: Columns) -> str | None:
    if not cols.address:
        return None
    parts = [cols.address] if isinstance(cols.address, str) else cols.address
    return f"nullif(trim(concat_ws(' ', {', '.join(_q(c) for c in parts)})), '')"


def _name_expr(cols: Columns) -> str:
    if cols.full_name:
        return f"trim({_q(cols.full_name)})"
    parts = ", ".join(_q(c) for c in (cols.family_name, cols.middle_name, cols.given_name))
    return f"nullif(trim(concat_ws(' ', {parts})), '')"


def link_files(left: Path, right: Path, cfg: LinkConfig, out: Path) -> FileLinkReport:
    """Link two person files and write the pairs (left_id, right_id, match_probability,
    match_weight, method, rank, status) to ``out``."""
    start = time.perf_counter()
    out_fmt = _format(out)
    lcols, rcols = cfg.side("left"), cfg.side("right")
    con = duckdb.connect()
    try:
        _read(con, left, "lk_left_raw")
        _read(con, right, "lk_right_raw")
        _check_columns(con, "lk_left_raw", lcols, "left")
        _check_columns(con, "lk_right_raw", rcols, "right")
        exprs = {"lk_left_raw": _name_expr(lcols), "lk_right_raw": _name_expr(rcols)}
        _names(con, list(exprs), exprs)
        _canonical(con, "lk_left_raw", lcols, cfg.date_formats, exprs["lk_left_raw"], "lk_l")
        _canonical(con, "lk_right_raw", rcols, cfg.date_formats, exprs["lk_right_raw"], "lk_r")
        res = link_canonical(con, "lk_l", "lk_r", cfg)
        con.register("lk_pairs", res.pairs)
        con.execute(f"CREATE TEMP TABLE lk_out AS {decide_sql('lk_pairs', cfg)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""COPY (SELECT uid_l AS left_id, uid_r AS right_id, match_probability,
                             match_weight, method, rank, status
                      FROM lk_out ORDER BY left_id, rank) TO '{out}' (FORMAT {out_fmt})"""
        )
        return FileLinkReport(
            left_rows=count(con, "SELECT count(*) FROM lk_l"),
            right_rows=count(con, "SELECT count(*) FROM lk_r"),
            pairs=count(con, "SELECT count(*) FROM lk_out"),
            linked=count(con, "SELECT count(*) FROM lk_out WHERE rank = 1 AND status = 'linked'"),
            review=count(con, "SELECT count(*) FROM lk_out WHERE rank = 1 AND status = 'review'"),
            deterministic=count(con, "SELECT count(*) FROM lk_out WHERE method = 'deterministic'"),
            residue=res.residue,
            seconds=time.perf_counter() - start,
        )
    finally:
        con.close()
