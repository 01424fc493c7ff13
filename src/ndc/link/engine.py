"""The linking engine: canonical columns, the deterministic pass, Splink on the residue, decisions.

Both entry points (files with ``ndc link run`` and the national ``link_sources``) first build two
tables of *canonical* columns in DuckDB (``uid`` plus the name, date, sex, commune and identifier
forms listed in ``BASE``), then call ``link_canonical``. Deterministic links are SQL joins; only
records left over go to Splink, so the probabilistic model sees a few percent of the data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from ndc.link.config import LinkConfig
from ndc.link.engine_splink import score_residue
from ndc.link.engine_util import count, extra_columns, fold_sql

__all__ = [
    "BASE",
    "EngineResult",
    "canonical_view",
    "count",
    "decide_sql",
    "fold_sql",
    "link_canonical",
]

#: Columns a canonical input provides (NULL where the input has no such role).
BASE = (
    "uid",
    "name_exact",
    "name_tone",
    "name_fold",
    "family_fold",
    "given_fold",
    "dob",
    "dob_precision",
    "sex",
    "commune",
    "commune_alt",
    "address_fold",
    "ident",
    "ident_alt",
)
#: Which role each derived or base column belongs to (for "is this role present?").
ROLE = {
    "dob": "dob",
    "dob_year": "dob",
    "dob_swapped": "dob",
    "sex": "sex",
    "commune": "commune",
    "address_fold": "address_fold",
    "ident": "ident",
    "ident_head": "ident",
    "ident_tail": "ident",
}

PAIRS_SCHEMA = pa.schema(
    [
        ("uid_l", pa.string()),
        ("uid_r", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("method", pa.string()),
    ]
)


def canonical_view(
    con: duckdb.DuckDBPyConnection, name: str, select_sql: str, temp: bool = True
) -> None:
    """Create (temp) table ``name`` from a SELECT giving the ``BASE`` columns, adding the derived
    ones: sorted name parts, birth year, the date with day and month swapped, identifier ends."""
    con.execute(
        f"""
        CREATE OR REPLACE {"TEMP " if temp else ""}TABLE {name} AS
        SELECT b.*,
               array_to_string(list_sort(string_split(b.name_fold, ' ')), ' ') AS name_sorted,
               year(b.dob) AS dob_year,
               CASE WHEN b.dob_precision = 'day' AND day(b.dob) <= 12
                         AND day(b.dob) <> month(b.dob)
                    THEN make_date(year(b.dob), day(b.dob), month(b.dob)) END AS dob_swapped,
               left(b.ident, 6) AS ident_head,
               right(b.ident, 6) AS ident_tail
        FROM ({select_sql}) b
        """
    )


def present_roles(con: duckdb.DuckDBPyConnection, left: str, right: str) -> set[str]:
    """Canonical columns usable for comparison: the role has values on both sides."""
    roles = sorted(set(ROLE.values()))
    found: set[str] = set()
    for role in roles:
        alt = f" OR {role}_alt IS NOT NULL" if role in ("commune", "ident") else ""
        lq = count(con, f"SELECT count(*) FROM {left} WHERE {role} IS NOT NULL")
        rq = count(con, f"SELECT count(*) FROM {right} WHERE {role} IS NOT NULL{alt}")
        if lq and rq:
            found.add(role)
    for col in extra_columns(con, left):
        lq = count(con, f"SELECT count(*) FROM {left} WHERE {col} IS NOT NULL")
        rq = count(con, f"SELECT count(*) FROM {right} WHERE {col} IS NOT NULL")
        if lq and rq:
            found.add(col)
    cols = {"name_exact", "name_tone", "name_fold", "name_sorted", "family_fold", "given_fold"}
    return cols | found | {c for c, r in ROLE.items() if r in found}


def deterministic_sql(left: str, right: str, check_dob: bool) -> str:
    """Pairs with an identical identifier (CCCD, or the register's CMND) whose folded name agrees
    and whose date of birth agrees (exactly, with day and month swapped, or by year when one side
    only has the year); an identifier shared by two register rows links nothing."""
    dob = (
        """AND (l.dob = r.dob OR l.dob_swapped = r.dob
                OR ((l.dob_precision = 'year' OR r.dob_precision = 'year')
                    AND l.dob_year = r.dob_year))"""
        if check_dob
        else ""
    )
    return f"""
        WITH hits AS (
            SELECT l.uid AS uid_l, r.uid AS uid_r FROM {left} l JOIN {right} r
              ON l.ident = r.ident WHERE l.name_fold = r.name_fold {dob}
            UNION
            SELECT l.uid, r.uid FROM {left} l JOIN {right} r
              ON l.ident = r.ident_alt WHERE l.name_fold = r.name_fold {dob}
        )
        SELECT uid_l, any_value(uid_r) AS uid_r, 1.0::DOUBLE AS match_probability,
               NULL::DOUBLE AS match_weight, 'deterministic' AS method
        FROM hits GROUP BY uid_l HAVING count(DISTINCT uid_r) = 1
    """


@dataclass
class EngineResult:
    """Scored pairs (``pairs``: uid_l, uid_r, match_probability, match_weight, method), the
    trained model and timings."""

    pairs: pa.Table
    model: dict[str, Any] | None
    residue: int
    timings: dict[str, float] = field(default_factory=dict)


def link_canonical(
    con: duckdb.DuckDBPyConnection,
    left: str,
    right: str,
    cfg: LinkConfig,
    *,
    model: dict[str, Any] | None = None,
    exclude: str | None = None,
    pool: str | None = None,
) -> EngineResult:
    """Link canonical table ``left`` to ``right``: deterministic first, Splink on the rest.

    ``model`` reuses a trained Splink model (incremental runs); without one a model is trained.
    ``exclude`` names a table (uid_l, uid_r) of pairs a reviewer said are not a match.
    ``pool`` is where the training sample of settled records comes from (default ``left``; an
    incremental run passes every active record, as its own batch may be small).
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    present = present_roles(con, left, right)
    if cfg.deterministic and "ident" in present:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE lk_det AS "
            + deterministic_sql(left, right, check_dob="dob" in present)
        )
        if exclude:
            con.execute(f"DELETE FROM lk_det WHERE (uid_l, uid_r) IN (SELECT * FROM {exclude})")
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE lk_det (uid_l VARCHAR, uid_r VARCHAR, "
            "match_probability DOUBLE, match_weight DOUBLE, method VARCHAR)"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE lk_residue AS SELECT * FROM {left} "
        "WHERE uid NOT IN (SELECT uid_l FROM lk_det)"
    )
    timings["deterministic"] = time.perf_counter() - t0
    residue = count(con, "SELECT count(*) FROM lk_residue")
    det = con.sql("SELECT * FROM lk_det").to_arrow_table().cast(PAIRS_SCHEMA)
    if residue == 0:
        return EngineResult(det, model, 0, timings)
    t1 = time.perf_counter()
    scored, model = score_residue(
        con, "lk_residue", pool or left, right, cfg, present, model, timings
    )
    timings["probabilistic"] = time.perf_counter() - t1
    if exclude and scored.num_rows:
        con.register("lk_scored_in", scored)
        scored = con.sql(
            f"SELECT * FROM lk_scored_in WHERE (uid_l, uid_r) NOT IN (SELECT * FROM {exclude})"
        ).to_arrow_table()
        con.unregister("lk_scored_in")
    pairs = pa.concat_tables([det, scored.cast(PAIRS_SCHEMA)])
    return EngineResult(pairs, model, residue, timings)


