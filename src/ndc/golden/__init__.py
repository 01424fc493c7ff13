"""Golden records: one person, one enterprise, one truth — with provenance and history.

>>> from ndc.golden import build_golden, publish, get_golden, golden_as_of, changes_since
>>> stats = build_golden(data_dir)                        # survivorship in DuckDB  # doctest: +SKIP
>>> result = publish(data_dir, engine)                    # changed records only    # doctest: +SKIP
>>> get_golden(engine, "person", "001095012345").value("full_name")               # doctest: +SKIP
>>> publish_parcels(data_dir, engine)                     # land parcels, by owner  # doctest: +SKIP
>>> parcels_by_owner(engine, "001095012345")              # doctest: +SKIP
"""

from ndc.golden.exceptions import GoldenError, NothingToBuild, PublishConflict, UnknownGoldenEntity
from ndc.golden.links import build_exact_links
from ndc.golden.models import ChangeEventRow, GoldenRecordRow
from ndc.golden.parcels import (
    LandParcel,
    LandParcelRow,
    OwnerLink,
    ParcelPublishResult,
    create_parcel_tables,
    get_parcel,
    parcels_by_owner,
    publish_parcels,
)
from ndc.golden.publish import create_tables, publish
from ndc.golden.readers import changes_since, get_golden, golden_as_of, history
from ndc.golden.schemas import (
    BuildStats,
    ChangeEvent,
    GoldenAttribute,
    GoldenRecord,
    Provenance,
    PublishResult,
)
from ndc.golden.service import build_golden

__all__ = [
    "BuildStats",
    "ChangeEvent",
    "ChangeEventRow",
    "GoldenAttribute",
    "GoldenError",
    "GoldenRecord",
    "GoldenRecordRow",
    "LandParcel",
    "LandParcelRow",
    "NothingToBuild",
    "OwnerLink",
    "ParcelPublishResult",
    "Provenance",
    "PublishConflict",
    "PublishResult",
    "UnknownGoldenEntity",
    "build_exact_links",
    "build_golden",
    "changes_since",
    "create_parcel_tables",
    "create_tables",
    "get_golden",
    "get_parcel",
    "golden_as_of",
    "history",
    "parcels_by_owner",
    "publish",
    "publish_parcels",
]
