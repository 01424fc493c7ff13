"""Set-based SQL of the reconciliation findings (DuckDB; plain SQL that Spark SQL also runs).

Each finding kind is one ``INSERT ... SELECT`` over the linked pairs of a source: the source's
records in force joined through ``links`` to the register's row. Nothing loops over records in
Python; only the distinct name pairs that differ by accents alone are re-checked in Python (for
tone placement, ``hoà``/``hòa``), a handful of values.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ndc.dictionary.admin_units import load_admin_units
from ndc.dictionary.codelists import code_list
from ndc.link.reconcile_fields import DISSOLVED, ENTERPRISE, PERSON, Profile
from ndc.pipeline.store import std_table, table_columns, table_exists
from ndc.standardize.distinct import quote_identifier as q
from ndc.standardize.text import set_tone_style

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


def fold(expr: str) -> str:
    """Accent- and case-folded text (đ has no decomposition: mapped explicitly)."""
    return f"lower(strip_accents(replace(replace({expr}, 'đ', 'd'), 'Đ', 'D')))"


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty finding tables (temporary) and the look-ups used to display values."""
    for kind, cols in COLUMNS.items():
        types = ", ".join(
            f"{c} {'DOUBLE' if c == 'match_probability' else 'VARCHAR'}" for c in cols
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rc_{kind} ({types})")
    con.execute("CREATE OR REPLACE TEMP TABLE _rc_communes (code VARCHAR, label VARCHAR)")


def _commune_names(con: duckdb.DuckDBPyConnection) -> None:
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
                   date_of_birth, sex, phone, permanent_residence_commune_code AS commune,
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


def _col(have: set[str], name: str | None) -> str:
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
    for role in ("id", "full_name", "name", "date_of_birth", "sex", "phone", "commune"):
        c = roles.get(role)
        cols.append(f"{_col(have, c)}::VARCHAR AS s_{role}")
        raw = f"{c}__raw" if c and role != "commune" else None
        cols.append(f"{_col(have, raw)}::VARCHAR AS s_{role}_raw")
    dob = roles.get("date_of_birth")
    cols.append(f"{_col(have, dob)}::DATE AS s_dob")
    cols.append(f"{_col(have, f'{dob}__precision' if dob else None)} AS s_dob_precision")
    cols.append(f"{_col(have, p.confidence.get(entity))}::DOUBLE AS s_commune_confidence")
    if "commune" in roles:
        raw = roles["commune"].removesuffix("_commune_code") + "__raw"
        cols.append(f"{_col(have, raw)}::VARCHAR AS s_address_raw")
    else:
        cols.append("NULL::VARCHAR AS s_address_raw")
    status = p.activity.status if p.activity else None
    cols.append(f"{_col(have, p.activity_columns.get(status or ''))}::VARCHAR AS a_status")
    untils = [
        p.activity_columns[u]
        for u in (p.activity.until if p.activity else ())
        if u in p.activity_columns
    ]
    until = f"least({', '.join(f's.{q(u)}' for u in untils)})" if untils else "NULL"
    cols.append(f"{until}::DATE AS a_until")
    master = f"_rc_m_{entity}"
    mcols = ", ".join(f"m.{c} AS m_{c}" for c in table_columns(con, master))
    # Only rows where some finding is possible are kept (a few percent of the records).
    if entity == PERSON:
        maybe = (
            "s_full_name <> m_full_name OR s_dob <> m_date_of_birth "
            "OR s_dob_precision IN ('year', 'month') OR s_sex <> m_sex OR s_phone <> m_phone "
            "OR m_date_of_death IS NOT NULL"
        )
    else:
        maybe = f"s_name <> m_name OR m_status IN ({_dissolved()})"
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


def _insert(con: duckdb.DuckDBPyConnection, kind: str, select: str, params: list[object]) -> None:
    con.execute(f"INSERT INTO _rc_{kind} ({', '.join(COLUMNS[kind])}) {select}", params)


def _labels(list_name: str, expr: str) -> str:
    items = code_list(list_name).items
    whens = " ".join(f"WHEN '{k}' THEN '{k} {v.label_vi}'" for k, v in sorted(items.items()))
    return f"CASE {expr} {whens} ELSE {expr} END"


def field_discrepancies(con: duckdb.DuckDBPyConnection, p: Profile, entity: str) -> None:
    """Values the agency holds that differ from the register's (standard values compared; case
    and tone placement are not differences)."""
    head = f"SELECT ?, record_key, '{entity}', target_id"
    tail = "method, match_probability FROM _rc_pairs"
    params: list[object] = [p.source_id]
    name_src = "s_full_name" if entity == PERSON else "s_name"
    name_m = "m_full_name" if entity == PERSON else "m_name"
    kind = (
        f"CASE WHEN lower({name_src}) = {fold(name_src)} THEN 'accents_missing' "
        f"WHEN lower({name_m}) = {fold(name_m)} THEN 'register_accents_missing' "
        f"WHEN {fold(name_src)} = {fold(name_m)} THEN 'accents_differ' ELSE 'different' END"
    )
    _insert(
        con,
        "field_discrepancies",
        f"{head}, '{'full_name' if entity == PERSON else 'name'}', {kind}, {name_src}, "
        f"{name_m}, {name_src}_raw, {tail} WHERE {name_src} IS NOT NULL AND {name_m} IS NOT NULL "
        f"AND lower({name_src}) <> lower({name_m})",
        params,
    )
    if entity == PERSON:
        shown = (
            "CASE s_dob_precision WHEN 'year' THEN strftime(s_dob, '%Y') WHEN 'month' THEN "
            "strftime(s_dob, '%Y-%m') ELSE strftime(s_dob, '%Y-%m-%d') END"
        )
        kind = (
            "CASE WHEN s_dob_precision = 'year' THEN if(year(s_dob) = year(m_date_of_birth), "
            "'year_only', 'different') WHEN s_dob_precision = 'month' THEN if(year(s_dob) = "
            "year(m_date_of_birth) AND month(s_dob) = month(m_date_of_birth), 'month_only', "
            "'different') WHEN day(s_dob) = month(m_date_of_birth) AND month(s_dob) = "
            "day(m_date_of_birth) AND year(s_dob) = year(m_date_of_birth) "
            "THEN 'day_month_swapped' "
            # typed date columns hold 1 January when only the year was known
            "WHEN month(s_dob) = 1 AND day(s_dob) = 1 AND year(s_dob) = year(m_date_of_birth) "
            "THEN 'year_only' ELSE 'different' END"
        )
        _insert(
            con,
            "field_discrepancies",
            f"{head}, 'date_of_birth', {kind}, {shown}, strftime(m_date_of_birth, '%Y-%m-%d'), "
            f"s_date_of_birth_raw, {tail} WHERE s_dob IS NOT NULL AND m_date_of_birth IS NOT NULL"
            " AND (s_dob <> m_date_of_birth OR s_dob_precision IN ('year', 'month'))",
            params,
        )
        _insert(
            con,
            "field_discrepancies",
            f"{head}, 'sex', 'different', {_labels('sex', 's_sex')}, "
            f"{_labels('sex', 'm_sex')}, s_sex_raw, {tail} WHERE s_sex IN ('1', '2') "
            "AND m_sex IN ('1', '2') AND s_sex <> m_sex",
            params,
        )
        _insert(
            con,
            "field_discrepancies",
            f"{head}, 'phone', 'different', s_phone, m_phone, s_phone_raw, {tail} "
            "WHERE s_phone IS NOT NULL AND m_phone IS NOT NULL AND s_phone <> m_phone",
            params,
        )
    # The agency's commune is wrong if it is neither the permanent nor the current residence.
    differs = (
        "s_commune IS NOT NULL AND m_commune IS NOT NULL AND s_commune <> m_commune "
        "AND s_commune IS DISTINCT FROM m_commune2"
    )
    if not con.execute(f"SELECT count(*) FROM _rc_pairs WHERE {differs}").fetchall()[0][0]:
        return
    _commune_names(con)
    master = (
        "coalesce(c1.label, m_commune) || coalesce(' | ' || coalesce(c2.label, m_commune2), '')"
    )
    kind = "if(coalesce(s_commune_confidence, 1) < 1, 'uncertain_mapping', 'different')"
    _insert(
        con,
        "field_discrepancies",
        f"SELECT ?, record_key, '{entity}', target_id, 'commune', {kind}, "
        f"coalesce(c0.label, s_commune), {master}, s_address_raw, {tail} "
        "LEFT JOIN _rc_communes c0 ON c0.code = s_commune "
        "LEFT JOIN _rc_communes c1 ON c1.code = m_commune "
        "LEFT JOIN _rc_communes c2 ON c2.code = m_commune2 AND m_commune2 <> m_commune "
        f"WHERE {differs}",
        params,
    )


def drop_tone_only(con: duckdb.DuckDBPyConnection, source_id: str) -> None:
    """Name pairs that differ only by tone placement (hoà/hòa) are the same name: checked in
    Python on the distinct pairs, which are few."""
    pairs = con.execute(
        "SELECT DISTINCT source_value, master_value FROM _rc_field_discrepancies WHERE "
        "source_id = ? AND kind = 'accents_differ'",
        [source_id],
    ).fetchall()
    same = [
        (a, b)
        for a, b in pairs
        if set_tone_style(a, "traditional").casefold()
        == set_tone_style(b, "traditional").casefold()
    ]
    if not same:
        return
    con.register("_rc_same", pa.table({"a": [a for a, _ in same], "b": [b for _, b in same]}))
    con.execute(
        "DELETE FROM _rc_field_discrepancies WHERE source_id = ? AND kind = 'accents_differ' AND "
        "(source_value, master_value) IN (SELECT (a, b) FROM _rc_same)",
        [source_id],
    )
    con.unregister("_rc_same")


def wrong_identifiers(con: duckdb.DuckDBPyConnection, p: Profile, entity: str) -> None:
    """Records linked to a register row whose identifier differs from the record's: the
    register's identifier is the likely correct one."""
    name = "m_full_name" if entity == PERSON else "m_name"
    kind = (
        "CASE WHEN s_id IS NULL AND coalesce(trim(s_id_raw), '') = '' THEN 'missing' "
        "WHEN s_id IS NULL THEN 'unreadable' "
        "WHEN s_id = m_old_id THEN 'old_cmnd' "
        "WHEN length(s_id) = length(target_id) AND hamming(s_id, target_id) <= 2 "
        "THEN 'digits_wrong' "
        "WHEN length(s_id) = length(target_id) - 1 AND levenshtein(s_id, target_id) = 1 "
        "THEN 'digit_missing' ELSE 'different' END"
    )
    _insert(
        con,
        "wrong_identifiers",
        f"SELECT ?, record_key, '{entity}', s_id, s_id_raw, target_id, {kind}, {name}, method, "
        "match_probability FROM _rc_pairs WHERE s_id IS DISTINCT FROM target_id",
        [p.source_id],
    )


def _active(p: Profile, day: str) -> str:
    """SQL: the record is in force on ``day`` (per the source entity's activity fields)."""
    closed = sorted(p.activity.closed) if p.activity else []
    status = (
        f"(a_status IS NULL OR a_status NOT IN ({', '.join(repr(c) for c in closed)}))"
        if closed
        else "true"
    )
    return f"{status} AND (a_until IS NULL OR a_until >= {day})"


def deceased_active(con: duckdb.DuckDBPyConnection, p: Profile) -> None:
    """Records of people the register says have died that the source still holds in force."""
    if p.activity is None:
        return
    rule = f"{p.activity.label_vi} / {p.activity.label_en}"
    _insert(
        con,
        "deceased_active",
        "SELECT ?, record_key, target_id, s_id, m_full_name, strftime(m_date_of_birth, "
        "'%Y-%m-%d'), strftime(m_date_of_death, '%Y-%m-%d'), a_status, "
        "strftime(a_until, '%Y-%m-%d'), ?, method, match_probability FROM _rc_pairs "
        f"WHERE m_date_of_death IS NOT NULL AND {_active(p, 'm_date_of_death')}",
        [p.source_id, rule],
    )


def dissolved_self(con: duckdb.DuckDBPyConnection, p: Profile) -> None:
    """Records (in ``_rc_pairs`` of enterprises) of enterprises dissolved in the business
    register that the source still holds in force."""
    if p.source_id == "business_registry":
        return
    _insert(
        con,
        "dissolved_active",
        "SELECT ?, record_key, 'self', target_id, m_name, m_status, a_status, method, "
        f"match_probability FROM _rc_pairs WHERE m_status IN ({_dissolved()}) "
        f"AND {_active(p, 'current_date')}",
        [p.source_id],
    )


def dissolved_employers(con: duckdb.DuckDBPyConnection, p: Profile) -> None:
    """Records in force that reference (as employer) an enterprise dissolved in the register."""
    std = std_table(p.source_id)
    have = set(table_columns(con, std))
    status = p.activity.status if p.activity else None
    a_status = _col(have, p.activity_columns.get(status or ""))
    untils = [
        p.activity_columns[u]
        for u in (p.activity.until if p.activity else ())
        if u in p.activity_columns
    ]
    a_until = f"least({', '.join(f's.{q(u)}' for u in untils)})" if untils else "NULL"
    for col in p.employer:
        _insert(
            con,
            "dissolved_active",
            "SELECT ?, record_key, 'employer', enterprise_id, m_name, m_status, a_status, NULL, "
            f"NULL FROM (SELECT s._record_key AS record_key, s.{q(col)} AS enterprise_id, "
            f"m.name AS m_name, m.status AS m_status, {a_status}::VARCHAR AS a_status, "
            f"{a_until}::DATE AS a_until FROM {std} s JOIN _rc_m_enterprise m ON m.id = "
            f"s.{q(col)} WHERE {IN_FORCE}) WHERE m_status IN ({_dissolved()}) AND "
            f"{_active(p, 'current_date')}",
            [p.source_id],
        )


def _dissolved() -> str:
    return ", ".join(repr(s) for s in sorted(DISSOLVED))
