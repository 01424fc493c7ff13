"""Quality rules grouped by the seven principles, derived from the data dictionary and the source
config rather than written per file.

A row rule is a SQL condition over the std table that is TRUE when the row fails. Severity
``error`` quarantines the row; ``warning`` accepts it with a flag. Sources may turn a rule off
(``disabled_rules``) or raise a warning to an error (``rules: [error:<rule id>]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ndc.pipeline.fields import MappedField
from ndc.sources.schemas import SourceConfig
from ndc.standardize.distinct import quote_identifier as q


class Principle(StrEnum):
    CORRECT = "correct"  # đúng
    COMPLETE = "complete"  # đủ
    CLEAN = "clean"  # sạch
    LIVE = "live"  # sống
    UNIFIED = "unified"  # thống nhất
    CONNECTED = "connected"  # kết nối
    SHARED = "shared"  # dùng chung


PRINCIPLE_VI = {
    Principle.CORRECT: "Đúng",
    Principle.COMPLETE: "Đủ",
    Principle.CLEAN: "Sạch",
    Principle.LIVE: "Sống",
    Principle.UNIFIED: "Thống nhất",
    Principle.CONNECTED: "Kết nối",
    Principle.SHARED: "Dùng chung",
}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    id: str  # '<principle>.<check>[:<field>]', stable: it is the reason code people read
    principle: Principle
    severity: Severity
    description: str
    condition: str  # SQL over the std row; TRUE = the row fails
    columns: tuple[str, ...] = ()  # values to show beside the reason
    flag: str | None = None  # '<column>:<flag>' when the rule only tests a standardisation flag
    prepare: str | None = None  # SQL run over the batch before the rules (a helper table)


# Text damaged by a wrong decoding: replacement characters, or UTF-8 read as a one-byte code page.
_MOJIBAKE = r"\x{FFFD}|Ã[\x{80}-\x{BF}]|á»|áº|Æ°|Ä‘|Ä\x{90}"


# Dates that may lie ahead: validity ends and expiries.
_FORWARD_DATES = ("expiry", "valid_to", "end_date")


def _has_flag(column: str, flag: str) -> str:
    return f"list_contains(_flags, '{column}:{flag}')"


def _flag_rule(
    rule_id: str,
    principle: Principle,
    description: str,
    column: str,
    flag: str,
    shown: tuple[str, ...],
) -> Rule:
    """A warning that only tests a flag: skipped for a batch in which no value has the flag."""
    return Rule(rule_id, principle, Severity.WARNING, description, _has_flag(column, flag), shown,
                f"{column}:{flag}")  # fmt: skip


def _sev(error: bool) -> Severity:
    return Severity.ERROR if error else Severity.WARNING


def field_rules(cfg: SourceConfig, fields: list[MappedField], primary_key: str) -> list[Rule]:
    """Row rules for every mapped field, from its dictionary definition and transform."""
    rules: list[Rule] = []
    for mf in fields:
        c, t, f = mf.column, mf.mapping.transform, mf.field
        raw = q(c + "__raw")
        if t == "address":
            commune = q(c + "_commune_code")
            rules.append(Rule(
                f"unified.address:{c}", Principle.UNIFIED, Severity.WARNING,
                "Address does not resolve to a 2025 commune",
                f"{raw} IS NOT NULL AND {commune} IS NULL", (c + "__raw",),
            ))  # fmt: skip
            rules.append(Rule(
                f"unified.legacy_address:{c}", Principle.UNIFIED, Severity.WARNING,
                "Address uses pre-2025 units (mapped to the new commune)",
                f"{q(c + '__mode')} = 'legacy'", (c + "__raw", c + "_commune_code"),
            ))  # fmt: skip
            continue
        assert f is not None
        key_field = f.name == primary_key and mf.entity == cfg.entity
        if f.required and mf.entity == cfg.entity:
            rules.append(Rule(
                f"complete.required:{c}", Principle.COMPLETE, Severity.ERROR,
                f"Required field '{f.name}' is missing or unreadable",
                f"{q(c)} IS NULL", (c + "__raw",),
            ))  # fmt: skip
        if t == "date":
            rules.append(Rule(
                f"correct.date:{c}", Principle.CORRECT, Severity.WARNING,
                "Date cannot be read", f"{raw} IS NOT NULL AND {q(c)} IS NULL", (c + "__raw",),
            ))  # fmt: skip
            rules.append(_flag_rule(
                f"correct.date_swapped:{c}", Principle.CORRECT,
                "Impossible day/month, read swapped", c, "date.swapped_day_month",
                (c + "__raw", c),
            ))  # fmt: skip
            if not any(part in f.name for part in _FORWARD_DATES):
                rules.append(_flag_rule(
                    f"correct.date_future:{c}", Principle.CORRECT, "Date lies in the future",
                    c, "date.future", (c + "__raw",),
                ))  # fmt: skip
            declared = mf.mapping.format
            if not f.partial and not (declared and "%d" not in declared):
                rules.append(Rule(
                    f"complete.date_partial:{c}", Principle.COMPLETE, Severity.WARNING,
                    "Only the year (or month) of the date is known",
                    f"{q(c + '__precision')} IN ('year', 'month')", (c + "__raw",),
                ))  # fmt: skip
        elif t == "identifier":
            rules.append(Rule(
                f"correct.identifier:{c}", Principle.CORRECT, _sev(key_field),
                f"Identifier is not a valid {f.check.value if f.check else 'identifier'}",
                f"{raw} IS NOT NULL AND ({q(c)} IS NULL OR {_has_flag(c, 'id.invalid')} "
                f"OR {_has_flag(c, 'id.length')} OR {_has_flag(c, 'id.non_digit')})",
                (c + "__raw",),
            ))  # fmt: skip
            rules.append(_flag_rule(
                f"unified.identifier_kind:{c}", Principle.UNIFIED,
                "Old identifier kind (e.g. 9-digit CMND where a CCCD is expected)",
                c, "id.unexpected_kind", (c + "__raw",),
            ))  # fmt: skip
        elif t == "phone":
            rules.append(Rule(
                f"correct.phone:{c}", Principle.CORRECT, Severity.WARNING,
                "Phone number is not a valid Vietnamese mobile number",
                f"{raw} IS NOT NULL AND {q(c)} IS NULL", (c + "__raw",),
            ))  # fmt: skip
            rules.append(_flag_rule(
                f"unified.phone_migrated:{c}", Principle.UNIFIED,
                "Pre-2018 11-digit number (converted)", c, "phone.migrated", (c + "__raw", c),
            ))  # fmt: skip
        elif t == "code":
            rules.append(Rule(
                f"unified.code_list:{c}", Principle.UNIFIED, Severity.WARNING,
                f"Value is not in code list '{f.code_list}'",
                f"{raw} IS NOT NULL AND {q(c)} IS NULL", (c + "__raw",),
            ))  # fmt: skip
        elif t in ("integer", "decimal"):
            rules.append(Rule(
                f"correct.number:{c}", Principle.CORRECT, Severity.WARNING,
                "Not a number", _has_flag(c, "number.invalid"), (c + "__raw",),
            ))  # fmt: skip
        elif t == "name":
            rules.append(_flag_rule(
                f"clean.name_characters:{c}", Principle.CLEAN,
                "Name held digits or stray characters (removed)", c, "name.stray_chars",
                (c + "__raw",),
            ))  # fmt: skip
        if f.pattern and t in ("text", "identifier"):
            rules.append(Rule(
                f"correct.pattern:{c}", Principle.CORRECT, _sev(key_field),
                f"Value does not match the dictionary pattern {f.pattern}",
                f"{q(c)} IS NOT NULL AND NOT regexp_full_match({q(c)}, '{f.pattern}')",
                (c + "__raw",),
            ))  # fmt: skip
        if t in ("text", "name", "address"):
            rules.append(Rule(
                f"clean.encoding_damage:{c}", Principle.CLEAN, Severity.ERROR,
                "Text damaged by a wrong character encoding",
                f"regexp_matches({raw}, '{_MOJIBAKE}')", (c + "__raw",),
            ))  # fmt: skip
    rules += _consistency_rules(fields)
    if cfg.entity not in MANY_PER_IDENTITY:
        rules += _duplicate_rules(fields)
    return rules


# Entities where one person legitimately has many records (parcels owned, civil-status events):
# a repeated identity there is not a duplicate.
MANY_PER_IDENTITY = frozenset({"land_parcel", "civil_status_event"})


def _duplicate_rules(fields: list[MappedField]) -> list[Rule]:
    """Second and later records of one identity under different record keys (within a batch)."""
    ident = next((mf.column for mf in fields if mf.mapping.transform == "identifier"), None)
    name = next((mf.column for mf in fields if mf.mapping.transform == "name"), None)
    if ident is None or name is None:
        return []
    dob = next((mf.column for mf in fields if mf.column.endswith("date_of_birth")), None)
    cols = [q(c) for c in (ident, name + "__key", dob) if c]
    # Groups are found by aggregation (a hash table of the few repeated identities), not by a
    # window over the whole batch; the first record key of a group is the original.
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM g.{c}" for c in cols)
    helper = f"_dups_{re.sub(r'[^0-9a-z_]', '_', ident)}"
    prepare = (
        f"CREATE OR REPLACE TEMP TABLE {helper} AS WITH g AS (SELECT {', '.join(cols)}, "
        f"min(_record_key) AS _first FROM _std WHERE {q(ident)} IS NOT NULL "
        f"GROUP BY ALL HAVING count(*) > 1) "
        f"SELECT s._record_key FROM _std s JOIN g ON {same} WHERE s._record_key <> g._first"
    )
    return [Rule(
        f"clean.duplicate_record:{ident}", Principle.CLEAN, Severity.WARNING,
        "Same identifier, name and date of birth as another record of the source",
        f"_record_key IN (SELECT _record_key FROM {helper})", (ident,), prepare=prepare,
    )]  # fmt: skip


def _prefix(name: str, suffix: str) -> str | None:
    base = name.rsplit("__", 1)[-1]  # person__date_of_birth -> date_of_birth
    if not base.endswith(suffix):
        return None
    p = base[: -len(suffix)]
    return "" if p in ("", "person_") else p


def _consistency_rules(fields: list[MappedField]) -> list[Rule]:
    """CCCD digits 4-6 against the same person's date of birth and sex (DOMAIN.md)."""
    ids = {
        _prefix(mf.column, "id"): mf.column
        for mf in fields
        if mf.field is not None and mf.field.check is not None and mf.field.check.value == "cccd"
    }
    dobs = {_prefix(mf.column, "date_of_birth"): mf.column for mf in fields}
    sexes = {_prefix(mf.column, "sex"): mf.column for mf in fields}
    rules: list[Rule] = []
    for prefix, id_col in ids.items():
        if prefix is None:
            continue
        idv = q(id_col)
        cccd = f"({q(id_col + '__kind')} = 'cccd')"
        if prefix in dobs:
            dob = dobs[prefix]
            century = f"(TRY_CAST(substr({idv}, 4, 1) AS INTEGER) // 2)"
            year = f"(1900 + {century} * 100 + TRY_CAST(substr({idv}, 5, 2) AS INTEGER))"
            rules.append(Rule(
                f"correct.cccd_birth_year:{id_col}", Principle.CORRECT, Severity.WARNING,
                "CCCD digits 4-6 do not agree with the year of birth",
                f"{cccd} AND {q(dob)} IS NOT NULL AND year({q(dob)}) <> {year}",
                (id_col, dob + "__raw"),
            ))  # fmt: skip
        if prefix in sexes:
            sex = sexes[prefix]
            rules.append(Rule(
                f"correct.cccd_sex:{id_col}", Principle.CORRECT, Severity.WARNING,
                "CCCD digit 4 does not agree with the sex",
                f"{cccd} AND {q(sex)} IN ('1', '2') AND "
                f"(TRY_CAST(substr({idv}, 4, 1) AS INTEGER) % 2 = 1) <> ({q(sex)} = '2')",
                (id_col, sex + "__raw"),
            ))  # fmt: skip
    return rules


