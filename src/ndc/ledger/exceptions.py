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
