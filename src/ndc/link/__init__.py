"""Entity resolution: link records to the population and enterprise registers.

Deterministic SQL joins first (identical identifier agreeing with date of birth and folded
name), Splink on the residue, a review queue for what cannot be decided. See docs/linking.md.
Names are loaded on first use, so that ``ndc`` commands which do not link never import Splink.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ndc.link.config import LinkConfig, LinkConfigError, load_config, parse_config
    from ndc.link.engine_files import link_files
    from ndc.link.national import LinkError, link_sources
    from ndc.link.review import ReviewError, record_decision, review_queue
    from ndc.link.schemas import (
        Candidate,
        Decision,
        FileLinkReport,
        LinkRunReport,
        ReviewItem,
        SourceLinkCounts,
    )

_WHERE = {
    "ndc.link.config": ("LinkConfig", "LinkConfigError", "load_config", "parse_config"),
    "ndc.link.engine_files": ("link_files",),
    "ndc.link.national": ("LinkError", "link_sources"),
    "ndc.link.review": ("ReviewError", "record_decision", "review_queue"),
    "ndc.link.schemas": (
        "Candidate",
        "Decision",
        "FileLinkReport",
        "LinkRunReport",
        "ReviewItem",
        "SourceLinkCounts",
    ),
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [
    "Candidate",
    "Decision",
    "FileLinkReport",
    "LinkConfig",
    "LinkConfigError",
    "LinkError",
    "LinkRunReport",
    "ReviewError",
    "ReviewItem",
    "SourceLinkCounts",
    "link_files",
    "link_sources",
    "load_config",
    "parse_config",
    "record_decision",
    "review_queue",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE:
        raise AttributeError(f"module 'ndc.link' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE[name]), name)
