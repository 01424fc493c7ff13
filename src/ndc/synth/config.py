"""Configuration and results of a synthetic data run.

Fault rates are fractions of a source's records. Each fault is drawn only among the records where
it can occur (a CMND can replace a CCCD only for people born before 2000...), so a rate is a
ceiling that is met whenever enough eligible records exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

# Every fault type, with its default rate (fraction of a source's records).
DEFAULT_FAULT_RATES: dict[str, float] = {
    # names
    "name_typo": 0.02,  # one character substituted, transposed, deleted or doubled
    "name_unaccented": 0.02,  # typed without diacritics ("Nguyen Van An")
    "name_nfd": 0.01,  # decomposed Unicode (UTF-8 sources only)
    "name_tone_modern": 0.01,  # modern tone placement (Hoà, Thuỷ) instead of the canonical one
    # dates of birth
    "date_day_month_swap": 0.01,
    "date_year_only": 0.01,  # "1962" in text sources, 01/01/1962 in typed date columns
    # identifiers
    "id_digit_error": 0.015,  # one or two digits changed
    "id_digit_dropped": 0.005,  # one digit missing
    "id_missing": 0.01,  # identifier left empty
    "id_cmnd": 0.02,  # old 9-digit CMND in place of the CCCD
    # contact and address
    "phone_old_format": 0.02,  # 11-digit number from before the 2018 migration
    "phone_intl_spacing": 0.02,  # "+84 912 345 678"
    "address_pre2025": 0.03,  # old ward / district / province text
    # records
    "duplicate_exact": 0.01,
    "duplicate_near": 0.01,
    "dead_active": 0.005,  # a person who has died, still active in the source
    "malformed_row": 0.002,  # broken quoting, wrong column count, truncated JSON line
}
FAULT_TYPES: tuple[str, ...] = tuple(DEFAULT_FAULT_RATES)


class SynthConfig(BaseModel):
    """What to generate. Same config and seed -> byte-identical files."""

    model_config = ConfigDict(extra="forbid")

    citizens: int = Field(default=100_000, ge=200, description="People in the population register.")
    seed: int = Field(default=20251, description="Seed of every random draw.")
    out: Path = Field(default=Path("ndc-data/synth"), description="Output directory.")
    pg_url: str | None = Field(
        default=None,
        description="PostgreSQL URL: also write the SQL-served source (driving licences) there.",
    )
    pg_schema: str = Field(default="synth", description="PostgreSQL schema for the SQL source.")
    reference_date: date = Field(
        default=date(2025, 10, 1), description="'Today' of the data set: ages and validity."
    )
    faults: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_FAULT_RATES))
    sources: list[str] | None = Field(
        default=None, description="Only these sources (default: all)."
    )

    @field_validator("faults")
    @classmethod
    def _known_faults(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(FAULT_TYPES))
        if unknown:
            raise ValueError(f"unknown fault types {unknown}; known: {list(FAULT_TYPES)}")
        bad = sorted(k for k, r in v.items() if not 0.0 <= r <= 0.5)
        if bad:
            raise ValueError(f"fault rates must lie in [0, 0.5]: {bad}")
        return {k: float(v.get(k, DEFAULT_FAULT_RATES[k])) for k in FAULT_TYPES}

    def rate(self, fault: str) -> float:
        return self.faults.get(fault, DEFAULT_FAULT_RATES[fault])

    def with_faults(self, overrides: dict[str, float]) -> SynthConfig:
        merged = {**self.faults, **overrides}
        return self.model_copy(update={"faults": self._known_faults(merged)})


def load_fault_file(path: Path) -> dict[str, float]:
    """Read fault rates from YAML: either a mapping of rates or ``{faults: {...}}``."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(data, dict) and isinstance(data.get("faults"), dict):
        data = data["faults"]
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of fault type -> rate")
    return {str(k): float(v) for k, v in data.items()}


@dataclass(frozen=True)
class SourceSummary:
    """One written source: where, how, how many rows and faults."""

    name: str
    path: str  # relative to the output directory
    format: str  # csv | jsonl | parquet | sqlite
    encoding: str | None
    delimiter: str | None
    rows: int
    entity: str  # person | enterprise | mixed
    faults: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def faults_total(self) -> int:
        return sum(self.faults.values())


@dataclass(frozen=True)
class SynthSummary:
    """Result of :func:`ndc.synth.generate`."""

    out: Path
    seed: int
    citizens: int
    enterprises: int
    sources: list[SourceSummary]
    truth_rows: int
    seconds: float
    registers: dict[str, str] = field(default_factory=dict)  # name -> relative path
