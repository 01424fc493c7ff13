"""Which standardised columns offer a value for which golden attribute.

Read from the source configs and the data dictionary, never hand-listed, so a new source that
maps ``person.*`` fields feeds the person golden record without a change here:

- a field of a golden entity (``person``, ``enterprise``) mapped by a source of that entity (the
  registers) or qualified by the entity name (``person.phone`` in the tax source);
- an address prefix (``person.permanent_residence``) fills its ``_street``, ``_commune_code``
  and ``_province_code`` attributes;
- a full name parsed by the ``name`` transform also offers its family, middle and given parts
  (unless the source maps those separately);
- a field of the source's own entity that is a copy of a golden attribute: same name as a field
  of the golden entity and mastered by that entity's master source (the civil servants'
  ``full_name`` and ``date_of_birth`` are "mastered by the population register").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ndc.dictionary import load_dictionary
from ndc.dictionary.schemas import Entity
from ndc.pipeline.fields import ADDRESS_PARTS, resolve
from ndc.pipeline.store import std_table, table_columns, table_exists
from ndc.sources.schemas import SourceConfig
from ndc.sources.service import load_configs

GOLDEN_ENTITIES = ("person", "enterprise")
NAME_PARTS = {"family": "family_name", "middle": "middle_name", "given": "given_name"}


@dataclass(frozen=True)
class Contribution:
    """Std column ``column`` of source ``source_id`` offers values for ``entity.attribute``."""

    source_id: str
    entity: str
    attribute: str
    column: str


def _targets(cfg: SourceConfig, golden: dict[str, Entity]) -> list[tuple[str, str, str]]:
    """(entity, attribute, std column) triples one source config offers, in config order."""
    out: list[tuple[str, str, str]] = []
    for mf in resolve(cfg):
        name = mf.key.rpartition(".")[2]
        ent = golden.get(mf.entity)
        if ent is not None:
            if mf.field is None:  # address prefix
                out += [(ent.name, f"{name}_{p}", f"{mf.column}_{p}") for p in ADDRESS_PARTS]
                continue
            out.append((ent.name, mf.field.name, mf.column))
            if mf.mapping.transform == "name" and mf.field.name == "full_name":
                out += [
                    (ent.name, attr, f"{mf.column}__{part}")
                    for part, attr in NAME_PARTS.items()
                    if attr in ent.field_names
                ]
            continue
        if mf.field is None or mf.entity != cfg.entity:
            continue
        for g in golden.values():  # a copy of a golden attribute kept by another agency
            if mf.field.name in g.field_names and mf.field.master_source == g.master_source:
                out.append((g.name, mf.field.name, mf.column))
    return out


def contributions(con: duckdb.DuckDBPyConnection, data_dir: Path) -> list[Contribution]:
    """Every (source, attribute, column) whose std table exists and has the column.

    When two columns of one source offer the same attribute (a register maps ``family_name``
    directly and also a parsed ``full_name``), the explicitly mapped one wins.
    """
    dictionary = load_dictionary()
    golden = {name: dictionary.entity(name) for name in GOLDEN_ENTITIES}
    out: list[Contribution] = []
    for cfg in load_configs(data_dir):
        table = std_table(cfg.id)
        if not table_exists(con, table):
            continue
        columns = set(table_columns(con, table))
        triples = _targets(cfg, golden)
        direct = {
            (e, a) for e, a, c in triples if not c.endswith(tuple(f"__{p}" for p in NAME_PARTS))
        }
        seen: set[tuple[str, str]] = set()
        for ent, attr, col in triples:
            derived = col.endswith(tuple(f"__{p}" for p in NAME_PARTS))
            if col not in columns or (ent, attr) in seen or (derived and (ent, attr) in direct):
                continue
            seen.add((ent, attr))
            out.append(Contribution(cfg.id, ent, attr, col))
    return out
