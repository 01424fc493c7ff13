"""Property tests for the identifier validators (CCCD, CMND, MST, phone)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ndc.dictionary.identifiers import (
    MIGRATED_PREFIXES,
    cccd_province_codes,
    make_cccd,
    make_mst,
    mst_check_digit,
    normalize_phone,
    validate_cccd,
    validate_cmnd,
    validate_mst,
)

provinces = st.sampled_from(sorted(cccd_province_codes()))
years = st.integers(min_value=1900, max_value=2099)
sexes = st.sampled_from(["1", "2"])
serials = st.integers(min_value=0, max_value=999_999)
digits9 = st.text(alphabet="0123456789", min_size=9, max_size=9)


def test_cccd_province_codes_are_the_63_legacy_provinces() -> None:
    codes = cccd_province_codes()
    assert len(codes) == 63
    assert codes["001"] == "Thành phố Hà Nội"
    assert codes["079"] == "Thành phố Hồ Chí Minh"


@given(provinces, years, sexes, serials)
def test_make_cccd_validates_with_its_own_birth_year_and_sex(
    prov: str, year: int, sex: str, serial: int
) -> None:
    value = make_cccd(prov, year, sex, serial)
    assert len(value) == 12 and value.isdigit()
    assert validate_cccd(value, date(year, 6, 15), sex).valid


@given(provinces, years, sexes, serials, years)
def test_make_cccd_fails_with_another_birth_year(
    prov: str, year: int, sex: str, serial: int, other: int
) -> None:
    assume(other != year)
    check = validate_cccd(make_cccd(prov, year, sex, serial), date(other, 1, 1), sex)
    assert check.errors == ("cccd.birth_year_mismatch",)


@given(provinces, years, sexes, serials)
def test_make_cccd_fails_with_the_other_sex(prov: str, year: int, sex: str, serial: int) -> None:
    other = "2" if sex == "1" else "1"
    check = validate_cccd(make_cccd(prov, year, sex, serial), date(year, 1, 1), other)
    assert check.errors == ("cccd.sex_mismatch",)


def test_cccd_century_sex_digit_examples() -> None:
    # DOMAIN: 0 male 1900s, 1 female 1900s, 2 male 2000s, 3 female 2000s.
    assert make_cccd("001", 1995, "1", 12345)[3:6] == "095"
    assert make_cccd("001", 1995, "2", 12345)[3:6] == "195"
    assert make_cccd("079", 2003, "1", 1)[3:6] == "203"
    assert make_cccd("079", 2003, "2", 1)[3:6] == "303"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("00109501234", "cccd.format"),
        ("00109501234x", "cccd.format"),
        ("999095012345", "cccd.province_code"),
    ],
)
def test_cccd_structural_errors(value: str, error: str) -> None:
    assert error in validate_cccd(value).errors


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_cmnd_any_nine_digits_is_valid(value: str) -> None:
    assert validate_cmnd(value).valid


@given(st.text(alphabet="0123456789", min_size=0, max_size=14).filter(lambda s: len(s) != 9))
def test_cmnd_other_lengths_are_invalid(value: str) -> None:
    assert validate_cmnd(value).errors == ("cmnd.format",)


@given(digits9)
def test_make_mst_output_validates(first9: str) -> None:
    mst = make_mst(first9)
    if mst is None:  # (sum mod 11) == 0 leaves no valid check digit: such prefixes are unused
        assert mst_check_digit(first9) is None
        return
    assert validate_mst(mst).valid
    assert validate_mst(mst + "-001").valid
    assert validate_mst(mst + "-000").errors == ("mst.branch_suffix",)


@given(digits9, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_of_an_mst_fails(first9: str, pos: int, delta: int) -> None:
    """True because every weight (31,29,23,19,17,13,7,5,3) is non-zero mod 11 and 11 is prime.

    Changing digit i by d (1 <= |d| <= 9) changes the weighted sum by w_i*d, which is non-zero
    mod 11, so the expected check digit changes (or no digit fits); changing the check digit itself
    leaves the expected check unchanged but the stored one different.
    """
    mst = make_mst(first9)
    assume(mst is not None)
    assert mst is not None
    new_digit = (int(mst[pos]) + delta) % 10
    changed = mst[:pos] + str(new_digit) + mst[pos + 1 :]
    assert changed != mst
    assert validate_mst(changed).errors == ("mst.check_digit",)


def test_weights_are_non_zero_mod_11() -> None:
    assert all(w % 11 for w in (31, 29, 23, 19, 17, 13, 7, 5, 3))


def test_known_mst_examples() -> None:
    # 0100109106: a real 10-digit MST (Viettel group); check digit 6.
    assert mst_check_digit("010010910") == 6
    assert validate_mst("0100109106").valid
    assert validate_mst("0100109107").errors == ("mst.check_digit",)
    assert validate_mst("010010910").errors == ("mst.format",)


phone_text = st.one_of(
    st.text(alphabet="0123456789 +.-()", max_size=16),
    st.builds(lambda p, rest: p + rest, st.sampled_from(sorted(MIGRATED_PREFIXES)),
              st.text(alphabet="0123456789", min_size=7, max_size=7)),
    st.builds(lambda rest: "09" + rest, st.text(alphabet="0123456789", min_size=8, max_size=8)),
)  # fmt: skip


@given(phone_text)
def test_phone_normalisation_is_idempotent(raw: str) -> None:
    first = normalize_phone(raw)
    if first.national is None:
        return
    again = normalize_phone(first.national)
    assert again.national == first.national
    assert again.errors == first.errors
    assert not again.migrated
    assert normalize_phone(first.e164 or "").national == first.national


@given(
    st.sampled_from(sorted(MIGRATED_PREFIXES.items())),
    st.text("0123456789", min_size=7, max_size=7),
)
def test_migrated_eleven_digit_numbers_map_per_the_2018_table(
    mapping: tuple[str, str], rest: str
) -> None:
    old, new = mapping
    for raw in (old + rest, "+84" + old[1:] + rest, f"{old[:4]} {rest[:3]} {rest[3:]}"):
        p = normalize_phone(raw)
        assert p.national == new + rest
        assert p.migrated and p.valid


def test_migration_table_matches_domain() -> None:
    assert {f"016{i}": f"03{i}" for i in range(2, 10)}.items() <= MIGRATED_PREFIXES.items()
    assert MIGRATED_PREFIXES["0120"] == "070"
    assert MIGRATED_PREFIXES["0127"] == "081"
    assert MIGRATED_PREFIXES["0199"] == "059"
    assert len(MIGRATED_PREFIXES) == 21


@pytest.mark.parametrize(
    ("raw", "national", "errors"),
    [
        ("0912 345 678", "0912345678", ()),
        ("+84 912 345 678", "0912345678", ()),
        ("84912345678", "0912345678", ()),
        ("0212345678", "0212345678", ("phone.prefix",)),
        ("12345", None, ("phone.format",)),
    ],
)
def test_phone_examples(raw: str, national: str | None, errors: tuple[str, ...]) -> None:
    p = normalize_phone(raw)
    assert (p.national, p.errors) == (national, errors)
