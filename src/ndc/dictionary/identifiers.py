"""Validators and helpers for Vietnamese identifiers: CCCD, CMND, MST and phone numbers.

Rules follow DOMAIN.md: CCCD = 3-digit province-of-registration code (the 63 pre-2025 GSO codes
prefixed by 0, not renumbered in 2025) + century/sex digit + 2-digit birth year + 6 digits, with no
check digit; MST check digit uses weights 31,29,23,19,17,13,7,5,3 and check = 10 - (sum mod 11);
mobile numbers are 10 digits, with the 2018 migration of 11-digit prefixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from ndc.dictionary.admin_units import load_admin_units

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Check:
    """Outcome of a validation: ``errors`` holds stable, readable reason codes."""

    value: str
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return not self.errors


@lru_cache(maxsize=1)
def cccd_province_codes() -> dict[str, str]:
    """CCCD province-of-birth-registration codes (e.g. '001' Hà Nội) -> legacy province name."""
    return {"0" + p.code: p.name for p in load_admin_units().legacy_provinces.values()}


def is_female(sex: str) -> bool:
    """Sex code list: '1' Nam (male), '2' Nữ (female); 'M'/'F' are accepted too."""
    return sex in ("2", "F")


def century_sex_digit(birth_year: int, sex: str) -> int:
    """The CCCD 4th digit: 0/1 for 1900s male/female, 2/3 for 2000s, 4/5 for 2100s..."""
    century = birth_year // 100 - 19
    if not 0 <= century <= 4:
        raise ValueError(f"birth year {birth_year} outside the CCCD range 1900-2399")
    return century * 2 + (1 if is_female(sex) else 0)


def make_cccd(province_code: str, birth_year: int, sex: str, serial: int) -> str:
    """Build a CCCD number consistent with province, birth year and sex code."""
    return f"{province_code}{century_sex_digit(birth_year, sex)}{birth_year % 100:02d}{serial:06d}"


def validate_cccd(value: str, birth_date: date | None = None, sex: str | None = None) -> Check:
    """Check structure and, when given, consistency with date of birth and sex."""
    errors: list[str] = []
    if len(value) != 12 or not value.isdigit():
        return Check(value, ("cccd.format",))
    if value[:3] not in cccd_province_codes():
        errors.append("cccd.province_code")
    cs = int(value[3])
    year = 1900 + (cs // 2) * 100 + int(value[4:6])
    if birth_date is not None and birth_date.year != year:
        errors.append("cccd.birth_year_mismatch")
    if sex in ("1", "2", "M", "F") and (cs % 2 == 1) != is_female(sex):
        errors.append("cccd.sex_mismatch")
    return Check(value, tuple(errors))


def cccd_birth_year(value: str) -> int | None:
    """Birth year encoded in a structurally valid CCCD."""
    if len(value) != 12 or not value.isdigit():
        return None
    return 1900 + (int(value[3]) // 2) * 100 + int(value[4:6])


def validate_cmnd(value: str) -> Check:
    """Old 9-digit identity card (CMND); it carries no check digit (12-digit CMNDs were CCCD)."""
    if len(value) == 9 and value.isdigit():
        return Check(value)
    return Check(value, ("cmnd.format",))


_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def mst_check_digit(first9: str) -> int | None:
    """Check digit for the first 9 digits of an MST, or None when no valid digit exists."""
    total = sum(int(d) * w for d, w in zip(first9, _MST_WEIGHTS, strict=True))
    check = 10 - (total % 11)
    return check if check <= 9 else None


_MST = re.compile(r"^(\d{10})(?:-(\d{3}))?$")


def validate_mst(value: str) -> Check:
    """Enterprise tax code: 10 digits with check digit, or a branch ``NNNNNNNNNN-NNN``."""
    m = _MST.match(value)
    if not m:
        return Check(value, ("mst.format",))
    head = m.group(1)
    if mst_check_digit(head[:9]) != int(head[9]):
        return Check(value, ("mst.check_digit",))
    if m.group(2) == "000":
        return Check(value, ("mst.branch_suffix",))
    return Check(value)


def make_mst(first9: str) -> str | None:
    """Complete a 9-digit prefix into a valid MST (None if that prefix admits no check digit)."""
    check = mst_check_digit(first9)
    return None if check is None else f"{first9}{check}"


# 2018 migration of 11-digit mobile prefixes (DOMAIN.md).
MIGRATED_PREFIXES: dict[str, str] = {
    **{f"016{i}": f"03{i}" for i in range(2, 10)},
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}
MOBILE_PREFIXES = frozenset(
    (
        *("032", "033", "034", "035", "036", "037", "038", "039"),
        *("052", "055", "056", "058", "059"),
        *("070", "076", "077", "078", "079"),
        *("081", "082", "083", "084", "085", "086", "087", "088", "089"),
        *("090", "091", "092", "093", "094", "096", "097", "098", "099"),
    )
)


@dataclass(frozen=True, slots=True)
class Phone:
    """A normalised mobile number: ``national`` is 0XXXXXXXXX; ``migrated`` if it was 11-digit."""

    raw: str
    national: str | None
    migrated: bool
    errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def e164(self) -> str | None:
        return None if self.national is None else "+84" + self.national[1:]


def normalize_phone(raw: str) -> Phone:
    """Normalise spacing, +84/84 prefixes and pre-2018 11-digit numbers to ``0XXXXXXXXX``."""
    digits = "".join(_DIGITS.findall(raw))
    if raw.strip().startswith("+84") or (digits.startswith("84") and len(digits) in (11, 12)):
        digits = digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits  # "+84 0912..." typed too
    migrated = False
    if len(digits) == 11 and digits[:4] in MIGRATED_PREFIXES:
        digits = MIGRATED_PREFIXES[digits[:4]] + digits[4:]
        migrated = True
    if len(digits) != 10 or not digits.startswith("0"):
        return Phone(raw, None, migrated, ("phone.format",))
    if digits[:3] not in MOBILE_PREFIXES:
        return Phone(raw, digits, migrated, ("phone.prefix",))
    return Phone(raw, digits, migrated, ())
