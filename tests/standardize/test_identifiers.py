import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ndc.dictionary.identifiers import cccd_province_codes, make_cccd, make_mst
from ndc.standardize.identifiers import (
    normalize_identifier,
    normalize_identifiers_table,
    standardize_phone,
    standardize_phones_table,
)

EXPECTED = st.sampled_from([None, "cccd", "cmnd", "mst", "person"])
cccds = st.builds(
    make_cccd,
    st.sampled_from(sorted(cccd_province_codes())),
    st.integers(min_value=1900, max_value=2025),
    st.sampled_from(["1", "2"]),
    st.integers(min_value=0, max_value=999_999),
)
msts = st.from_regex(r"\A0[1-9][0-9]{7}\Z").map(make_mst).filter(lambda m: m is not None)


@given(cccds, st.sampled_from([" ", ".", "-"]))
def test_cccd_written_with_separators_is_cleaned(cccd: str, sep: str) -> None:
    written = sep.join([cccd[:3], cccd[3:6], cccd[6:]])
    r = normalize_identifier(written)
    assert (r.value, r.kind, r.valid) == (cccd, "cccd", True)


@given(cccds)
def test_cccd_that_lost_its_leading_zero_in_a_spreadsheet_is_restored(cccd: str) -> None:
    r = normalize_identifier(str(int(cccd)), "person")
    assert (r.value, r.kind) == (cccd, "cccd")
    assert "id.leading_zero_restored" in r.flags
    assert normalize_identifier(f"{int(cccd)}.0", "cccd").value == cccd
    if not cccd.startswith("00"):  # one zero lost: 11 digits can only be a CCCD
        assert normalize_identifier(str(int(cccd))).value == cccd


@given(msts)
def test_tax_codes_keep_or_regain_their_leading_zero(mst: str) -> None:
    assert normalize_identifier(mst).kind == "mst"
    r = normalize_identifier(mst[1:], expected="mst")
    assert (r.value, r.kind) == (mst, "mst")
    assert "id.leading_zero_restored" in r.flags
    # without being told the column holds tax codes, 9 digits stay a CMND, flagged
    guess = normalize_identifier(mst[1:])
    assert guess.kind == "cmnd"
    assert "id.ambiguous_cmnd_mst" in guess.flags


def test_branch_tax_codes() -> None:
    head = make_mst("010123456")
    assert head is not None
    for written in (f"{head}-001", f"{head} - 001", f"{head}001"):
        r = normalize_identifier(written, "mst" if "-" not in written else None)
        assert (r.value, r.kind, r.valid) == (f"{head}-001", "mst_branch", True)


@pytest.mark.parametrize(
    ("raw", "expected", "kind", "flag"),
    [
        ("1.23457E+11", None, "unknown", "id.scientific_notation"),
        ("12345678A", None, "unknown", "id.non_digit"),
        ("999090123456", None, "cccd", "cccd.province_code"),
        ("0101234567", None, "mst", "mst.check_digit"),
        ("0101234567", "cccd", "mst", "id.unexpected_kind"),
        ("12345", None, "unknown", "id.length"),
    ],
)
def test_invalid_identifiers_carry_reason_codes(
    raw: str, expected: str | None, kind: str, flag: str
) -> None:
    r = normalize_identifier(raw, expected)  # type: ignore[arg-type]
    assert r.kind == kind
    assert flag in r.flags
    assert "id.invalid" in r.flags or flag == "id.unexpected_kind"


def test_eight_digit_cmnd_regains_its_zero_only_when_expected() -> None:
    assert normalize_identifier("12345678", "cmnd").value == "012345678"
    assert normalize_identifier("12345678").kind == "unknown"


@given(st.text(alphabet="0123456789 .-'", max_size=20), EXPECTED)
def test_normalisation_is_idempotent(raw: str, expected: str | None) -> None:
    once = normalize_identifier(raw, expected)  # type: ignore[arg-type]
    if once.value is None:
        return
    twice = normalize_identifier(once.value, expected)  # type: ignore[arg-type]
    assert (twice.value, twice.kind) == (once.value, once.kind)
    assert "id.leading_zero_restored" not in twice.flags


@pytest.mark.parametrize(
    ("raw", "value", "flag"),
    [
        ("0912 345 678", "0912345678", None),
        ("+84 912.345.678", "0912345678", None),
        ("912345678", "0912345678", "phone.leading_zero_restored"),
        ("01623456789", "0323456789", "phone.migrated"),
        ("1623456789", "0323456789", "phone.migrated"),
    ],
)
def test_phones(raw: str, value: str, flag: str | None) -> None:
    r = standardize_phone(raw)
    assert r.value == value
    assert r.e164 == "+84" + value[1:]
    assert flag is None or flag in r.flags


def test_invalid_phone_is_flagged() -> None:
    r = standardize_phone("0212345678")
    assert r.e164 is None
    assert "phone.invalid" in r.flags


@given(st.text(alphabet="0123456789 +.-", max_size=16))
def test_phone_normalisation_is_idempotent(raw: str) -> None:
    once = standardize_phone(raw)
    if once.e164 is not None:
        assert once.value is not None
        assert standardize_phone(once.value).value == once.value


def test_lookup_tables() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (so_id BIGINT, dien_thoai VARCHAR)")
    # a CCCD column loaded as a number: 001090123456 became 1090123456
    con.execute("INSERT INTO t VALUES (1090123456, '912345678'), (1090123456, NULL)")
    ids = normalize_identifiers_table(con, "t", "so_id", "cccd")
    assert con.execute(f"SELECT raw, value, kind, flags FROM {ids}").fetchall() == [
        ("1090123456", "001090123456", "cccd", ["id.leading_zero_restored"])
    ]
    phones = standardize_phones_table(con, "t", "dien_thoai")
    assert con.execute(f"SELECT value FROM {phones}").fetchall() == [("0912345678",)]
