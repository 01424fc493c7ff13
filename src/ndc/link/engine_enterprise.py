"""Enterprise linking to the business register: SQL only.

Enterprises carry a check-digit tax code (MST) and a distinctive name, so set-based rules are
enough: the same MST with an agreeing name is deterministic; a name that agrees exactly with an
MST one or two digits off, or an exact name alone, is probabilistic with a fixed probability;
an MST whose name disagrees goes to review. The decision step is the persons' one.
"""

from __future__ import annotations

import duckdb

from ndc.link.config import LinkConfig
from ndc.link.engine_profiles import BUSINESS, Profile, enterprise_select

_NAME_OK = "jaro_winkler_similarity(l.name_fold, r.name_fold) >= 0.85"


def _score(p: float, method: str) -> str:
    from math import log2

    return (
        f"{p}::DOUBLE AS match_probability, {log2(p / (1 - p))}::DOUBLE AS match_weight, "
        f"'{method}' AS method"
    )


PAIRS_SQL = f"""
    WITH l AS (SELECT source_id || '|' || record_key AS uid, mst, name_fold FROM lk_todo),
    r AS (SELECT uid, mst, name_fold FROM lk_ereg),
    p AS (
        SELECT l.uid AS uid_l, r.uid AS uid_r, {_score(0.999999, "deterministic")}
        FROM l JOIN r ON l.mst = r.mst WHERE {_NAME_OK}
        UNION ALL
        SELECT l.uid, r.uid, {_score(0.6, "probabilistic")}
        FROM l JOIN r ON l.mst = r.mst WHERE NOT coalesce({_NAME_OK}, FALSE)
        UNION ALL
        SELECT l.uid, r.uid, {_score(0.98, "probabilistic")}
        FROM l JOIN r ON l.name_fold = r.name_fold
        WHERE l.mst IS DISTINCT FROM r.mst AND levenshtein(l.mst, r.mst) <= 2
        UNION ALL
        SELECT l.uid, r.uid, {_score(0.92, "probabilistic")}
        FROM l JOIN r ON l.name_fold = r.name_fold
        WHERE l.mst IS NULL OR levenshtein(l.mst, r.mst) > 2
    )
    SELECT uid_l, uid_r, max(match_probability) AS match_probability,
           max(match_weight) AS match_weight, arg_max(method, match_probability) AS method
    FROM p WHERE uid_l NOT IN (SELECT uid_l FROM lk_excl WHERE uid_r = p.uid_r)
    GROUP BY ALL
"""


def link_enterprises(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, Profile],
    selected: list[str],
    cfg: LinkConfig,
    run_id: str,
) -> None:
    """Link the enterprise rows of the selected sources to the business register."""
    from ndc.link.national import prepare_todo, refresh_masters, write_decided

    reg = profiles.get(BUSINESS)
    if reg is None:
        return
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE lk_ereg AS
            SELECT record_key, mst AS uid, mst, name_fold FROM ({enterprise_select(reg)})
            WHERE mst IS NOT NULL"""
    )
    if BUSINESS in selected:
        refresh_masters(con, BUSINESS, "enterprise", "lk_ereg", run_id)
    sources = [
        profiles[s]
        for s in selected
        if s != BUSINESS and s in profiles and profiles[s].enterprise_filter
    ]
    if not sources:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_in AS "
        + " UNION ALL ".join(enterprise_select(p) for p in sources)
    )
    con.execute("ALTER TABLE lk_in ADD COLUMN uid VARCHAR")
    con.execute("UPDATE lk_in SET uid = source_id || '|' || record_key")
    prepare_todo(con, "enterprise", [p.source_id for p in sources])
    con.execute(f"CREATE OR REPLACE TEMP TABLE lk_pairs AS {PAIRS_SQL}")
    # deterministic pairs carry p = 1 in links
    con.execute(
        "UPDATE lk_pairs SET match_probability = 1.0, match_weight = NULL "
        "WHERE method = 'deterministic'"
    )
    write_decided(con, "enterprise", cfg, run_id)
