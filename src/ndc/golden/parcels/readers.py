"""Read published land parcels from the serving store (never DuckDB), by owner or by id.

Per-field provenance comes out in the golden records' shape (``GoldenAttribute``): every field
of a parcel comes from the land register's one record, its master source, so each is verified.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from ndc.golden.parcels.models import LandParcelRow
from ndc.golden.parcels.schemas import LandParcel, OwnerLink
from ndc.golden.readers import StoreLike, _session, expand


def _parcel(row: LandParcelRow) -> LandParcel:
    owner = json.loads(row.provenance).get("owner")
    return LandParcel(
        parcel_id=row.parcel_id,
        owner_id=row.owner_id,
        owner_link=OwnerLink(
            method=owner["method"], match_probability=owner.get("match_probability")
        )
        if owner
        else None,
        updated_at=row.updated_at,
        run_id=row.run_id,
        attributes=expand(row.values, row.provenance),
    )


def parcels_by_owner(store: StoreLike, owner_id: str) -> list[LandParcel]:
    """The parcels whose holder is linked to this person (CCCD), by parcel id; parcels with no
    linked owner are never returned."""
    session, owned = _session(store)
    try:
        rows = session.scalars(
            select(LandParcelRow)
            .where(LandParcelRow.owner_id == owner_id)
            .order_by(LandParcelRow.parcel_id)
        ).all()
        return [_parcel(r) for r in rows]
    finally:
        if owned:
            session.close()


def get_parcel(store: StoreLike, parcel_id: str) -> LandParcel | None:
    """One published parcel with per-field provenance, or ``None``."""
    session, owned = _session(store)
    try:
        row = session.get(LandParcelRow, parcel_id)
        return _parcel(row) if row is not None else None
    finally:
        if owned:
            session.close()
