"""Reading published records for the API, minimised to the permitted fields while rendering.

The request path reads the stored JSON text and renders only the permitted fields with their
provenance: no per-attribute objects for fields the client will not see.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ndc.exchange.api.reader import FastReader

_SELECT = (
    'SELECT entity_id, version, updated_at, "values", provenance FROM golden_records '
    "WHERE entity = ? AND entity_id "
)


def iso(value: Any) -> str | None:
    """ISO 8601 from a driver's datetime (PostgreSQL) or stored text (SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return str(value.isoformat())


def field_out(value: Any, source: str, as_of: str | None, verified: bool) -> dict[str, Any]:
    """One field as every dataset's answer shows it: value and provenance."""
    return {"value": value, "source": source, "as_of": as_of, "verified": verified}


def render(row: Sequence[Any], fields: Sequence[str] | None, dataset: str) -> dict[str, Any]:
    """One record as the API returns it: ``fields`` only (``None``: every stored field)."""
    entity_id, version, updated_at, values_text, prov_text = row
    values: dict[str, Any] = json.loads(values_text)
    prov: dict[str, Any] = json.loads(prov_text)
    default = prov["record"]
    origin: dict[str, list[Any]] = prov.get("from") or {}
    unverified = set(prov.get("unverified") or ())
    names = sorted(values) if fields is None else [f for f in fields if f in values]
    out: dict[str, Any] = {}
    for name in names:
        source_id, _record_key, as_of = origin.get(name, default)
        out[name] = field_out(values[name], source_id, as_of, name not in unverified)
    return {
        "dataset": dataset,
        "id": entity_id,
        "version": version,
        "updated_at": iso(updated_at),
        "fields": out,
    }


def read_one(reader: FastReader, entity: str, entity_id: str) -> Sequence[Any] | None:
    return reader.one(_SELECT + "= ?", (entity, entity_id))


def read_many(reader: FastReader, entity: str, ids: Sequence[str]) -> dict[str, Sequence[Any]]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = reader.all(_SELECT + f"IN ({marks})", (entity, *ids))
    return {r[0]: r for r in rows}


def _norm(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def matches(stored: str | None, claimed: str) -> bool:
    """Verification compares canonical forms: NFC, case-folded, whitespace collapsed."""
    return stored is not None and _norm(str(stored)) == _norm(claimed)


def stored_values(row: Sequence[Any] | None) -> dict[str, Any]:
    return {} if row is None else dict(json.loads(row[3]))
