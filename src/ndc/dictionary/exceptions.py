"""Errors of the dictionary domain."""


class DictionaryError(Exception):
    """Base class: a terminal error (retrying will not help)."""


class ReferenceDataMissing(DictionaryError):
    """A reference data package is not installed."""


class UnknownEntity(DictionaryError):
    """No entity of that name in the data dictionary."""


class UnknownCodeList(DictionaryError):
    """No code list of that name."""
