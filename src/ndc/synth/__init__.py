"""Synthetic national data with ground truth.

``generate(SynthConfig(citizens=..., seed=..., out=...))`` writes a population register and an
enterprise register (the masters), eight agency sources in their native shapes with realistic
faults, the ground truth of every source record and a manifest. Same seed and config give
byte-identical files.
"""

from __future__ import annotations

from ndc.synth.config import (
    DEFAULT_FAULT_RATES,
    FAULT_TYPES,
    SourceSummary,
    SynthConfig,
    SynthSummary,
    load_fault_file,
)
from ndc.synth.generate import MANIFEST, generate
from ndc.synth.sources import SOURCE_NAMES

__all__ = [
    "DEFAULT_FAULT_RATES",
    "FAULT_TYPES",
    "MANIFEST",
    "SOURCE_NAMES",
    "SourceSummary",
    "SynthConfig",
    "SynthSummary",
    "generate",
    "load_fault_file",
]
