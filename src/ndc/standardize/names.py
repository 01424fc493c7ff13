"""Personal names: one canonical spelling, an accent-folded matching key and a family/middle/given
split.

Canonical form: NFC, traditional tone placement (``Hòa``, ``Thủy``: see ``ndc.standardize.text``),
single spaces, each word capitalised (``Nguyễn Văn An``; also after an apostrophe: ``H'Hen Niê``).
Digits and punctuation other than the apostrophe are removed and flagged. The key drops every
diacritic and maps đ to d (``nguyen van an``): records typed without accents, in NFD or with the
modern tone placement get the same key, which is what blocking in record linkage needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ndc.standardize.distinct import FLAGS, build_lookup
from ndc.standardize.text import fold_accents, nfc, set_tone_style

# Flags (reason codes); docs/standardisation.md explains each.
NFD = "name.nfd"
TONE_MODERN = "name.tone_modern"
CASE = "name.case"
SPACING = "name.spacing"
STRAY_CHARS = "name.stray_chars"
NO_ACCENTS = "name.no_accents"
COMPOUND_FAMILY = "name.compound_family"
SINGLE_WORD = "name.single_word"
EMPTY = "name.empty"

# Two-word family names that we keep together when the name has at least three words. Kept short
# on purpose: "Tôn Nữ" is usually a middle element (Tôn Nữ Thị ...), so it is not listed.
COMPOUND_FAMILIES = frozenset(
    {"ton that", "nguyen phuoc", "nguyen phuc", "au duong", "tu ma", "gia cat", "thuong quan"}
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_NOT_NAME = re.compile(r"[^\w\s']|[\d_]")
_KEY_DROP = re.compile(r"[^a-z ]+")


@dataclass(frozen=True, slots=True)
class NameResult:
    original: str
    standard: str
    key: str
    family: str
    middle: str
    given: str
    flags: tuple[str, ...]


def _cap(word: str) -> str:
    """Capitalise a word (and the letter after an apostrophe), keeping one char per char."""
    out: list[str] = []
    start = True
    for ch in word:
        if ch == "'":
            out.append(ch)
            start = True
            continue
        new = ch.upper() if start else ch.lower()
        out.append(new if len(new) == 1 else ch)
        start = False
    return "".join(out)


def name_key(text: str) -> str:
    """Accent-folded, lower-case ASCII key with single spaces; apostrophes dropped (H'Hen: hhen)."""
    folded = fold_accents(nfc(text).translate(_APOSTROPHES)).replace("'", "")
    return " ".join(_KEY_DROP.sub(" ", folded).split())


def split_name(words: list[str]) -> tuple[str, str, str, bool]:
    """(family, middle, given, compound): first word family, last word given, the rest middle."""
    if not words:
        return "", "", "", False
    if len(words) == 1:
        return "", "", words[0], False
    take = 1
    if len(words) >= 3 and name_key(" ".join(words[:2])) in COMPOUND_FAMILIES:
        take = 2
    return " ".join(words[:take]), " ".join(words[take:-1]), words[-1], take == 2


def standardize_name(raw: str) -> NameResult:
    """Standardise one personal name; ``standardize_name(r.standard).standard == r.standard``."""
    flags: list[str] = []
    text = nfc(raw)
    if text != raw:
        flags.append(NFD)
    text = text.translate(_APOSTROPHES)
    cleaned = _NOT_NAME.sub(" ", text)
    # an apostrophe counts only inside a word (H'Hen); a leading or trailing one is stray
    cleaned = " ".join(w.strip("'") for w in cleaned.split())
    if cleaned != " ".join(text.split()):
        flags.append(STRAY_CHARS)
    elif text != " ".join(text.split()):
        flags.append(SPACING)
    words = cleaned.split()
    capped = [_cap(w) for w in words]
    if capped != words:
        flags.append(CASE)
    joined = " ".join(capped)
    standard = set_tone_style(joined, "traditional")
    if standard != joined:
        flags.append(TONE_MODERN)
    if not standard:
        flags.append(EMPTY)
    elif standard.isascii() and any(c.isalpha() for c in standard):
        flags.append(NO_ACCENTS)
    final_words = standard.split()
    family, middle, given, compound = split_name(final_words)
    if compound:
        flags.append(COMPOUND_FAMILY)
    if len(final_words) == 1:
        flags.append(SINGLE_WORD)
    return NameResult(raw, standard, name_key(standard), family, middle, given, tuple(flags))


NAMES_SCHEMA = pa.schema(
    [
        ("raw", pa.string()),
        ("standard", pa.string()),
        ("key", pa.string()),
        ("family", pa.string()),
        ("middle", pa.string()),
        ("given", pa.string()),
        ("flags", FLAGS),
    ]
)


def _row(raw: str) -> dict[str, object]:
    r = standardize_name(raw)
    return {
        "standard": r.standard,
        "key": r.key,
        "family": r.family,
        "middle": r.middle,
        "given": r.given,
        "flags": list(r.flags),
    }


def standardize_names_table(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """Lookup table (raw, standard, key, family, middle, given, flags) over distinct names."""
    return build_lookup(con, table, column, "name", NAMES_SCHEMA, _row)
