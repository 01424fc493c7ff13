from collections import Counter

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndc.dictionary.admin_units import Commune, LegacyWard, load_admin_units
from ndc.standardize.addresses import (
    address_index,
    parse_address,
    parse_addresses_table,
    unit_key,
)
from ndc.standardize.text import fold_accents

UNITS = load_admin_units()
address_index()  # built once (about a second), outside the timed property tests
_NEW_NAMES = Counter(
    (c.province_code, c.kind, unit_key(c.short_name)) for c in UNITS.communes.values()
)
# Reference data holds a few same-kind, same-folded-name communes in one province: truly ambiguous.
UNIQUE_COMMUNES = [
    c
    for c in UNITS.communes.values()
    if _NEW_NAMES[(c.province_code, c.kind, unit_key(c.short_name))] == 1
    and c.name.startswith(c.kind)  # four communes' names disagree with their kind
]
_OLD_NAMES = Counter((w.province_code, unit_key(w.name)) for w in UNITS.legacy_wards.values())
UNIQUE_OLD_WARDS = [
    w for w in UNITS.legacy_wards.values() if _OLD_NAMES[(w.province_code, unit_key(w.name))] == 1
]
ABBREVIATIONS = {"Phường": "P.", "Xã": "X.", "Đặc khu": "Đặc khu", "Thị trấn": "TT."}
DISTRICT_ABBREVIATIONS = {"Quận": "Q.", "Huyện": "H.", "Thị xã": "TX.", "Thành phố": "TP."}


def new_style(c: Commune, style: str) -> str:
    p = UNITS.provinces[c.province_code]
    short = p.name.replace("Thành phố ", "TP. ").replace("Tỉnh ", "")
    return {
        "full": f"12 Lý Thường Kiệt, {c.name}, {p.name}",
        "abbreviated": f"Số 3, {ABBREVIATIONS[c.kind]} {c.short_name}, {short}",
        "unaccented": fold_accents(f"{c.name}, {p.name}").title(),
        "no commas": f"Số 3 {c.name} {p.name}",
    }[style]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(UNIQUE_COMMUNES), st.sampled_from(["full", "abbreviated", "unaccented"]))
def test_new_addresses_parse_back_to_their_commune(c: Commune, style: str) -> None:
    r = parse_address(new_style(c, style))
    assert (r.commune_code, r.province_code, r.mode) == (c.code, c.province_code, "new")
    assert r.confidence >= 0.9


def legacy_style(w: LegacyWard, style: str) -> str:
    full = f"{w.name}, {w.district_name}, {w.province_name}"
    if style == "unaccented":
        return fold_accents(full)
    if style == "abbreviated":
        kind_word = next(k for k in ABBREVIATIONS if w.name.lower().startswith(k.lower() + " "))
        ward = ABBREVIATIONS[kind_word] + w.name[len(kind_word) :]
        kind = w.district_kind
        district = w.district_name.replace(kind, DISTRICT_ABBREVIATIONS[kind], 1)
        province = UNITS.legacy_provinces[w.province_code].short_name
        return f"Số 5 ngõ 12, {ward}, {district}, {province}"
    return full


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(UNIQUE_OLD_WARDS), st.sampled_from(["full", "abbreviated", "unaccented"]))
def test_old_addresses_map_through_the_ward_mapping(w: LegacyWard, style: str) -> None:
    r = parse_address(legacy_style(w, style))
    candidates = {m.new_commune_code: m.confidence for m in UNITS.mapping[w.code]}
    assert r.mode == "legacy"
    assert r.legacy_ward_code == w.code
    assert r.commune_code in candidates
    assert r.confidence == candidates[r.commune_code]
    assert r.province_code == UNITS.communes[r.commune_code].province_code


@pytest.mark.parametrize(
    ("raw", "street", "commune"),
    [
        ("12 Lý Thường Kiệt, Phường Ba Đình, Thành phố Hà Nội", "12 Lý Thường Kiệt", "00004"),
        ("12 Lý Thường Kiệt, P. Ba Đình, TP. Hà Nội", "12 Lý Thường Kiệt", "00004"),
        ("12 Lý Thường Kiệt, Ba Đình, Hà Nội", "12 Lý Thường Kiệt", "00004"),
        ("Xã Tà Xùa, Tỉnh Sơn La", "", "03868"),
        ("Phuong Giang Vo, Tp Ha Noi, Viet Nam", "", "00025"),
    ],
)
def test_new_style_examples(raw: str, street: str, commune: str) -> None:
    r = parse_address(raw)
    assert (r.street, r.commune_code, r.mode, r.confidence) == (street, commune, "new", 1.0)


