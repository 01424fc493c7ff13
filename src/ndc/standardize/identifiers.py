"""Raw identifier strings -> a clean value and its kind (CCCD, CMND, MST, MST branch), and phones.

Spreadsheets are the usual source of damage: separators typed for readability (``001 090 123456``,
``0101.234.567``), a float suffix (``1234567890.0``), scientific notation (digits lost for good),
and above all the leading zero dropped when a column was read as a number. Every CCCD starts with
``0`` (province codes 001-096), so an 11-digit value is a CCCD that lost it when prefixing ``0``
makes it structurally valid (two zeros for provinces 001-009, unless the 10 digits are a valid
tax code and the source did not say it holds personal IDs). A 9-digit value is a CMND unless the
source says it holds tax codes (``expected="mst"``): then ``0`` is restored only if the check
digit becomes valid. Every repair is flagged. Validation itself is ``ndc.dictionary.identifiers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import duckdb
import pyarrow as pa

from ndc.dictionary.identifiers import (
    normalize_phone,
    validate_cccd,
    validate_cmnd,
    validate_mst,
)
from ndc.standardize.distinct import FLAGS, build_lookup
from ndc.standardize.text import nfc

IdKind = Literal["cccd", "cmnd", "mst", "mst_branch", "unknown"]
Expected = Literal["cccd", "cmnd", "mst", "person"]  # person: CCCD or CMND

# Flags (reason codes); docs/standardisation.md explains each.
EMPTY = "id.empty"
SPACES_REMOVED = "id.spaces_removed"
SEPARATORS_REMOVED = "id.separators_removed"
FLOAT_SUFFIX = "id.float_suffix"
SCIENTIFIC = "id.scientific_notation"
LEADING_ZERO = "id.leading_zero_restored"
NON_DIGIT = "id.non_digit"
BAD_LENGTH = "id.length"
INVALID = "id.invalid"
UNEXPECTED_KIND = "id.unexpected_kind"
MAYBE_MST = "id.ambiguous_cmnd_mst"
PHONE_EMPTY = "phone.empty"
PHONE_MIGRATED = "phone.migrated"
PHONE_LEADING_ZERO = "phone.leading_zero_restored"
PHONE_INVALID = "phone.invalid"

_SEPARATORS = re.compile(r"[.\-_/,]")
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?e\+?\d+$", re.IGNORECASE)
_BRANCH = re.compile(r"^(\d{10})-?(\d{3})$")


@dataclass(frozen=True, slots=True)
class IdResult:
    original: str
    value: str | None  # cleaned digits (MST branch as NNNNNNNNNN-NNN); None if nothing usable
    kind: IdKind
    flags: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return self.kind != "unknown" and INVALID not in self.flags


@dataclass(frozen=True, slots=True)
class PhoneResult:
    original: str
    value: str | None  # national form 0XXXXXXXXX
    e164: str | None
    flags: tuple[str, ...]


def _clean(raw: str, flags: list[str]) -> str:
    text = nfc(raw).strip().lstrip("'")  # a leading apostrophe is Excel's "store as text" mark
    if any(c.isspace() for c in text):
        flags.append(SPACES_REMOVED)
        text = "".join(text.split())
    if text.endswith(".0") and text[:-2].isdigit():
        flags.append(FLOAT_SUFFIX)
        text = text[:-2]
    return text


def _classify(digits: str, expected: Expected | None, flags: list[str]) -> tuple[str, IdKind]:
    """Pick the kind for a digits-only value, restoring a lost leading zero where it is safe."""
    n = len(digits)
    if n == 11 and expected in (None, "cccd", "person") and validate_cccd("0" + digits).valid:
        flags.append(LEADING_ZERO)
        return "0" + digits, "cccd"
    if n == 12:
        return digits, "cccd"
    if n == 10:
        # provinces 001-009 lose two zeros; read as a CCCD unless it is a valid tax code
        lost_two = validate_cccd("00" + digits).valid and expected in (None, "cccd", "person")
        if lost_two and (expected is not None or not validate_mst(digits).valid):
            flags.append(LEADING_ZERO)
            return "00" + digits, "cccd"
        return digits, "mst"
    if n == 9:
        if expected == "mst" and validate_mst("0" + digits).valid:
            flags.append(LEADING_ZERO)
            return "0" + digits, "mst"
        if expected is None and validate_mst("0" + digits).valid:
            flags.append(MAYBE_MST)
        return digits, "cmnd"
    if n == 8 and expected in ("cmnd", "person"):
        flags.append(LEADING_ZERO)
        return "0" + digits, "cmnd"
    flags.append(BAD_LENGTH)
    return digits, "unknown"


_EXPECTED_KINDS: dict[str, tuple[IdKind, ...]] = {
    "cccd": ("cccd",),
    "cmnd": ("cmnd",),
    "person": ("cccd", "cmnd"),
    # since 1 July 2025 an individual's tax code is the 12-digit personal ID
    "mst": ("mst", "mst_branch", "cccd"),
}


def _branch_ok(m: re.Match[str]) -> bool:
    return validate_mst(f"{m.group(1)}-{m.group(2)}").valid


def _errors(value: str, kind: IdKind) -> tuple[str, ...]:
    if kind == "cccd":
        return validate_cccd(value).errors
    if kind == "cmnd":
        return validate_cmnd(value).errors
    if kind in ("mst", "mst_branch"):
        return validate_mst(value).errors
    return (INVALID,)


def normalize_identifier(raw: str, expected: Expected | None = None) -> IdResult:
    """Clean and classify one identifier; ``expected`` is what the source column should hold."""
    flags: list[str] = []
    text = _clean(raw, flags)
    if not text:
        return IdResult(raw, None, "unknown", (*flags, EMPTY))
    if _SCIENTIFIC.match(text):
        return IdResult(raw, None, "unknown", (*flags, SCIENTIFIC, INVALID))
    # A branch code may come with its dash, or with readability separators only (checked alike,
    # so that normalising twice gives the same result).
    branch = _BRANCH.match(text) or _BRANCH.match(_SEPARATORS.sub("", text))
    if branch and ("-" in text or expected == "mst" or _branch_ok(branch)):
        if branch.group(0) != text:
            flags.append(SEPARATORS_REMOVED)
        value = f"{branch.group(1)}-{branch.group(2)}"
        kind: IdKind = "mst_branch"
    else:
        digits = _SEPARATORS.sub("", text)
        if digits != text:
            flags.append(SEPARATORS_REMOVED)
        if not digits.isdigit() or not digits.isascii():
            return IdResult(raw, None, "unknown", (*flags, NON_DIGIT, INVALID))
        value, kind = _classify(digits, expected, flags)
    errors = _errors(value, kind)
    if errors:
        flags.extend(e for e in errors if e != INVALID)
        flags.append(INVALID)
    if expected is not None and kind != "unknown" and kind not in _EXPECTED_KINDS[expected]:
        flags.append(UNEXPECTED_KIND)
    return IdResult(raw, value, kind, tuple(flags))


def standardize_phone(raw: str) -> PhoneResult:
    """Normalise a mobile number to ``0XXXXXXXXX``; restores a leading zero lost as a number."""
    flags: list[str] = []
    text = nfc(raw).strip().lstrip("'")
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return PhoneResult(raw, None, None, (PHONE_EMPTY,))
    digits = "".join(c for c in text if c.isdigit())
    plain = digits == "".join(text.split()) and not digits.startswith(("0", "84"))
    if plain and len(digits) in (9, 10):  # 912345678 / 1623456789: the zero went missing
        fixed = normalize_phone("0" + digits)
        if fixed.valid:
            flags.append(PHONE_LEADING_ZERO)
            text = "0" + digits
    phone = normalize_phone(text)
    if phone.migrated:
        flags.append(PHONE_MIGRATED)
    if not phone.valid:
        flags.extend(phone.errors)
        flags.append(PHONE_INVALID)
        return PhoneResult(raw, phone.national, None, tuple(flags))
    return PhoneResult(raw, phone.national, phone.e164, tuple(flags))


IDS_SCHEMA = pa.schema(
    [("raw", pa.string()), ("value", pa.string()), ("kind", pa.string()), ("flags", FLAGS)]
)
PHONES_SCHEMA = pa.schema(
    [("raw", pa.string()), ("value", pa.string()), ("e164", pa.string()), ("flags", FLAGS)]
)


def normalize_identifiers_table(
    con: duckdb.DuckDBPyConnection, table: str, column: str, expected: Expected | None = None
) -> str:
    """Lookup table (raw, value, kind, flags) over distinct identifiers."""

    def row(raw: str) -> dict[str, object]:
        r = normalize_identifier(raw, expected)
        return {"value": r.value, "kind": r.kind, "flags": list(r.flags)}

    return build_lookup(con, table, column, "id", IDS_SCHEMA, row)


def standardize_phones_table(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """Lookup table (raw, value, e164, flags) over distinct phone numbers."""

    def row(raw: str) -> dict[str, object]:
        r = standardize_phone(raw)
        return {"value": r.value, "e164": r.e164, "flags": list(r.flags)}

    return build_lookup(con, table, column, "phone", PHONES_SCHEMA, row)
