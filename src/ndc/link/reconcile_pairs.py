"""Inputs of the reconciliation (the registers' rows, link counts, the linked pairs of a source)
and the tables the findings are collected in. Set-based DuckDB SQL; see ``reconcile_sql``.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ndc.dictionary.admin_units import load_admin_units
from ndc.link.reconcile_fields import DISSOLVED, ENTERPRISE, PERSON, Profile
from ndc.pipeline.store import std_table, table_columns, table_exists
from ndc.standardize.distinct import quote_identifier as q

IN_FORCE = "s._status = 'accepted' AND NOT s._deleted"
KINDS = ("field_discrepancies", "wrong_identifiers", "deceased_active", "dissolved_active")
COLUMNS: dict[str, tuple[str, ...]] = {
    "field_discrepancies": (
        "source_id",
        "record_key",
        "entity",
        "target_id",
        "field",
        "kind",
        "source_value",
        "master_value",
        "source_raw",
        "method",
        "match_probability",
    ),
    "wrong_identifiers": (
        "source_id",
        "record_key",
        "entity",
        "identifier",
        "identifier_raw",
        "likely_id",
        "kind",
        "full_name",
        "method",
        "match_probability",
    ),
    "deceased_active": (
        "source_id",
        "record_key",
        "person_id",
        "identifier",
        "full_name",
        "date_of_birth",
        "date_of_death",
        "status",
        "valid_until",
        "rule",
        "method",
        "match_probability",
    ),
    "dissolved_active": (
        "source_id",
        "record_key",
        "role",
        "enterprise_id",
        "enterprise_name",
        "register_status",
        "status",
        "method",
        "match_probability",
    ),
}


def dissolved_list() -> str:
    return ", ".join(repr(s) for s in sorted(DISSOLVED))


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty finding tables (temporary) and the look-ups used to display values."""
    for kind, cols in COLUMNS.items():
        types = ", ".join(
            f"{c} {'DOUBLE' if c == 'match_probability' else 'VARCHAR'}" for c in cols
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rc_{kind} ({types})")
    con.execute("CREATE OR REPLACE TEMP TABLE _rc_communes (code VARCHAR, label VARCHAR)")


def commune_names(con: duckdb.DuckDBPyConnection) -> None:
    """Fill ``_rc_communes`` (code -> 'code name') the first time a commune differs: loading
    the reference data costs about a second, and most runs never need it."""
    if con.execute("SELECT count(*) FROM _rc_communes").fetchall()[0][0]:
        return
    units = load_admin_units()
    communes = pa.table(
        {
            "code": [c.code for c in units.communes.values()],
            "label": [f"{c.code} {c.name}" for c in units.communes.values()],
        }
    )
    con.register("_rc_communes_arrow", communes)
    con.execute("INSERT INTO _rc_communes SELECT * FROM _rc_communes_arrow")
    con.unregister("_rc_communes_arrow")


def create_masters(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The registers' rows in force, one per identifier: ``_rc_m_person``, ``_rc_m_enterprise``.
    Returns the link entities that have a register."""
    have = set()
    pop, biz = std_table("population"), std_table("business_registry")
    if table_exists(con, pop):
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _rc_m_person AS
            SELECT person_id AS id, old_id_number AS old_id, full_name,
                   date_of_birth, sex, ethnicity, phone,
                   permanent_residence_commune_code AS commune,
                   current_residence_commune_code AS commune2, date_of_death
            FROM {pop} s WHERE {IN_FORCE} AND person_id IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY s._record_key) = 1
            """
        )
        have.add(PERSON)
    if table_exists(con, biz):
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _rc_m_enterprise AS
            SELECT mst AS id, NULL::VARCHAR AS old_id, name, status,
                   address_commune_code AS commune, NULL::VARCHAR AS commune2
            FROM {biz} s WHERE {IN_FORCE} AND mst IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY mst ORDER BY s._record_key) = 1
            """
        )
        have.add(ENTERPRISE)
    return have


def link_counts(con: duckdb.DuckDBPyConnection, p: Profile) -> list[tuple[str, str, str, int]]:
    """(entity, status, method, records) over the records in force; a record that linking left
    without a row counts as unmatched for the source's default entity."""
    rows = con.execute(
        f"""
        SELECT coalesce(l.entity, ?), coalesce(l.status, 'unmatched'),
               coalesce(l.method, ''), count(*)
        FROM {std_table(p.source_id)} s
        LEFT JOIN links l ON l.source_id = ? AND l.record_key = s._record_key
        WHERE {IN_FORCE} GROUP BY ALL
        """,
        [p.default_link, p.source_id],
    ).fetchall()
    return [(str(e), str(s), str(m), int(n)) for e, s, m, n in rows]


