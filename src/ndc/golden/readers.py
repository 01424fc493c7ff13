"""Read published golden records, their history and the change feed from the serving store.

Everything here reads the serving store only (never DuckDB), so the portal, the exchange API
and subscribers can read while the pipeline runs. The state at a past date is the current row
with the ``previous`` attributes of every later event put back, newest first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ndc.golden.contributions import GOLDEN_ENTITIES
from ndc.golden.exceptions import UnknownGoldenEntity
from ndc.golden.models import ChangeEventRow, GoldenRecordRow
from ndc.golden.schemas import ChangeEvent, GoldenAttribute, GoldenRecord, Provenance

StoreLike = Session | Engine


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def expand(values: str, provenance: str) -> dict[str, GoldenAttribute]:
    """The stored compact provenance expanded to one ``GoldenAttribute`` per attribute."""
    vals: dict[str, str] = json.loads(values)
    prov: dict[str, Any] = json.loads(provenance)
    default = prov["record"]
    origin: dict[str, list[str]] = prov.get("from") or {}
    unverified = set(prov.get("unverified") or [])
    out: dict[str, GoldenAttribute] = {}
    for name in sorted(vals):
        source_id, record_key, as_of = origin.get(name, default)
        out[name] = GoldenAttribute(
            value=vals[name],
            provenance=Provenance(
                source_id=source_id,
                record_key=record_key,
                as_of=_ts(as_of),
                verified=name not in unverified,
            ),
        )
    return out


def _attr(doc: dict[str, Any] | None) -> GoldenAttribute | None:
    if doc is None:
        return None
    return GoldenAttribute(
        value=doc["value"],
        provenance=Provenance(
            source_id=doc["source_id"],
            record_key=doc["record_key"],
            as_of=_ts(doc.get("as_of")),
            verified=bool(doc["verified"]),
        ),
    )


def _event(row: ChangeEventRow) -> ChangeEvent:
    prev = json.loads(row.previous) if row.previous else None
    return ChangeEvent(
        seq=row.seq,
        entity=row.entity,
        entity_id=row.entity_id,
        version=row.version,
        kind=row.kind,
        attributes=json.loads(row.attributes) if row.attributes is not None else None,
        previous={k: _attr(v) for k, v in prev.items()} if prev is not None else None,
        sources=json.loads(row.sources),
        run_id=row.run_id,
        created_at=row.created_at,
    )


def _known(entity: str) -> None:
    if entity not in GOLDEN_ENTITIES:
        raise UnknownGoldenEntity(
            f"no golden records for {entity!r}; only for {', '.join(GOLDEN_ENTITIES)}"
        )


def _session(store: StoreLike) -> tuple[Session, bool]:
    if isinstance(store, Session):
        return store, False
    return Session(store), True


def _record(row: GoldenRecordRow) -> GoldenRecord:
    return GoldenRecord(
        entity=row.entity,
        entity_id=row.entity_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        run_id=row.run_id,
        attributes=expand(row.values, row.provenance),
    )


def get_golden(store: StoreLike, entity: str, entity_id: str) -> GoldenRecord | None:
    """The published golden record with per-attribute provenance, or ``None``."""
    _known(entity)
    session, owned = _session(store)
    try:
        row = session.get(GoldenRecordRow, (entity, entity_id))
        return _record(row) if row is not None else None
    finally:
        if owned:
            session.close()


def history(store: StoreLike, entity: str, entity_id: str) -> list[ChangeEvent]:
    """Every published change of one record, oldest first."""
    _known(entity)
    session, owned = _session(store)
    try:
        rows = session.scalars(
            select(ChangeEventRow)
            .where(ChangeEventRow.entity == entity, ChangeEventRow.entity_id == entity_id)
            .order_by(ChangeEventRow.seq)
        ).all()
        return [_event(r) for r in rows]
    finally:
        if owned:
            session.close()


def golden_as_of(
    store: StoreLike, entity: str, entity_id: str, when: datetime
) -> GoldenRecord | None:
    """The record as it was published at ``when`` (``None`` if it did not exist then)."""
    _known(entity)
    session, owned = _session(store)
    try:
        row = session.get(GoldenRecordRow, (entity, entity_id))
        later = session.scalars(
            select(ChangeEventRow)
            .where(
                ChangeEventRow.entity == entity,
                ChangeEventRow.entity_id == entity_id,
                ChangeEventRow.created_at > when,
            )
            .order_by(ChangeEventRow.seq.desc())
        ).all()
        earlier = session.scalars(
            select(ChangeEventRow)
            .where(
                ChangeEventRow.entity == entity,
                ChangeEventRow.entity_id == entity_id,
                ChangeEventRow.created_at <= when,
            )
            .order_by(ChangeEventRow.seq.desc())
            .limit(1)
        ).first()
    finally:
        if owned:
            session.close()
    if earlier is None or earlier.kind == "deleted":
        return None
    attrs = expand(row.values, row.provenance) if row is not None else {}
    for ev in later:  # newest first: put back what each change replaced
        if ev.kind == "created":  # re-created after a deletion: nothing before it
            attrs = {}
        for name, old in (_event(ev).previous or {}).items():
            if old is None:
                attrs.pop(name, None)
            else:
                attrs[name] = old
    created = row.created_at if row is not None else earlier.created_at
    return GoldenRecord(
        entity=entity,
        entity_id=entity_id,
        version=earlier.version,
        created_at=created,
        updated_at=earlier.created_at,
        run_id=earlier.run_id,
        attributes=dict(sorted(attrs.items())),
    )


def changes_since(store: StoreLike, cursor: int = 0, limit: int = 1000) -> list[ChangeEvent]:
    """Events after sequence number ``cursor``, in order; pass the last ``seq`` back next time."""
    session, owned = _session(store)
    try:
        rows = session.scalars(
            select(ChangeEventRow)
            .where(ChangeEventRow.seq > cursor)
            .order_by(ChangeEventRow.seq)
            .limit(limit)
        ).all()
        return [_event(r) for r in rows]
    finally:
        if owned:
            session.close()
