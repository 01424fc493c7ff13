"""Pydantic models of the shared data dictionary (entities, fields, master sources).

The YAML files under ``data/`` are validated against these models when they are loaded:
cross-references (code list names, master sources, ``references`` to other entities' fields) are
checked through the validation context, so a typo is a load-time error naming the file and field.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ndc.dictionary.exceptions import UnknownEntity, UnknownField

SNAKE = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
SnakeName = Annotated[str, Field(pattern=SNAKE)]
Text = Annotated[str, Field(min_length=1)]


class Sensitivity(StrEnum):
    """Personal-data class (Law 91/2025/QH15 on Personal Data Protection; Decree 13/2023/NĐ-CP).

    ``basic``: identifies or is about a person (name, date of birth, ID numbers, address...).
    ``sensitive``: ethnicity, religion, health (not blood group), biometrics, criminal record,
    financial and credit data, precise location... — stricter consent and protection rules.
    ``none``: not personal data (e.g. an enterprise's registered details).
    """

    NONE = "none"
    BASIC = "basic"
    SENSITIVE = "sensitive"


class FieldType(StrEnum):
    STRING = "string"
    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    CODE = "code"


class Survivorship(StrEnum):
    """Rules for building a golden record's attribute from several sources, tried in order."""

    MASTER = "master"  # the value held by the field's master source
    MOST_RECENT = "most_recent"  # the most recently updated value
    MOST_FREQUENT = "most_frequent"  # the value most sources agree on
    MOST_COMPLETE = "most_complete"  # the most precise value (full date over year only...)
    EARLIEST = "earliest"  # the first value recorded (e.g. a registration date)


class IdentifierCheck(StrEnum):
    """Identifier validators of :mod:`ndc.dictionary.identifiers` a field's values must pass."""

    CCCD = "cccd"
    CMND = "cmnd"
    MST = "mst"
    PHONE = "phone"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MasterSource(_Strict):
    """An agency database that is the source of truth (dữ liệu chủ) for some entities/fields."""

    code: SnakeName
    name_vi: Text
    name_en: Text
    owner_vi: Text
    owner_en: Text
    legal_basis: Text
    since: str | None = None  # when the current owner took it over, if it changed recently
    masters: list[SnakeName] = Field(min_length=1)  # entities it masters (fully or in part)
    note: str | None = None


class DataField(_Strict):
    """One attribute of an entity."""

    name: SnakeName
    label_vi: Text
    label_en: Text
    definition_vi: Text
    definition_en: Text
    type: FieldType
    format: str | None = None  # human-readable format, e.g. "YYYY-MM-DD"
    pattern: str | None = None  # regular expression the value must match in full
    code_list: str | None = None
    check: IdentifierCheck | None = None
    required: bool
    partial: bool = False  # dates: "YYYY" or "YYYY-MM" accepted
    sensitivity: Sensitivity
    master_source: SnakeName
    survivorship: list[Survivorship] = Field(min_length=1)
    references: str | None = None  # "entity.field" this value points to (a foreign key)
    example: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return v

    @field_validator("code_list")
    @classmethod
    def _known_code_list(cls, v: str | None, info: ValidationInfo) -> str | None:
        known = (info.context or {}).get("code_lists")
        if v is not None and known is not None and v not in known:
            raise ValueError(f"unknown code list {v!r}")
        return v

    @field_validator("master_source")
    @classmethod
    def _known_source(cls, v: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("sources")
        if known is not None and v not in known:
            raise ValueError(f"unknown master source {v!r}; known: {', '.join(sorted(known))}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> DataField:
        if self.type is FieldType.CODE and not self.code_list:
            raise ValueError("a field of type 'code' needs a 'code_list'")
        if self.code_list and self.type is not FieldType.CODE:
            raise ValueError("'code_list' is only allowed on fields of type 'code'")
        if self.partial and self.type is not FieldType.DATE:
            raise ValueError("'partial' is only allowed on dates")
        if self.references is not None and not re.fullmatch(
            r"[a-z_]+\.[a-z0-9_]+", self.references
        ):
            raise ValueError("'references' must look like 'entity.field'")
        return self


class Entity(_Strict):
    """A business entity of the integrated national database (person, enterprise...)."""

    name: SnakeName
    label_vi: Text
    label_en: Text
    definition_vi: Text
    definition_en: Text
    master_source: SnakeName
    primary_key: SnakeName
    fields: list[DataField] = Field(min_length=1)

    @field_validator("master_source")
    @classmethod
    def _known_source(cls, v: str, info: ValidationInfo) -> str:
        return DataField._known_source(v, info)

    @model_validator(mode="after")
    def _keys(self) -> Entity:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names: {', '.join(dupes)}")
        if self.primary_key not in names:
            raise ValueError(f"primary key {self.primary_key!r} is not one of the fields")
        return self

    def field(self, name: str) -> DataField:
        for f in self.fields:
            if f.name == name:
                return f
        raise UnknownField(
            f"entity {self.name!r} has no field {name!r}; fields: "
            + ", ".join(f.name for f in self.fields)
        )

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def fields_by_sensitivity(self, sensitivity: Sensitivity | str) -> list[DataField]:
        return [f for f in self.fields if f.sensitivity == sensitivity]


class DataDictionary(_Strict):
    """The whole dictionary: entities by name and the master-source registry by code."""

    version: str
    entities: dict[str, Entity]
    sources: dict[str, MasterSource]

    def entity(self, name: str) -> Entity:
        try:
            return self.entities[name]
        except KeyError:
            raise UnknownEntity(
                f"no entity named {name!r}; known: {', '.join(self.entities)}"
            ) from None

    def field(self, entity: str, field: str) -> DataField:
        return self.entity(entity).field(field)

    def master_source_of(self, entity: str, field: str | None = None) -> MasterSource:
        """The master source of a field (or of the entity as a whole when ``field`` is None)."""
        ent = self.entity(entity)
        code = ent.master_source if field is None else ent.field(field).master_source
        return self.sources[code]

    def fields_mastered_by(self, source: str) -> list[tuple[str, str]]:
        """(entity, field) pairs whose master is ``source``."""
        return [
            (e.name, f.name)
            for e in self.entities.values()
            for f in e.fields
            if f.master_source == source
        ]