def decide_sql(pairs: str, cfg: LinkConfig) -> str:
    """Rank each left record's candidates and decide: 'linked' when the best reaches the
    threshold and leads the runner-up by ``margin`` in match weight (or is deterministic),
    'review' when the best reaches the review threshold, else 'unmatched'."""
    return f"""
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY uid_l
                       ORDER BY match_probability DESC, uid_r) AS rank,
                   lead(coalesce(match_weight, 99)) OVER (PARTITION BY uid_l
                       ORDER BY match_probability DESC, uid_r) AS next_weight
            FROM {pairs}
        ), best AS (
            SELECT uid_l, uid_r, match_probability, method,
                   CASE WHEN method = 'deterministic' THEN 'linked'
                        WHEN match_probability >= {cfg.threshold}
                             AND (next_weight IS NULL
                                  OR match_weight - next_weight >= {cfg.margin}) THEN 'linked'
                        WHEN match_probability >= {cfg.review_threshold} THEN 'review'
                        ELSE 'unmatched' END AS status
            FROM ranked WHERE rank = 1
        )
        SELECT r.uid_l, r.uid_r, r.match_probability, r.match_weight, r.method, r.rank,
               CASE WHEN r.rank = 1 THEN b.status ELSE 'candidate' END AS status
        FROM ranked r JOIN best b USING (uid_l)
        WHERE r.rank <= {cfg.candidates} AND r.match_probability >= {cfg.review_threshold / 10}
    """
