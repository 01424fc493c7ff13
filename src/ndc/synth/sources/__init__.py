"""The agency sources, each in its native shape (columns, format, encoding, date format)."""

from __future__ import annotations

from ndc.synth.sources import people, registers
from ndc.synth.sources.base import SourceSpec

SOURCES: tuple[SourceSpec, ...] = (
    people.SPECS[0],  # civil_servants
    people.SPECS[1],  # social_insurance
    people.SPECS[2],  # health_insurance
    registers.SPECS[0],  # business_registration
    registers.SPECS[1],  # tax
    registers.SPECS[2],  # land_parcels
    people.SPECS[3],  # driving_licences
    registers.SPECS[3],  # civil_status
)
SOURCE_NAMES: tuple[str, ...] = tuple(s.name for s in SOURCES)

__all__ = ["SOURCES", "SOURCE_NAMES", "SourceSpec"]
