"""Resolve a source's mapping keys to data-dictionary fields.

A mapping key is a field of the source's entity (``licence_class``), a field of another entity
qualified by its name (``person.full_name``: the person attributes an agency record carries for
linking), or, with the ``address`` transform, an address prefix (``permanent_residence``) that
fills ``<prefix>_street``, ``<prefix>_commune_code`` and ``<prefix>_province_code``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ndc.dictionary import load_dictionary
from ndc.dictionary.schemas import DataField
from ndc.sources.exceptions import SourceConfigError
from ndc.sources.schemas import FieldMapping, SourceConfig

ADDRESS_PARTS = ("street", "commune_code", "province_code")


@dataclass(frozen=True)
class MappedField:
    key: str  # mapping key as written in the config
    column: str  # std-table column name (dots become '__')
    mapping: FieldMapping
    field: DataField | None  # None for an address prefix
    entity: str


def column_name(key: str) -> str:
    return key.replace(".", "__")


def resolve(cfg: SourceConfig) -> list[MappedField]:
    """Check every mapping key against the dictionary and return them in config order."""
    dictionary = load_dictionary()
    if cfg.entity not in dictionary.entities:
        raise SourceConfigError(f"source '{cfg.id}': unknown entity '{cfg.entity}'")
    out: list[MappedField] = []
    for key, mapping in cfg.mapping.items():
        entity_name, _, name = key.rpartition(".")
        entity_name = entity_name or cfg.entity
        entity = dictionary.entities.get(entity_name)
        if entity is None:
            raise SourceConfigError(f"source '{cfg.id}': mapping '{key}': unknown entity")
        names = set(entity.field_names)
        if mapping.transform == "address":
            missing = [p for p in ADDRESS_PARTS if f"{name}_{p}" not in names]
            if missing:
                raise SourceConfigError(
                    f"source '{cfg.id}': mapping '{key}': an address prefix needs fields "
                    f"{', '.join(f'{name}_{p}' for p in missing)} in entity '{entity_name}'"
                )
            out.append(MappedField(key, column_name(key), mapping, None, entity_name))
            continue
        if name not in names:
            raise SourceConfigError(
                f"source '{cfg.id}': mapping '{key}': entity '{entity_name}' has no field '{name}'"
            )
        out.append(MappedField(key, column_name(key), mapping, entity.field(name), entity_name))
    return out
