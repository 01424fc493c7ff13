"""Errors of the sources domain: terminal vs retryable, so a scheduler knows what to retry."""


class SourceError(Exception):
    """Base class."""


class SourceConfigError(SourceError):
    """A source configuration file is invalid (terminal: fix the file)."""


class SourceReadError(SourceError):
    """A file cannot be read as declared (terminal until the agency sends a fixed file)."""


class SourceUnavailable(SourceError):
    """The source cannot be reached now: missing file, database down (retryable)."""