@pytest.mark.parametrize(
    "raw",
    [
        "Số 5 ngõ 12, Phường Phúc Xá, Quận Ba Đình, Hà Nội",
        "Số 5 ngõ 12, P. Phúc Xá, Q. Ba Đình, TP. Hà Nội",
        "Số 5 ngõ 12, Phuong Phuc Xa, Quan Ba Dinh, Ha Noi",
        "Số 5 ngõ 12 Phường Phúc Xá Quận Ba Đình Hà Nội",
    ],
)
def test_old_style_examples(raw: str) -> None:
    r = parse_address(raw)
    assert (r.street, r.commune_code, r.province_code) == ("Số 5 ngõ 12", "00097", "01")
    assert (r.mode, r.legacy_ward_code, r.confidence) == ("legacy", "00001", 1.0)


def test_numbered_wards_of_ho_chi_minh_city() -> None:
    a = parse_address("123 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM, Việt Nam")
    b = parse_address("P.1, Q.3, TP.HCM")
    c = parse_address("Phường 01, Quận 3, Thành phố Hồ Chí Minh")
    assert a.street == "123 Nguyễn Huệ"
    assert a.province_code == "79"
    assert b.commune_code == c.commune_code is not None
    assert b.legacy_ward_code == c.legacy_ward_code


def test_old_province_names_reach_the_new_province() -> None:
    r = parse_address("Xã Phương Thiện, Thành phố Hà Giang, Tỉnh Hà Giang")
    assert (r.mode, r.province_code) == ("legacy", "08")  # Hà Giang merged into Tuyên Quang
    r = parse_address("Phường Phú Lợi, Thủ Dầu Một, Bình Dương")
    assert (r.mode, r.province_code) == ("legacy", "79")
    r = parse_address("Phường Hà Giang 1, Tỉnh Hà Giang")  # new commune, old province name
    assert (r.mode, r.commune_code) == ("new", "00694")
    assert "address.old_province_name" in r.flags


def test_split_ward_carries_the_mapping_confidence() -> None:
    code = UNITS.split_ward_codes[0]
    w = UNITS.legacy_wards[code]
    default = UNITS.new_commune_for(code)
    assert default is not None
    r = parse_address(f"{w.name}, {w.district_name}, {w.province_name}")
    assert r.commune_code == default.new_commune_code
    assert r.confidence == default.confidence < 1
    assert "address.split_ward" in r.flags


def test_ward_name_shared_by_several_districts_needs_the_district() -> None:
    dup = next(
        w
        for w in UNITS.legacy_wards.values()
        if _OLD_NAMES[(w.province_code, unit_key(w.name))] > 1
        and len({m.new_commune_code for m in UNITS.mapping[w.code]}) == 1
    )
    with_district = parse_address(f"{dup.name}, {dup.district_name}, {dup.province_name}")
    without = parse_address(f"{dup.name}, {dup.province_name}")
    assert with_district.legacy_ward_code == dup.code
    assert without.legacy_ward_code is None
    assert "address.no_district" in without.flags
    assert without.confidence <= with_district.confidence


def test_spelling_slip_is_matched_with_lower_confidence() -> None:
    r = parse_address("Phường Giảng Vỏo, Hà Nội")
    assert r.commune_code == "00025"
    assert "address.fuzzy" in r.flags
    assert r.confidence < 1


def test_unresolved_addresses_keep_the_text_and_province() -> None:
    r = parse_address("Khu tập thể A, Hà Nội")
    assert (r.mode, r.commune_code, r.province_code) == ("unresolved", None, "01")
    assert r.street == "Khu tập thể A"
    assert parse_address("").flags == ("address.empty",)


def test_lookup_table() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (dia_chi VARCHAR)")
    con.execute(
        "INSERT INTO t VALUES ('Phường Phúc Xá, Quận Ba Đình, Hà Nội'), "
        "('Phường Phúc Xá, Quận Ba Đình, Hà Nội'), ('Phường Ba Đình, Hà Nội')"
    )
    lk = parse_addresses_table(con, "t", "dia_chi")
    rows = con.execute(f"SELECT commune_code, mode FROM {lk} ORDER BY raw").fetchall()
    assert rows == [("00004", "new"), ("00097", "legacy")]
