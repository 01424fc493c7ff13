"""Golden-record errors: terminal (fix the input) versus retryable (try again later)."""

from __future__ import annotations


class GoldenError(Exception):
    """Base of every golden-record error."""


class NothingToBuild(GoldenError):
    """Terminal: the pipeline database has no ``links`` table or no standardised rows yet."""


class UnknownGoldenEntity(GoldenError):
    """Terminal: the entity has no golden records (only ``person`` and ``enterprise`` do)."""


class PublishConflict(GoldenError):
    """Retryable: another publish holds the store or the pipeline database; run it again."""
