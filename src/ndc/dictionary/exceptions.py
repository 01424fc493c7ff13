"""Errors of the dictionary domain."""


class DictionaryError(Exception):
    """Base class: a terminal error (retrying will not help)."""


class ReferenceDataMissing(DictionaryError):
    """A reference data package is not installed."""


class UnknownEntity(DictionaryError):
    """No entity of that name in the data dictionary."""


class UnknownCodeList(DictionaryError):
    """No code list of that name."""


class UnknownField(DictionaryError, KeyError):
    """No field of that name in the entity."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidDictionary(DictionaryError):
    """A data dictionary file does not validate; the message names the file and the field."""
