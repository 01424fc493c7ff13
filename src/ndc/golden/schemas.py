"""Typed results of building, publishing and reading golden records."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class BuildStats(_Frozen):
    """What one ``build_golden`` did: entity counts, attribute changes against the last build."""

    run_id: str
    entities: dict[str, int]  # golden records per entity
    recomputed: int  # golden records recomputed (those whose input records changed)
    observations: int  # attribute values offered by the linked records of those
    attributes: int  # golden attributes chosen
    changed_attributes: int  # history rows written (added, changed or removed attributes)
    created_entities: int
    removed_entities: int
    seconds: float


class PublishResult(_Frozen):
    """What one ``publish`` wrote to the serving store."""

    run_id: str
    written: int  # entities inserted or rewritten (created or updated)
    deleted: int  # entities removed because no linked record supports them any more
    unchanged: int
    events: int  # change events emitted (one per written or deleted entity)
    first_seq: int | None  # sequence number of the first event emitted, if any
    last_seq: int | None
    seconds: float


class Provenance(_Frozen):
    """Where a golden attribute's value comes from.

    ``verified`` is true when the value comes from, or agrees with, the field's master source.
    """

    source_id: str
    record_key: str
    as_of: datetime | None
    verified: bool


class GoldenAttribute(_Frozen):
    value: str
    provenance: Provenance


class GoldenRecord(_Frozen):
    entity: str
    entity_id: str
    version: int
    created_at: datetime
    updated_at: datetime
    run_id: str
    attributes: dict[str, GoldenAttribute]

    def value(self, name: str) -> str | None:
        attr = self.attributes.get(name)
        return attr.value if attr else None


class ChangeEvent(_Frozen):
    """One published change of one entity; subscribers read them in ``seq`` order.

    ``attributes`` lists the attributes whose value or provenance changed; it is ``None`` for
    ``created`` (every attribute is new) and ``deleted`` events. ``previous`` holds those
    attributes as they were before (``None`` for an attribute that did not exist), which is what
    makes the state at any past date readable. ``sources`` says why: the sources whose records
    the new values come from.
    """

    seq: int
    entity: str
    entity_id: str
    version: int
    kind: str  # created | updated | deleted
    attributes: list[str] | None
    previous: dict[str, GoldenAttribute | None] | None
    sources: list[str]  # sources the new values come from (why it changed)
    run_id: str
    created_at: datetime