def in_force_counts(con: duckdb.DuckDBPyConnection, source_id: str) -> tuple[int, int]:
    """(records in force = accepted and not deleted, quarantined and not deleted)."""
    row = con.execute(
        "SELECT count(*) FILTER (s._status = 'accepted'), count(*) FILTER (s._status <> "
        f"'accepted') FROM {std_table(source_id)} s WHERE NOT s._deleted"
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def col_expr(have: set[str], name: str | None) -> str:
    return f"s.{q(name)}" if name and name in have else "NULL"


def create_pairs(con: duckdb.DuckDBPyConnection, p: Profile, entity: str) -> bool:
    """``_rc_pairs``: the source's records in force, linked with certainty (not the register's
    own rows), beside their register row. Source columns are ``s_<role>``, register ``m_*``."""
    roles = p.columns.get(entity)
    if roles is None:
        return False
    std = std_table(p.source_id)
    have = set(table_columns(con, std))
    cols = []
    for role in (
        "id",
        "full_name",
        "name",
        "date_of_birth",
        "sex",
        "ethnicity",
        "phone",
        "commune",
    ):
        c = roles.get(role)
        cols.append(f"{col_expr(have, c)}::VARCHAR AS s_{role}")
        raw = f"{c}__raw" if c and role != "commune" else None
        cols.append(f"{col_expr(have, raw)}::VARCHAR AS s_{role}_raw")
    dob = roles.get("date_of_birth")
    cols.append(f"{col_expr(have, dob)}::DATE AS s_dob")
    cols.append(f"{col_expr(have, f'{dob}__precision' if dob else None)} AS s_dob_precision")
    cols.append(f"{col_expr(have, p.confidence.get(entity))}::DOUBLE AS s_commune_confidence")
    if "commune" in roles:
        raw = roles["commune"].removesuffix("_commune_code") + "__raw"
        cols.append(f"{col_expr(have, raw)}::VARCHAR AS s_address_raw")
    else:
        cols.append("NULL::VARCHAR AS s_address_raw")
    status = p.activity.status if p.activity else None
    cols.append(f"{col_expr(have, p.activity_columns.get(status or ''))}::VARCHAR AS a_status")
    untils = [
        p.activity_columns[u]
        for u in (p.activity.until if p.activity else ())
        if u in p.activity_columns
    ]
    until = f"least({', '.join(f's.{q(u)}' for u in untils)})" if untils else "NULL"
    cols.append(f"{until}::DATE AS a_until")
    if p.death and entity == PERSON:
        kind_col, code, date_col = p.death
        cols.append(f"if(s.{q(kind_col)} = '{code}', s.{q(date_col)}, NULL)::DATE AS s_death")
        cols.append(f"s.{q(date_col + '__raw')}::VARCHAR AS s_death_raw")
    else:
        cols.append("NULL::DATE AS s_death")
        cols.append("NULL::VARCHAR AS s_death_raw")
    master = f"_rc_m_{entity}"
    mcols = ", ".join(f"m.{c} AS m_{c}" for c in table_columns(con, master))
    # Only rows where some finding is possible are kept (a few percent of the records).
    if entity == PERSON:
        maybe = (
            "s_full_name <> m_full_name OR s_dob <> m_date_of_birth "
            "OR s_dob_precision IN ('year', 'month') OR s_sex <> m_sex OR s_phone <> m_phone "
            "OR s_ethnicity <> m_ethnicity OR m_date_of_death IS NOT NULL OR s_death IS NOT NULL"
        )
    else:
        maybe = f"s_name <> m_name OR m_status IN ({dissolved_list()})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _rc_pairs AS
        SELECT * FROM (
            SELECT s._record_key AS record_key, l.target_id, l.method, l.match_probability,
                   {", ".join(cols)}, {mcols}
            FROM {std} s
            JOIN links l ON l.source_id = ? AND l.record_key = s._record_key AND l.entity = ?
                 AND l.status = 'linked' AND l.method <> 'master'
            JOIN {master} m ON m.id = l.target_id
            WHERE {IN_FORCE}
        ) WHERE {maybe} OR s_id IS DISTINCT FROM target_id
            OR (s_commune <> m_commune AND s_commune IS DISTINCT FROM m_commune2)
        """,
        [p.source_id, entity],
    )
    return True
