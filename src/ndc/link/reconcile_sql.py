"""Set-based SQL of the reconciliation findings (DuckDB; plain SQL that Spark SQL also runs).

Each finding kind is one ``INSERT ... SELECT`` over the linked pairs of a source: the source's
records in force joined through ``links`` to the register's row. Nothing loops over records in
Python; only the distinct name pairs that differ by accents alone are re-checked in Python (for
tone placement, ``hoà``/``hòa``), a handful of values.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ndc.dictionary.codelists import code_list
from ndc.link.reconcile_fields import PERSON, Profile
from ndc.link.reconcile_pairs import (
    COLUMNS,
    IN_FORCE,
    col_expr,
    commune_names,
    dissolved_list,
)
from ndc.pipeline.store import std_table, table_columns
from ndc.standardize.distinct import quote_identifier as q
from ndc.standardize.text import set_tone_style


def fold(expr: str) -> str:
    """Accent- and case-folded text (đ has no decomposition: mapped explicitly)."""
    return f"lower(strip_accents(replace(replace({expr}, 'đ', 'd'), 'Đ', 'D')))"


def _insert(con: duckdb.DuckDBPyConnection, kind: str, select: str, params: list[object]) -> None:
    con.execute(f"INSERT INTO _rc_{kind} ({', '.join(COLUMNS[kind])}) {select}", params)


def _labels(list_name: str, expr: str) -> str:
    items = code_list(list_name).items
    whens = " ".join(
        f"WHEN '{k}' THEN '{k} {v.label_vi.replace(chr(39), chr(39) * 2)}'"
        for k, v in sorted(items.items())
    )
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
            f"{head}, 'ethnicity', 'different', {_labels('ethnicity', 's_ethnicity')}, "
            f"{_labels('ethnicity', 'm_ethnicity')}, s_ethnicity_raw, {tail} "
            "WHERE s_ethnicity IS NOT NULL AND m_ethnicity IS NOT NULL "
            "AND s_ethnicity <> m_ethnicity",
            params,
        )
        # A death the agency registered must be the register's date of death.
        _insert(
            con,
            "field_discrepancies",
            f"{head}, 'date_of_death', if(m_date_of_death IS NULL, 'death_not_in_register', "
            "'different'), strftime(s_death, '%Y-%m-%d'), strftime(m_date_of_death, '%Y-%m-%d'), "
            f"s_death_raw, {tail} WHERE s_death IS NOT NULL AND s_death IS DISTINCT FROM "
            "m_date_of_death",
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
    commune_names(con)
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
        f"match_probability FROM _rc_pairs WHERE m_status IN ({dissolved_list()}) "
        f"AND {_active(p, 'current_date')}",
        [p.source_id],
    )


def dissolved_employers(con: duckdb.DuckDBPyConnection, p: Profile) -> None:
    """Records in force that reference (as employer) an enterprise dissolved in the register."""
    std = std_table(p.source_id)
    have = set(table_columns(con, std))
    status = p.activity.status if p.activity else None
    a_status = col_expr(have, p.activity_columns.get(status or ""))
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
            f"s.{q(col)} WHERE {IN_FORCE}) WHERE m_status IN ({dissolved_list()}) AND "
            f"{_active(p, 'current_date')}",
            [p.source_id],
        )
