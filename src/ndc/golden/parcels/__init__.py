"""Land parcels served by owner: the land register's parcels with per-field provenance, each
tied to the golden person its holder was linked to.

>>> from ndc.golden.parcels import publish_parcels, parcels_by_owner
>>> publish_parcels(data_dir, engine)                  # changed parcels only  # doctest: +SKIP
>>> parcels_by_owner(engine, "001095012345")[0].value("area_m2")             # doctest: +SKIP
"""

from ndc.golden.parcels.models import LandParcelRow, create_parcel_tables
from ndc.golden.parcels.publish import publish_parcels
from ndc.golden.parcels.readers import get_parcel, parcels_by_owner
from ndc.golden.parcels.schemas import LandParcel, OwnerLink, ParcelPublishResult

__all__ = [
    "LandParcel",
    "LandParcelRow",
    "OwnerLink",
    "ParcelPublishResult",
    "create_parcel_tables",
    "get_parcel",
    "parcels_by_owner",
    "publish_parcels",
]
