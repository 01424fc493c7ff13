"""Typed results of publishing and reading land parcels."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ndc.golden.schemas import GoldenAttribute


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class OwnerLink(_Frozen):
    """How the parcel's holder was linked to the owner's golden record (``ndc.link``)."""

    method: str  # master | deterministic | probabilistic | reviewer
    match_probability: float | None


class LandParcel(_Frozen):
    """One published parcel; ``attributes`` have the shape of a golden record's, so clients
    render a person and their parcels alike."""

    parcel_id: str
    owner_id: str | None  # CCCD of the linked person; None when the holder is not linked
    owner_link: OwnerLink | None
    updated_at: datetime
    run_id: str
    attributes: dict[str, GoldenAttribute]

    def value(self, name: str) -> str | None:
        attr = self.attributes.get(name)
        return attr.value if attr else None


class ParcelPublishResult(_Frozen):
    """What one ``publish_parcels`` wrote to the serving store."""

    run_id: str
    source_id: str | None  # the land register read; None when it has not been loaded yet
    parcels: int  # accepted, live parcels in the register
    owned: int  # of them, parcels whose holder is linked to a person
    inserted: int
    updated: int
    deleted: int
    unchanged: int
    seconds: float

    @property
    def written(self) -> int:
        """Parcels inserted or rewritten, as ``PublishResult.written`` counts records."""
        return self.inserted + self.updated
