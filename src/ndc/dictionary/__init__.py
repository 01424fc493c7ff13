"""Shared data dictionary, code lists, reference data and master-source registry.

>>> from ndc.dictionary import load_dictionary, code_list, master_source_of
>>> load_dictionary().entity("person").field("ethnicity").code_list
'ethnicity'
>>> code_list("ethnicity").label("04")
'Mường'
>>> master_source_of("person", "date_of_birth").code
'population'
"""

from ndc.dictionary.admin_units import AdminUnits, load_admin_units
from ndc.dictionary.codelists import CodeItem, CodeList, code_label, code_list, code_list_names
from ndc.dictionary.exceptions import (
    DictionaryError,
    InvalidDictionary,
    ReferenceDataMissing,
    UnknownCodeList,
    UnknownEntity,
    UnknownField,
)
from ndc.dictionary.schemas import (
    DataDictionary,
    DataField,
    Entity,
    FieldType,
    IdentifierCheck,
    MasterSource,
    Sensitivity,
    Survivorship,
)
from ndc.dictionary.service import (
    EntitySummary,
    IdCheck,
    check_field_value,
    check_identifier,
    entity,
    entity_summaries,
    load_dictionary,
    master_source_of,
    validate_value,
)

__all__ = [
    "AdminUnits",
    "CodeItem",
    "CodeList",
    "DataDictionary",
    "DataField",
    "DictionaryError",
    "Entity",
    "EntitySummary",
    "FieldType",
    "IdCheck",
    "IdentifierCheck",
    "InvalidDictionary",
    "MasterSource",
    "ReferenceDataMissing",
    "Sensitivity",
    "Survivorship",
    "UnknownCodeList",
    "UnknownEntity",
    "UnknownField",
    "check_field_value",
    "check_identifier",
    "code_label",
    "code_list",
    "code_list_names",
    "entity",
    "entity_summaries",
    "load_admin_units",
    "load_dictionary",
    "master_source_of",
    "validate_value",
]