# The source id that holds each master register in the pipeline (see sources/*.yaml).
MASTER_SOURCES = {"person": "population", "enterprise": "business_registry"}
_REFERENCE_CHECKS = {"cccd": ("person", "person_id"), "mst": ("enterprise", "mst")}


def connected_rules(
    source_entity: str, fields: list[MappedField], available: set[str]
) -> list[Rule]:
    """Identifiers that must resolve to a record of the master register, when it is loaded."""
    rules: list[Rule] = []
    for mf in fields:
        f = mf.field
        if f is None or f.check is None or f.check.value not in _REFERENCE_CHECKS:
            continue
        entity, key = _REFERENCE_CHECKS[f.check.value]
        master = MASTER_SOURCES[entity]
        if entity == source_entity or f"std_{master}" not in available:
            continue
        c = q(mf.column)
        rules.append(Rule(
            f"connected.reference:{mf.column}", Principle.CONNECTED, Severity.WARNING,
            f"Identifier not found in the {entity} register",
            f"{c} IS NOT NULL AND {c} NOT IN (SELECT {q(key)} FROM {q('std_' + master)} "
            f"WHERE NOT _deleted AND _status = 'accepted' AND {q(key)} IS NOT NULL)",
            (mf.column + "__raw",),
        ))  # fmt: skip
    return rules
