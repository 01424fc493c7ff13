"""Which standardised columns of a pipeline source carry the person (or enterprise) to link.

Sources map their native columns to dictionary fields under different names (``full_name``,
``person.full_name``, ``holder_full_name``, ``taxpayer_name``...). The roles are found from the
std table's columns and the suffixes the standardiser writes: a name has ``__key`` (accent-folded)
and ``__family``; a date has ``__precision``; an identifier has ``__kind``. Rows of mixed sources
(tax, land) are told apart by a code column that marks enterprises.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ndc.pipeline.store import std_table, table_columns, table_exists

POPULATION = "population"
BUSINESS = "business_registry"

#: Identifier fields that name the record's own person, in order of preference.
PERSON_IDS = ("person_id", "holder_id", "subject_id", "legal_representative_id")
#: Identifier fields that name the record's own enterprise.
ENTERPRISE_IDS = ("mst", "tax_id", "holder_id")
#: Code columns whose value marks a row as an enterprise's (tax: DN; land: holder is an MST).
ENTERPRISE_MARKERS = {"taxpayer_type": "enterprise", "holder_id_kind": "mst"}


@dataclass(frozen=True)
class Profile:
    """The columns of one source that carry a person and, for mixed sources, an enterprise."""

    source_id: str
    name: str | None
    dob: str | None
    sex: str | None
    commune: str | None
    street: str | None
    person_id: str | None
    enterprise_id: str | None
    enterprise_name: str | None
    enterprise_filter: str | None  # SQL: TRUE for enterprise rows; None: no enterprise rows

    @property
    def table(self) -> str:
        return std_table(self.source_id)


def _first(cols: list[str], candidates: list[str]) -> str | None:
    return candidates[0] if candidates else None


def profile(con: duckdb.DuckDBPyConnection, source_id: str) -> Profile | None:
    """The profile of a source, or None when its std table carries no person or enterprise."""
    table = std_table(source_id)
    if not table_exists(con, table):
        return None
    cols = table_columns(con, table)
    have = set(cols)
    names = [c for c in cols if f"{c}__key" in have and f"{c}__family" in have]
    names.sort(key=lambda c: (not c.endswith("full_name"), c))
    dobs = [c for c in cols if c.endswith("date_of_birth") and f"{c}__precision" in have]
    sexes = [c for c in cols if c.endswith("sex") and f"{c}__raw" in have]
    communes = [c for c in cols if c.endswith("residence_commune_code")]
    streets = [c for c in cols if c.endswith("residence_street") and "current" not in c]
    communes.sort(key=lambda c: "current" in c)
    person_ids = [c for c in PERSON_IDS if f"{c}__kind" in have]
    ent_ids = [c for c in ENTERPRISE_IDS if f"{c}__kind" in have]
    marker = next((f"{c} = '{v}'" for c, v in ENTERPRISE_MARKERS.items() if c in have), None)
    if source_id == BUSINESS:
        ent_filter: str | None = "TRUE"
        ent_name = "name" if "name" in have else None
    elif marker:
        ent_filter, ent_name = marker, _first(cols, names)
    else:
        ent_filter, ent_name = None, None
    if source_id == BUSINESS:
        # the legal representative is the person of a business-register record
        names = [c for c in names if c.startswith("legal_representative")]
        person_ids = [c for c in person_ids if c.startswith("legal_representative")]
    if not names and not ent_filter:
        return None
    return Profile(
        source_id=source_id,
        name=_first(cols, names),
        dob=_first(cols, dobs),
        sex=_first(cols, sexes),
        commune=_first(cols, communes),
        street=_first(cols, streets),
        person_id=_first(cols, person_ids),
        enterprise_id=_first(cols, ent_ids) if ent_filter else None,
        enterprise_name=ent_name,
        enterprise_filter=ent_filter,
    )


def _opt(col: str | None, cast: str = "VARCHAR") -> str:
    return col if col else f"NULL::{cast}"


ACTIVE = "_status = 'accepted' AND NOT coalesce(_deleted, FALSE)"


def person_select(p: Profile, keys: str | None = None, fingerprint_only: bool = False) -> str:
    """Canonical person columns (``engine.BASE``) plus source_id, record_key and a fingerprint
    of everything linking reads, for the person rows of a source. ``keys`` limits the rows to
    the records of a table (source_id, record_key); ``fingerprint_only`` gives just the keys and
    fingerprints (cheap: incremental runs canonicalise only the records that changed)."""
    assert p.name is not None
    n = p.name
    dob_prec = f"{p.dob}__precision" if p.dob else None
    ident = (
        f"CASE WHEN {p.person_id}__kind IS NOT NULL THEN {p.person_id} END" if p.person_id else None
    )
    where = ACTIVE
    if p.enterprise_filter and p.source_id != BUSINESS:  # mixed source: persons are the others
        where += f" AND NOT coalesce({p.enterprise_filter}, FALSE)"
    if p.source_id == POPULATION:
        ident, alt = "person_id", "old_id_number"
        uid = "person_id"
        commune_alt = "current_residence_commune_code"
    else:
        alt, commune_alt = None, None
        uid = f"'{p.source_id}|' || _record_key"
    if keys:
        where += (
            f" AND _record_key IN (SELECT record_key FROM {keys} WHERE source_id = '{p.source_id}')"
        )
    parts = [n, _opt(p.dob), _opt(p.sex), _opt(p.commune), _opt(p.street), _opt(ident)]
    fingerprint = ", ".join(f"coalesce(CAST({x} AS VARCHAR), '')" for x in parts)
    if fingerprint_only:
        return f"""
            SELECT '{p.source_id}' AS source_id, _record_key AS record_key,
                   md5(concat_ws('|', {fingerprint})) AS fingerprint
            FROM {p.table} WHERE {where}
        """
    return f"""
        SELECT {uid} AS uid,
               CASE WHEN {n}__raw = {n} THEN {n} ELSE nfc_normalize(trim({n}__raw)) END
                   AS name_exact,
               {n} AS name_tone,
               nullif({n}__key, '') AS name_fold,
               split_part({n}__key, ' ', 1) AS family_fold,
               string_split({n}__key, ' ')[-1] AS given_fold,
               {_opt(p.dob, "DATE")} AS dob,
               {_opt(dob_prec)} AS dob_precision,
               {_opt(p.sex)} AS sex,
               {_opt(p.commune)} AS commune,
               {_opt(commune_alt)} AS commune_alt,
               lower({_opt(p.street)}) AS address_fold,
               {_opt(ident)} AS ident,
               {_opt(alt)} AS ident_alt,
               '{p.source_id}' AS source_id,
               _record_key AS record_key,
               md5(concat_ws('|', {fingerprint})) AS fingerprint
        FROM {p.table} WHERE {where}
    """


def enterprise_select(p: Profile) -> str:
    """Enterprise rows of a source: record, MST, folded name, fingerprint."""
    assert p.enterprise_filter is not None
    ident = _opt(p.enterprise_id)
    name = _opt(p.enterprise_name)
    fold = f"strip_accents(lower(replace(replace({name}, 'Đ', 'D'), 'đ', 'd')))"
    return f"""
        SELECT '{p.source_id}' AS source_id, _record_key AS record_key,
               {ident} AS mst, {fold} AS name_fold,
               md5(concat_ws('|', coalesce({ident}, ''), coalesce({name}, ''))) AS fingerprint
        FROM {p.table} WHERE {ACTIVE} AND coalesce({p.enterprise_filter}, FALSE)
    """
