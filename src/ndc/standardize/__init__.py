"""Standardisation: normalisers for names, dates, identifiers, phones, addresses, encodings.

Each normaliser has a per-value function and a ``..._table`` function that runs it once per
distinct value of a DuckDB column and returns a lookup table to join (set-based pipeline).
"""

from ndc.standardize.addresses import (
    AddressResult,
    address_index,
    parse_address,
    parse_addresses_table,
)
from ndc.standardize.codes import SYNONYMS, CodeMatcher, CodeResult, map_code, map_codes_table
from ndc.standardize.dates import DateResult, infer_order, parse_date, parse_dates_table
from ndc.standardize.distinct import build_lookup, distinct_values
from ndc.standardize.encodings import (
    SUPPORTED_ENCODINGS,
    DetectedEncoding,
    decode_legacy,
    detect_encoding,
    encode_legacy,
    is_vietnamese_syllable,
    iter_decoded,
    normalize_encoding_name,
    read_text,
    transcode_to_utf8,
)
from ndc.standardize.identifiers import (
    IdResult,
    PhoneResult,
    normalize_identifier,
    normalize_identifiers_table,
    standardize_phone,
    standardize_phones_table,
)
from ndc.standardize.names import NameResult, standardize_name, standardize_names_table
from ndc.standardize.text import fold_accents, nfc, set_tone_style

__all__ = [
    "SUPPORTED_ENCODINGS",
    "SYNONYMS",
    "AddressResult",
    "CodeMatcher",
    "CodeResult",
    "DateResult",
    "DetectedEncoding",
    "IdResult",
    "NameResult",
    "PhoneResult",
    "address_index",
    "build_lookup",
    "decode_legacy",
    "detect_encoding",
    "distinct_values",
    "encode_legacy",
    "fold_accents",
    "infer_order",
    "is_vietnamese_syllable",
    "iter_decoded",
    "map_code",
    "map_codes_table",
    "nfc",
    "normalize_encoding_name",
    "normalize_identifier",
    "normalize_identifiers_table",
    "parse_address",
    "parse_addresses_table",
    "parse_date",
    "parse_dates_table",
    "read_text",
    "set_tone_style",
    "standardize_name",
    "standardize_names_table",
    "standardize_phone",
    "standardize_phones_table",
    "transcode_to_utf8",
]
