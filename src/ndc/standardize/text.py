"""Vietnamese text basics: NFC, accent folding and tone-mark placement.

Two placements of the tone mark are in use for open syllables ending in ``oa``, ``oe`` and ``uy``:
the traditional one puts it on the first vowel (hòa, khỏe, thủy), the one taught since the 1980s
on the second (hoà, khoẻ, thuỷ). Both survive NFC, so records must be brought to one convention
before comparison. NDC's canonical form is the traditional one, the form used by the official
names of administrative units (Thanh Hóa, Khánh Hòa) in the reference data.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền sắc ngã hỏi nặng
_VOWELS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
_WORD = re.compile(r"\w+")
ToneStyle = Literal["traditional", "modern"]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _split_tone(ch: str) -> tuple[str, str]:
    """Split one NFC character into (character without tone mark, tone mark or '')."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in TONE_MARKS)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return base, tone[:1]


def fold_accents(text: str) -> str:
    """Lower-case ASCII key: drop every diacritic and map đ to d (it has no decomposition)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _tone_index(bases: list[str], style: ToneStyle) -> int | None:
    """Index of the letter that carries the tone in a syllable whose letters are ``bases``."""
    low = "".join(bases).lower()
    idx = [i for i, c in enumerate(low) if c in _VOWELS]
    if not idx:
        return None
    start = idx[0]
    # "qu" and "gi" + vowel: the u / i belongs to the initial consonant.
    if (low[start - 1 : start + 1] in ("qu", "gi")) and len(idx) > 1 and start >= 1:
        idx = idx[1:]
    nucleus = [i for i in idx if i >= idx[0] and i - idx[0] == idx.index(i)]
    for i in nucleus:  # a vowel with its own quality mark takes the tone (ươ: on ơ)
        if low[i] in "ăâêôơư":
            marked = [j for j in nucleus if low[j] in "ăâêôơư"]
            return marked[-1]
    if len(nucleus) == 1:
        return nucleus[0]
    closed = nucleus[-1] < len(low) - 1
    if closed:
        return nucleus[-1]
    pair = low[nucleus[0]] + low[nucleus[1]]
    if len(nucleus) == 2 and pair in ("oa", "oe", "uy"):
        return nucleus[1] if style == "modern" else nucleus[0]
    if len(nucleus) == 3:
        return nucleus[1]
    return nucleus[0]


def _place(word: str, style: ToneStyle) -> str:
    parts = [_split_tone(c) for c in word]
    tones = [t for _, t in parts if t]
    if len(tones) != 1:
        return word
    bases = [b for b, _ in parts]
    at = _tone_index(bases, style)
    if at is None:
        return word
    bases[at] = unicodedata.normalize("NFC", bases[at] + tones[0])
    return "".join(bases)


def set_tone_style(text: str, style: ToneStyle = "traditional") -> str:
    """Move tone marks of every word to ``style``'s placement; other text is left as it is."""
    text = nfc(text)
    return _WORD.sub(lambda m: _place(m.group(0), style), text)


def squash_spaces(text: str) -> str:
    return " ".join(text.split())
