"""Field-value validation and identifier checks, as the quality domain will call them."""

from __future__ import annotations

from datetime import date

import pytest

from ndc.dictionary import check_identifier, validate_value


@pytest.mark.parametrize(
    ("entity", "field", "value", "errors"),
    [
        ("person", "person_id", "001095012345", []),
        ("person", "person_id", "00109501234", ["pattern"]),
        ("person", "person_id", "999095012345", ["cccd.province_code"]),
        ("person", "person_id", "", ["required"]),
        ("person", "middle_name", "", []),
        ("person", "date_of_birth", "1995-03-14", []),
        ("person", "date_of_birth", "1995", []),  # partial dates allowed
        ("person", "date_of_birth", "1995-13", ["type.date"]),
        ("person", "date_of_birth", "1995-02-30", ["type.date"]),
        ("person", "id_card_issue_date", "2021", ["type.date", "pattern"]),  # not partial
        ("person", "sex", "2", []),
        ("person", "sex", "F", ["code_list"]),
        ("person", "ethnicity", "04", []),
        ("person", "ethnicity", "56", ["code_list"]),
        ("person", "nationality", "VN", []),
        ("person", "permanent_residence_commune_code", "00004", []),
        ("person", "permanent_residence_commune_code", "00001", ["code_list"]),  # a legacy ward
        ("person", "phone", "0912345678", []),
        ("person", "phone", "0212345678", ["phone.prefix"]),
        ("enterprise", "mst", "0100109106", []),
        ("enterprise", "mst", "0100109107", ["mst.check_digit"]),
        ("enterprise", "charter_capital", "1000000000", []),
        ("enterprise", "charter_capital", "1 tỷ", ["type.decimal", "pattern"]),
        ("land_parcel", "land_use_type", "ODT", []),
        ("land_parcel", "mortgage_registered", "maybe", ["type.boolean"]),
        ("driving_licence", "licence_class", "B2", ["code_list"]),  # B2 was abolished in 2025
        ("driving_licence", "points_remaining", "13", ["pattern"]),
    ],
)
def test_validate_value(entity: str, field: str, value: str, errors: list[str]) -> None:
    assert validate_value(entity, field, value) == errors


def test_check_identifier_cccd_cross_checks_birth_and_sex() -> None:
    ok = check_identifier("cccd", "079303000123", date(2003, 5, 1), "2")
    assert ok.valid and dict(ok.details)["birth_year"] == "2003"
    assert dict(ok.details)["province"] == "Thành phố Hồ Chí Minh"
    bad = check_identifier("cccd", "079303000123", date(2004, 5, 1), "1")
    assert bad.errors == ("cccd.birth_year_mismatch", "cccd.sex_mismatch")


def test_check_identifier_phone_normalises() -> None:
    res = check_identifier("phone", "+84 168 123 4567")
    assert res.valid and res.normalized == "0381234567"
    assert dict(res.details) == {"migrated": "yes", "e164": "+84381234567"}


def test_check_identifier_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError):
        check_identifier("passport", "B1234567")
