"""Code lists: the names, codes and sizes other domains rely on."""

from __future__ import annotations

from collections import Counter

import pytest

from ndc.dictionary import UnknownCodeList, code_label, code_list, code_list_names


def test_sex_and_marital_status_codes() -> None:
    sex = code_list("sex")
    assert {c: sex.label(c) for c in sex.codes} == {"1": "Nam", "2": "Nữ", "0": "Chưa xác định"}
    assert sex.label("2", "en") == "Female"
    ms = code_list("marital_status")
    assert [(i.code, i.label_en) for i in ms] == [
        ("1", "Single"), ("2", "Married"), ("3", "Divorced"), ("4", "Widowed"),
    ]  # fmt: skip


def test_ethnicity_follows_decision_1019() -> None:
    eth = code_list("ethnicity")
    groups = [c for c in eth.codes if c != "55"]
    assert groups == [f"{i:02d}" for i in range(1, 55)]  # the 54 ethnic groups, 01..54
    assert eth.label("01") == "Kinh"
    assert eth.label("04") == "Mường"  # the 1979 table had Hoa here: must not be mixed up
    assert eth.label("06") == "Hoa"
    assert [eth.label(c) for c in ("02", "03", "05", "07", "08", "09", "10", "11", "12", "13")] == [
        "Tày", "Thái", "Khmer", "Nùng", "H'Mông", "Dao", "Gia Rai", "Ê Đê", "Ba Na", "Sán Chay",
    ]  # fmt: skip
    assert eth.label("55") == "Người nước ngoài"
    assert len({i.label_vi for i in eth}) == 55  # no duplicate names
    assert eth.sensitive


def test_religion_codes() -> None:
    rel = code_list("religion")
    assert rel.label("00") == "Không"
    expected = [
        "Phật giáo", "Công giáo", "Phật giáo Hòa Hảo", "Hồi giáo", "Cao Đài", "Minh Sư đạo",
        "Minh Lý đạo", "Tin Lành", "Tịnh độ Cư sĩ Phật hội", "Tứ Ân Hiếu Nghĩa",
        "Bửu Sơn Kỳ Hương", "Baha'i", "Bà La Môn", "Mặc Môn",
    ]  # fmt: skip
    assert [rel.label(f"{i:02d}") for i in range(1, 15)] == expected


def test_nationality_is_iso_3166() -> None:
    nat = code_list("nationality")
    assert len(nat) == 249 or len(nat) == 250
    assert nat.label("VN") == "Việt Nam"
    assert nat.label("CN") == "Trung Quốc" and nat.label("KR") == "Hàn Quốc"
    assert nat.label("VN", "en") == "Viet Nam"
    assert nat.label("FI") == nat.label("FI", "en")  # no Vietnamese name: the English one
    assert all(len(c) == 2 and c.isupper() for c in nat.codes)


def test_new_administrative_units() -> None:
    provinces = code_list("province")
    communes = code_list("commune")
    assert len(provinces) == 34
    assert all(len(c) == 2 for c in provinces.codes)
    assert provinces.label("01") == "Thành phố Hà Nội"
    assert provinces.label("79", "en") == "Ho Chi Minh"
    assert len(communes) == 3321
    assert Counter(i.attrs["kind"] for i in communes) == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}
    assert all(len(c) == 5 for c in communes.codes)
    assert all(i.parent in provinces for i in communes)
    assert {i.parent for i in communes} == set(provinces.codes)  # every province has communes


def test_legacy_units_form_a_tree() -> None:
    lp, ld, lw = (
        code_list("legacy_province"),
        code_list("legacy_district"),
        code_list("legacy_ward"),
    )
    assert len(lp) == 63
    assert len(ld) == 696  # every pre-2025 district, the five wardless island districts included
    assert len(lw) >= 10_000
    assert all(i.parent in lp for i in ld)
    assert all(i.parent in ld for i in lw)
    assert all(ld.items[i.parent].parent == i.attrs["province_code"] for i in lw)  # type: ignore[index]


def test_cccd_province_codes_point_to_legacy_provinces() -> None:
    cp = code_list("cccd_province")
    assert len(cp) == 63
    assert cp.label("001") == "Thành phố Hà Nội" and cp.label("079") == "Thành phố Hồ Chí Minh"
    assert all(i.parent in code_list("legacy_province") for i in cp)


def test_licence_classes_of_the_2024_law() -> None:
    assert code_list("licence_class").codes == [
        "A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E", "DE",
    ]  # fmt: skip


def test_land_use_types_have_groups() -> None:
    land = code_list("land_use_type")
    for code in ("ONT", "ODT", "LUC", "CLN"):
        assert code in land
    assert land.items["LUC"].parent == "NNP" and land.items["ODT"].parent == "PNN"
    assert {i.code for i in land.children("CSD")} == {"BCS", "DCS", "NCS"}


def test_enterprise_and_civil_status_lists() -> None:
    assert {"active", "suspended", "dissolved"} <= set(code_list("enterprise_status").codes)
    assert {"joint_stock", "llc_one_member", "private_enterprise"} <= set(
        code_list("enterprise_type").codes
    )
    assert {"birth", "death", "marriage", "divorce"} <= set(
        code_list("civil_status_event_type").codes
    )


def test_every_list_has_labels_and_a_source() -> None:
    for name in code_list_names():
        cl = code_list(name)
        assert cl.name == name and len(cl) > 0 and cl.source, name
        for item in cl:
            assert item.code and item.label_vi and item.label_en, (name, item.code)


def test_search_is_accent_insensitive_and_matches_codes() -> None:
    eth = code_list("ethnicity")
    assert [i.code for i in eth.search("muong")] == ["04"]
    assert [i.code for i in eth.search("MƯỜNG")] == ["04"]
    assert eth.search("06")[0].label_vi == "Hoa"
    communes = code_list("commune").search("phuong ba dinh")
    assert [i.code for i in communes] == ["00004"]


def test_unknown_list_and_code_errors() -> None:
    with pytest.raises(UnknownCodeList, match="ethnicty"):
        code_list("ethnicty")
    with pytest.raises(KeyError, match="'99' is not in code list 'sex'"):
        code_label("sex", "99")
    assert "99" not in code_list("sex") and "1" in code_list("sex")
