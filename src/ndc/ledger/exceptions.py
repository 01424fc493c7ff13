"""Ledger errors: terminal (fix configuration or data) vs retryable (try again)."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every ledger error."""


class LedgerConfigError(LedgerError):
    """Terminal: a key is missing or malformed; an operator must act."""


class EntryError(LedgerError, ValueError):
    """Terminal: an event cannot be logged (too large, personal data in clear, bad field)."""


class NotFoundError(LedgerError, LookupError):
    """Terminal: the entry, tile or tree size asked for does not exist (yet)."""


class IntegrationConflict(LedgerError):
    """Retryable: another sequencer integrated first; reload state and try again."""


class LedgerIntegrityError(LedgerError):
    """Terminal: the stored tiles disagree with each other or with a signed checkpoint.

    Raised instead of serving a proof that would not verify; run ``ndc ledger verify``.
    """
