"""Entity resolution: link records to the population and enterprise registers.

Deterministic SQL joins first (identical identifier agreeing with date of birth and folded
name), Splink on the residue, a review queue for what cannot be decided. See docs/linking.md.
"""

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
