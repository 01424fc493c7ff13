"""Loading, validation and lookup of the shared data dictionary.

``load_dictionary()`` reads ``data/masters.yaml`` and every ``data/entities/*.yaml``, validates them
against :mod:`ndc.dictionary.schemas` and the code lists, and raises
:class:`~ndc.dictionary.exceptions.InvalidDictionary` naming the file and the field on any error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ndc.dictionary.codelists import code_list, code_list_names
from ndc.dictionary.exceptions import InvalidDictionary
from ndc.dictionary.identifiers import (
    normalize_phone,
    validate_cccd,
    validate_cmnd,
    validate_mst,
)
from ndc.dictionary.schemas import (
    DataDictionary,
    DataField,
    Entity,
    FieldType,
    IdentifierCheck,
    MasterSource,
)

MASTERS_FILE = "masters.yaml"
ENTITIES_DIR = "entities"


def _data_root() -> Traversable:
    return resources.files("ndc.dictionary").joinpath("data")


def _read_yaml(path: Traversable, label: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidDictionary(f"{label}: not valid YAML: {exc}") from None


def _describe(exc: ValidationError, label: str, raw: Any) -> InvalidDictionary:
    """Turn pydantic errors into one message naming the file and the field (by name, not index)."""
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = []
        node = raw
        for part in loc:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
                name = node.get("name") if isinstance(node, dict) else None
                where.append(f"[{name}]" if name else f"[{part}]")
            else:
                node = node.get(part) if isinstance(node, dict) else None
                where.append(f".{part}")
        path = "".join(where).lstrip(".")
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{label}: {path or '(top level)'}: {msg}")
    return InvalidDictionary("\n".join(lines))


def load_dictionary(data_dir: Path | None = None) -> DataDictionary:
    """Load and validate the data dictionary (from the package, or from ``data_dir``).

    The package copy is cached: call it freely.
    """
    if data_dir is None:
        return _load_packaged()
    return _load(data_dir)


@cache
def _load_packaged() -> DataDictionary:
    return _load(_data_root())


def _load(root: Traversable | Path) -> DataDictionary:
    masters_raw = _read_yaml(root.joinpath(MASTERS_FILE), MASTERS_FILE)
    if not isinstance(masters_raw, dict) or not isinstance(masters_raw.get("sources"), list):
        raise InvalidDictionary(f"{MASTERS_FILE}: expected a mapping with a 'sources' list")
    sources: dict[str, MasterSource] = {}
    for i, raw in enumerate(masters_raw["sources"]):
        try:
            src = MasterSource.model_validate(raw)
        except ValidationError as exc:
            raise _describe(exc, f"{MASTERS_FILE}: sources[{i}]", raw) from None
        if src.code in sources:
            raise InvalidDictionary(f"{MASTERS_FILE}: duplicate source code {src.code!r}")
        sources[src.code] = src

    context = {"code_lists": set(code_list_names()), "sources": set(sources)}
    entities: dict[str, Entity] = {}
    folder = root.joinpath(ENTITIES_DIR)
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yaml"):
            continue
        label = f"{ENTITIES_DIR}/{path.name}"
        raw = _read_yaml(path, label)
        try:
            ent = Entity.model_validate(raw, context=context)
        except ValidationError as exc:
            raise _describe(exc, label, raw) from None
        if ent.name != path.name.removesuffix(".yaml"):
            raise InvalidDictionary(f"{label}: entity name {ent.name!r} must match the file name")
        entities[ent.name] = ent
    if not entities:
        raise InvalidDictionary(f"{ENTITIES_DIR}/: no entity files")

    for src in sources.values():
        unknown = [e for e in src.masters if e not in entities]
        if unknown:
            raise InvalidDictionary(
                f"{MASTERS_FILE}: source {src.code!r} masters unknown entities {unknown}"
            )
    for ent in entities.values():
        for f in ent.fields:
            if f.references:
                target_entity, target_field = f.references.split(".")
                target = entities.get(target_entity)
                if target is None or target_field not in target.field_names:
                    raise InvalidDictionary(
                        f"{ENTITIES_DIR}/{ent.name}.yaml: fields[{f.name}].references: "
                        f"unknown field {f.references!r}"
                    )
    return DataDictionary(
        version=str(masters_raw.get("version", "0")), entities=entities, sources=sources
    )


# ------------------------------------------------------------------------------ lookups


def entity(name: str) -> Entity:
    """Shortcut: ``load_dictionary().entity(name)``."""
    return load_dictionary().entity(name)


def master_source_of(entity: str, field: str | None = None) -> MasterSource:
    """The master source of ``entity.field`` (or of the entity) in the packaged dictionary."""
    return load_dictionary().master_source_of(entity, field)


@dataclass(frozen=True, slots=True)
class EntitySummary:
    name: str
    label_vi: str
    label_en: str
    fields: int
    required: int
    sensitive: int
    master_source: str
    other_masters: tuple[str, ...]


def entity_summaries() -> list[EntitySummary]:
    """One row per entity: field counts and master sources."""
    out = []
    for e in load_dictionary().entities.values():
        masters = {f.master_source for f in e.fields} - {e.master_source}
        out.append(
            EntitySummary(
                e.name,
                e.label_vi,
                e.label_en,
                len(e.fields),
                sum(f.required for f in e.fields),
                sum(f.sensitivity == "sensitive" for f in e.fields),
                e.master_source,
                tuple(sorted(masters)),
            )
        )
    return out


# --------------------------------------------------------------------------- validation

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_BOOLEAN = frozenset({"true", "false", "1", "0"})


def _valid_date(value: str, partial: bool) -> bool:
    if _ISO_DATE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    m = _PARTIAL_DATE.match(value) if partial else None
    return bool(m) and (m.group(2) is None or 1 <= int(m.group(2)) <= 12)  # type: ignore[union-attr]


def validate_value(entity: str, field: str, value: str | None) -> list[str]:
    """Reason codes (empty when valid) for a raw string value of ``entity.field``.

    Codes: ``required``, ``type.<type>``, ``pattern``, ``code_list``, and the identifier
    validators' own codes (``cccd.format``, ``mst.check_digit``, ``phone.prefix``...).
    """
    f = load_dictionary().field(entity, field)
    return check_field_value(f, value)


def check_field_value(f: DataField, value: str | None) -> list[str]:
    """As :func:`validate_value`, for a field already looked up."""
    if value is None or value == "":
        return ["required"] if f.required else []
    errors: list[str] = []
    typ = f.type
    if typ is FieldType.DATE and not _valid_date(value, f.partial):
        errors.append("type.date")
    elif typ is FieldType.INTEGER and not _INTEGER.match(value):
        errors.append("type.integer")
    elif typ is FieldType.DECIMAL and not _DECIMAL.match(value):
        errors.append("type.decimal")
    elif typ is FieldType.BOOLEAN and value.lower() not in _BOOLEAN:
        errors.append("type.boolean")
    if f.pattern and not re.fullmatch(f.pattern, value):
        errors.append("pattern")
    if f.code_list and value not in code_list(f.code_list):
        errors.append("code_list")
    if f.check is not None and "pattern" not in errors:
        errors.extend(check_identifier(f.check, value).errors)
    return errors


@dataclass(frozen=True, slots=True)
class IdCheck:
    """Result of :func:`check_identifier`; ``normalized`` is the canonical form, if any."""

    kind: str
    value: str
    errors: tuple[str, ...]
    normalized: str | None = None
    details: tuple[tuple[str, str], ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors


def check_identifier(
    kind: IdentifierCheck | str,
    value: str,
    birth_date: date | None = None,
    sex: str | None = None,
) -> IdCheck:
    """Validate a CCCD, CMND, MST or phone number; ``birth_date``/``sex`` cross-check a CCCD."""
    kind = IdentifierCheck(kind)
    value = value.strip()
    if kind is IdentifierCheck.CCCD:
        c = validate_cccd(value, birth_date, sex)
        details: list[tuple[str, str]] = []
        if "cccd.format" not in c.errors:
            prov = code_list("cccd_province").get(value[:3])
            details.append(("province", prov.label_vi if prov else "?"))
            cs = int(value[3])
            details.append(("birth_year", str(1900 + (cs // 2) * 100 + int(value[4:6]))))
            details.append(("sex", code_list("sex").label("2" if cs % 2 else "1")))
        return IdCheck(kind, value, c.errors, value if c.valid else None, tuple(details))
    if kind is IdentifierCheck.CMND:
        c = validate_cmnd(value)
        return IdCheck(kind, value, c.errors, value if c.valid else None)
    if kind is IdentifierCheck.MST:
        c = validate_mst(value)
        details = []
        if c.valid:
            details.append(("branch", value[11:] if "-" in value else "no"))
        return IdCheck(kind, value, c.errors, value if c.valid else None, tuple(details))
    p = normalize_phone(value)
    details = [("migrated", "yes" if p.migrated else "no")]
    if p.e164:
        details.append(("e164", p.e164))
    return IdCheck(kind, value, p.errors, p.national, tuple(details))
