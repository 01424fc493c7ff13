"""Fault mutations: small pure functions applied to the few sampled faulty values.

Each takes the clean value and a random generator and returns the faulty value. They run in Python
on the sampled rows only (1-3% of a source), the clean values themselves are built vectorised.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta

from ndc.dictionary.identifiers import MIGRATED_PREFIXES
from ndc.standardize.text import set_tone_style

# keyboard neighbours for substitutions (Telex typists hit the neighbouring key)
_NEIGHBOURS = {
    "a": "sqwz", "b": "vnhg", "c": "xvdf", "d": "sfer", "e": "wrd", "g": "fhtv", "h": "gjyn",
    "i": "uok", "k": "jlim", "l": "kop", "m": "nj", "n": "bmh", "o": "ipl", "p": "ol",
    "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij", "v": "cbg", "x": "zcs", "y": "tuh",
}  # fmt: skip
# 10-digit prefix -> the pre-2018 11-digit prefix it replaced (inverse of the 2018 migration)
_EPOCH = date(1970, 1, 1)
OLD_PREFIX = {new: old for old, new in MIGRATED_PREFIXES.items()}


def _ri(r: random.Random, lo: int, hi: int) -> int:
    """An integer in [lo, hi) from ``random()`` alone (stable across Python versions)."""
    return lo + int(r.random() * (hi - lo))


def unaccent(text: str) -> str:
    """Drop diacritics, keep case: 'Nguyễn Thị Đào' -> 'Nguyen Thi Dao'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def typo(text: str, r: random.Random) -> str:
    """One edit: substitution by a keyboard neighbour, transposition, deletion or doubling."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 2:
        return text + text[-1:] if text else text
    for _ in range(8):
        kind = _ri(r, 0, 4)
        i = letters[_ri(r, 0, len(letters))]
        c = text[i]
        if kind == 0:
            base = unaccent(c).lower()
            pool = _NEIGHBOURS.get(base, "aeiou")
            new = pool[_ri(r, 0, len(pool))]
            out = text[:i] + (new.upper() if c.isupper() else new) + text[i + 1 :]
        elif kind == 1 and i + 1 < len(text) and text[i + 1].isalpha():
            out = text[:i] + text[i + 1] + c + text[i + 2 :]
        elif kind == 2 and not (i == 0 or text[i - 1] == " "):
            out = text[:i] + text[i + 1 :]
        else:
            out = text[: i + 1] + c.lower() + text[i + 1 :]
        if out != text:
            return out
    return text + "h"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def tone_modern(text: str) -> str:
    return set_tone_style(text, "modern")


def digit_error(value: str, r: random.Random) -> str:
    """Change one (70%) or two (30%) digits."""
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c.isdigit()]
    if not positions:
        return value
    k = 1 if r.random() < 0.7 or len(positions) < 2 else 2
    first = positions[_ri(r, 0, len(positions))]
    picked = [first]
    if k == 2:
        rest = [i for i in positions if i != first]
        picked.append(rest[_ri(r, 0, len(rest))])
    for i in picked:
        chars[i] = str((int(chars[i]) + _ri(r, 1, 10)) % 10)
    return "".join(chars)


def digit_dropped(value: str, r: random.Random) -> str:
    i = _ri(r, 0, len(value)) if value else 0
    return value[:i] + value[i + 1 :]


def day_month_swap(days: int) -> int | None:
    """The same date with day and month exchanged (None when impossible or unchanged)."""
    d = _EPOCH + timedelta(days=int(days))
    if d.day > 12 or d.day == d.month:
        return None
    return (d.replace(month=d.day, day=d.month) - _EPOCH).days


def phone_old(phone: str, r: random.Random) -> str:
    """The pre-2018 11-digit form of a migrated number; other numbers get an 11-digit Viettel
    form (016x) of their subscriber digits."""
    old = OLD_PREFIX.get(phone[:3])
    if old is None:
        old = f"016{_ri(r, 2, 10)}"
    return old + phone[3:]


def phone_intl(phone: str, r: random.Random) -> str:
    """International form with spacing: '+84 912 345 678', '+84912345678', '84-912-345-678'."""
    sub = phone[1:]
    style = _ri(r, 0, 3)
    if style == 0:
        return f"+84 {sub[:3]} {sub[3:6]} {sub[6:]}"
    if style == 1:
        return f"+84{sub}"
    return f"(+84) {sub[:2]} {sub[2:5]} {sub[5:]}"


def malformed_csv(line: str, delimiter: str, r: random.Random) -> str:
    """One field too many, one too few (last field lost), or a stray quote inside a field."""
    kind = _ri(r, 0, 3)
    if kind == 0:
        return line + delimiter + line[-4:]
    if kind == 1 and delimiter in line:
        return line[: line.rfind(delimiter)]
    cut = line.find(delimiter) + 2
    return line[:cut] + '"' + line[cut:]


def truncate_json(line: str, r: random.Random) -> str:
    cut = _ri(r, max(2, len(line) // 4), max(3, len(line) - 2))
    return line[:cut]
