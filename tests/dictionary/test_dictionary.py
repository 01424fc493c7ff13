"""The shared data dictionary: it loads, is complete, and bad files fail loudly."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from ndc.dictionary import (
    InvalidDictionary,
    UnknownEntity,
    UnknownField,
    code_list,
    code_list_names,
    load_dictionary,
    master_source_of,
)
from ndc.dictionary.schemas import Sensitivity

ENTITIES = {
    "person", "enterprise", "land_parcel", "driving_licence", "civil_status_event",
    "social_insurance_participation", "health_record", "civil_servant_employment",
    "tax_registration",
}  # fmt: skip
SOURCES = {
    "population", "civil_servants", "social_insurance", "health_insurance", "business_registry",
    "tax", "land_registry", "driving_licences", "civil_status",
}  # fmt: skip


def test_all_entities_and_sources_are_there() -> None:
    d = load_dictionary()
    assert set(d.entities) == ENTITIES
    assert set(d.sources) >= SOURCES


def test_every_field_has_every_attribute() -> None:
    for ent in load_dictionary().entities.values():
        assert ent.primary_key in ent.field_names
        for f in ent.fields:
            where = f"{ent.name}.{f.name}"
            assert f.label_vi and f.label_en and f.definition_vi and f.definition_en, where
            assert f.type and f.sensitivity in set(Sensitivity), where
            assert f.master_source and f.survivorship, where
            assert f.pattern or f.format or f.code_list or f.type in ("boolean", "string"), where


def test_every_code_list_and_master_source_referenced_exists() -> None:
    d = load_dictionary()
    names = set(code_list_names())
    for ent in d.entities.values():
        assert ent.master_source in d.sources
        for f in ent.fields:
            assert f.master_source in d.sources, f.name
            if f.code_list:
                assert f.code_list in names
                assert len(code_list(f.code_list)) > 0
    for src in d.sources.values():
        assert set(src.masters) <= set(d.entities)


def test_examples_validate_against_their_own_patterns() -> None:
    import re

    for ent in load_dictionary().entities.values():
        for f in ent.fields:
            if f.example and f.pattern:
                assert re.fullmatch(f.pattern, f.example), f"{ent.name}.{f.name}"


def test_person_has_the_required_fields() -> None:
    person = load_dictionary().entity("person")
    required = {
        "person_id", "full_name", "family_name", "middle_name", "given_name", "date_of_birth",
        "sex", "ethnicity", "religion", "nationality", "place_of_birth_commune_code",
        "place_of_birth_province_code", "permanent_residence_street",
        "permanent_residence_commune_code", "permanent_residence_province_code",
        "current_residence_commune_code", "household_id", "father_id", "mother_id", "spouse_id",
        "marital_status", "date_of_death", "old_id_number", "phone",
    }  # fmt: skip
    assert required <= set(person.field_names)
    assert person.field("person_id").pattern == r"^\d{12}$"
    assert person.field("date_of_birth").partial
    assert person.field("father_id").references == "person.person_id"


def test_enterprise_has_the_required_fields() -> None:
    ent = load_dictionary().entity("enterprise")
    assert {
        "mst", "name", "name_en", "short_name", "enterprise_type", "status", "registration_date",
        "address_commune_code", "address_province_code", "legal_representative_id",
        "charter_capital", "main_industry_code",
    } <= set(ent.field_names)  # fmt: skip
    assert ent.field("status").code_list == "enterprise_status"


def test_sensitivity_follows_decree_13() -> None:
    d = load_dictionary()
    person = d.entity("person")
    assert person.field("ethnicity").sensitivity == "sensitive"
    assert person.field("religion").sensitivity == "sensitive"
    assert person.field("full_name").sensitivity == "basic"
    assert d.field("health_record", "chronic_conditions").sensitivity == "sensitive"
    assert d.field("health_record", "blood_group").sensitivity == "basic"  # excluded by Decree 13
    assert d.field("enterprise", "charter_capital").sensitivity == "none"
    assert d.field("enterprise", "legal_representative_id").sensitivity == "basic"


def test_master_sources() -> None:
    assert master_source_of("person", "date_of_birth").code == "population"
    assert master_source_of("person", "date_of_birth").owner_vi.startswith("Bộ Công an")
    assert master_source_of("person", "date_of_death").code == "civil_status"
    assert master_source_of("enterprise", "name").owner_en == "Ministry of Finance"
    assert master_source_of("land_parcel", "area_m2").owner_vi == "Bộ Nông nghiệp và Môi trường"
    assert master_source_of("driving_licence").owner_vi.startswith("Bộ Công an")
    assert master_source_of("civil_status_event").owner_en == "Ministry of Justice"
    assert master_source_of("enterprise", "legal_representative_name").code == "population"
    d = load_dictionary()
    assert ("person", "date_of_birth") in d.fields_mastered_by("population")


def test_unknown_names() -> None:
    d = load_dictionary()
    with pytest.raises(UnknownEntity, match="persn"):
        d.entity("persn")
    with pytest.raises(UnknownField, match="no field 'dob'"):
        d.entity("person").field("dob")


# ----------------------------------------------------------------- bad files fail at load


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    src = resources.files("ndc.dictionary").joinpath("data")
    dst = tmp_path / "data"
    shutil.copytree(str(src), dst)
    return dst


def _edit_person_field(root: Path, field: str, **changes: object) -> None:
    path = root / "entities" / "person.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for f in doc["fields"]:
        if f["name"] == field:
            f.update(changes)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_the_copy_loads(data_copy: Path) -> None:
    assert set(load_dictionary(data_copy).entities) == ENTITIES


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code_list": "ethnicty"}, "unknown code list 'ethnicty'"),
        ({"master_source": "census"}, "unknown master source 'census'"),
        ({"sensitivity": "secret"}, "sensitivity"),
        ({"type": "text"}, "type"),
        ({"pattern": "^[0-9"}, "invalid regular expression"),
        ({"survivorship": []}, "survivorship"),
    ],
)
def test_bad_field_is_reported_with_file_and_field(
    data_copy: Path, changes: dict[str, object], message: str
) -> None:
    _edit_person_field(data_copy, "ethnicity", **changes)
    with pytest.raises(InvalidDictionary) as err:
        load_dictionary(data_copy)
    text = str(err.value)
    assert "entities/person.yaml" in text
    assert "fields[ethnicity]" in text
    assert message in text


def test_missing_attribute_is_reported(data_copy: Path) -> None:
    path = data_copy / "entities" / "enterprise.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    del doc["fields"][1]["definition_en"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidDictionary, match=r"enterprise.yaml: fields\[name\].definition_en"):
        load_dictionary(data_copy)


def test_dangling_reference_is_reported(data_copy: Path) -> None:
    _edit_person_field(data_copy, "father_id", references="person.nope")
    with pytest.raises(
        InvalidDictionary,
        match=r"person.yaml: fields\[father_id\].references: unknown field 'person.nope'",
    ):
        load_dictionary(data_copy)


def test_unknown_entity_in_masters_is_reported(data_copy: Path) -> None:
    path = data_copy / "masters.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["sources"][0]["masters"].append("vehicle")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidDictionary, match=r"masters\.yaml.*'vehicle'"):
        load_dictionary(data_copy)
