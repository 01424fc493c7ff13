"""Free-text addresses -> street + new (2025) commune code + new province code.

Since 1 July 2025 an address has two unit levels (commune, province); records written before carry
three (ward, district, old province). The parser reads comma-separated parts right to left: the
province first (new or old name), then either a new commune, or an old district and an old ward,
and keeps what is left as the street. Old wards are carried to their new commune through the
reference mapping (``ndc.dictionary.admin_units``), with that mapping's confidence where the ward
was split. Lookups use accent-folded keys, so unaccented text and either tone placement work, and
type words may be written in full or abbreviated (``P.``, ``Q.``, ``TX.``, ``TP.``, ``H.``, ``X.``,
``TT.``).

``confidence`` is the probability that the commune is right under the reference data alone:
1.0 for an exact new-style match; the mapping share for a split old ward (0.6 default candidate);
divided among candidates when a ward name is not unique and no district says which; lowered for a
missing province (x0.9), an old-name clash (0.9) and fuzzy spelling matches (x0.8).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import duckdb
import pyarrow as pa

from ndc.dictionary.admin_units import load_admin_units
from ndc.standardize.distinct import FLAGS, build_lookup
from ndc.standardize.text import fold_accents, nfc, set_tone_style

Mode = Literal["new", "legacy", "unresolved"]

# Flags (reason codes); docs/standardisation.md explains each.
EMPTY = "address.empty"
UNRESOLVED = "address.unresolved"
NO_PROVINCE = "address.no_province"
NO_DISTRICT = "address.no_district"
SPLIT_WARD = "address.split_ward"
AMBIGUOUS = "address.ambiguous"
OLD_PROVINCE_NAME = "address.old_province_name"
LEGACY_NAME_CLASH = "address.legacy_name_clash"
MIXED_LEVELS = "address.mixed_levels"
KIND_MISMATCH = "address.kind_mismatch"
FUZZY = "address.fuzzy"

_WARD, _DISTRICT = "ward", "district"
_PREFIXES: dict[str, tuple[str, ...]] = {  # folded type word -> unit kinds it can introduce
    "phuong": ("Phường",),
    "p": ("Phường",),
    "f": ("Phường",),
    "xa": ("Xã",),
    "x": ("Xã",),
    "thi tran": ("Thị trấn",),
    "tt": ("Thị trấn",),
    "dac khu": ("Đặc khu",),
    "dk": ("Đặc khu",),
    "quan": ("Quận",),
    "q": ("Quận",),
    "huyen": ("Huyện",),
    "h": ("Huyện",),
    "thi xa": ("Thị xã",),
    "tx": ("Thị xã",),
    "thanh pho": ("Thành phố",),
    "tp": ("Thành phố",),
    "tinh": ("Tỉnh",),
    "t": ("Tỉnh",),
}
_WARD_KINDS = frozenset({"Phường", "Xã", "Thị trấn", "Đặc khu"})
_DISTRICT_KINDS = frozenset({"Quận", "Huyện", "Thị xã", "Thành phố"})
_PREFIX = re.compile(
    r"^(thanh pho|thi tran|thi xa|dac khu|phuong|quan|huyen|tinh|xa|tp|tx|tt|dk)"
    r"(?:\s*\.\s*|\s+|(?=\d))(?=\S)"
    r"|^([pqhx])(?:\s*\.\s*|\s+|(?=\d))(?=\S)|^([tf])(?:\s*\.\s*|(?=\d))(?=\S)"
)
# Unaccented aliases (folded keys) for province names people actually write.
_PROVINCE_ALIASES = {
    "hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "tp hcm": "ho chi minh",
    "sai gon": "ho chi minh",
    "hn": "ha noi",
    "tp hn": "ha noi",
    "thua thien hue": "hue",
    "tt hue": "hue",
    "brvt": "ba ria vung tau",
    "br vt": "ba ria vung tau",
    "dac lac": "dak lak",
    "dac nong": "dak nong",
    "bac can": "bac kan",
    "kontum": "kon tum",
}
_COUNTRY = frozenset({"viet nam", "vietnam", "vn"})
# Accented type words that start a unit: text written without commas is split before them.
_SPLIT = re.compile(
    r"(?<=[^,;\s])(?<!thị)\s+(?=(?:phường|xã|thị trấn|đặc khu|quận|huyện|thị xã|thành phố"
    r"|tỉnh(?! lộ)|tp\.|p\.|q\.|tx\.|tt\.|h\.)\s*\S)",
    re.IGNORECASE,
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_ZEROS = re.compile(r"\b0+(\d)")


# fold_accents character by character is the hot spot of parsing; a translation table over the
# Latin blocks does the same for NFC text, one character for one character, about 10x faster.
_FOLD = {
    cp: folded
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))
    if len(folded := fold_accents(chr(cp))) == 1 and folded.isascii()
}


def _fold(text: str) -> str:
    """``fold_accents`` for NFC text; keeps the length (the type-word cut relies on it)."""
    return text.translate(_FOLD).lower()


def _key(folded: str) -> str:
    key = _NON_ALNUM.sub(" ", folded).strip()
    return _LEADING_ZEROS.sub(r"\1", key) if "0" in key else key


def unit_key(text: str) -> str:
    """Folded lookup key: ``Phường 05`` -> ``phuong 5``, ``Ea H'Leo`` -> ``ea h leo``."""
    return _key(_fold(nfc(text)))


def _exact(text: str) -> str:
    """Accented key to choose between names that fold alike (Văn Lang / Vân Lang)."""
    return " ".join(set_tone_style(nfc(text).lower(), "traditional").split())


@dataclass(frozen=True, slots=True)
class AddressResult:
    original: str
    street: str
    commune_code: str | None  # new 5-digit GSO code
    province_code: str | None  # new 2-digit GSO code
    mode: Mode
    confidence: float
    legacy_ward_code: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Unit:
    code: str
    kinds: frozenset[str]  # declared kind and the type word of the name (the data mixes them)
    exact: str  # accented short name, lower-case, traditional tones
    scope: str  # province code (new units) or district code (old wards)


_KIND_WORDS = (
    "Thành phố",
    "Thị trấn",
    "Thị xã",
    "Đặc khu",
    "Phường",
    "Xã",
    "Quận",
    "Huyện",
    "Tỉnh",
)
_KIND_FOLDED = tuple((fold_accents(k) + " ", k) for k in _KIND_WORDS)


def _unit(code: str, name: str, kind: str, scope: str) -> tuple[str, _Unit]:
    """(folded key of the short name, unit) from a full name such as ``Thị trấn Yên Viên``."""
    folded = fold_accents(name)
    kinds = {kind}
    short = name
    for prefix, word in _KIND_FOLDED:
        if folded.startswith(prefix):
            kinds.add(word)
            short = name[len(prefix) :]
            break
    return unit_key(short), _Unit(code, frozenset(kinds), _exact(short), scope)


class AddressIndex:
    """Folded-name lookups over the reference data, built once per process."""

    def __init__(self) -> None:
        units = load_admin_units()
        self.units = units
        self.new_province: dict[str, str] = {}
        self.old_province: dict[str, str] = {}
        for p in units.provinces.values():
            self.new_province[unit_key(p.short_name)] = p.code
        for p in units.legacy_provinces.values():
            self.old_province[unit_key(p.short_name)] = p.code
        for alias, target in _PROVINCE_ALIASES.items():
            for table in (self.new_province, self.old_province):
                if target in table:
                    table.setdefault(alias, table[target])
        # (province code or "" for any, key) -> units
        self.communes: dict[tuple[str, str], list[_Unit]] = defaultdict(list)
        for c in units.communes.values():
            key, u = _unit(c.code, c.name, c.kind, c.province_code)
            for scope in (c.province_code, ""):
                self.communes[(scope, key)].append(u)
        self.districts: dict[tuple[str, str], list[_Unit]] = defaultdict(list)
        self.wards: dict[tuple[str, str], list[_Unit]] = defaultdict(list)  # scope: district
        self.old_wards: dict[tuple[str, str], list[_Unit]] = defaultdict(list)  # scope: province
        self.old_to_new_province: dict[str, str] = {}
        seen_districts: set[str] = set()
        for w in units.legacy_wards.values():
            key, ward = _unit(w.code, w.name, w.kind, w.district_code)
            self.wards[(w.district_code, key)].append(ward)
            for scope in (w.province_code, ""):
                self.old_wards[(scope, key)].append(ward)
            if w.district_code not in seen_districts:
                seen_districts.add(w.district_code)
                dkey, d = _unit(w.district_code, w.district_name, w.district_kind, w.province_code)
                for scope in (w.province_code, ""):
                    self.districts[(scope, dkey)].append(d)
            default = units.new_commune_for(w.code)
            if default is not None:
                new_p = units.communes[default.new_commune_code].province_code
                self.old_to_new_province.setdefault(w.province_code, new_p)
        self.commune_keys: dict[str, list[str]] = defaultdict(list)
        for scope, key in self.communes:
            self.commune_keys[scope].append(key)
        self.ward_keys: dict[str, list[str]] = defaultdict(list)
        for scope, key in self.wards:
            self.ward_keys[scope].append(key)


@lru_cache(maxsize=1)
def address_index() -> AddressIndex:
    return AddressIndex()


@dataclass(frozen=True, slots=True)
class _Seg:
    text: str  # NFC, as written
    full: str  # folded key of the whole part
    kinds: tuple[str, ...]  # unit kinds named by a type word, () if none
    name: str  # folded key without the type word
    rest: str  # accented text without the type word


def _segment(text: str) -> _Seg:
    text = text.strip()
    folded = _fold(text)
    m = _PREFIX.match(folded)
    if m is None:
        key = _key(folded)
        return _Seg(text, key, (), key, text)
    word = next(g for g in m.groups() if g)
    rest = text[m.end() :]
    return _Seg(text, _key(folded), _PREFIXES[word], _key(folded[m.end() :]), rest)


def _names(seg: _Seg, level: str) -> list[tuple[str, tuple[str, ...]]]:
    """(key, kinds to filter on) to try for ``seg`` read as a unit of ``level``."""
    allowed = _WARD_KINDS if level == _WARD else _DISTRICT_KINDS
    out: list[tuple[str, tuple[str, ...]]] = []
    if seg.kinds and not allowed.isdisjoint(seg.kinds):
        out.append((seg.name, seg.kinds))
    if (not seg.kinds or seg.full != seg.name) and not seg.full.isdigit():
        out.append((seg.full, ()))
    return out


def _find(
    table: dict[tuple[str, str], list[_Unit]],
    scopes: Iterable[str],
    seg: _Seg,
    level: str,
    strict_kind: bool = True,
) -> list[_Unit]:
    for key, kinds in _names(seg, level):
        found = [u for s in scopes for u in table.get((s, key), ())]
        if kinds and strict_kind:
            found = [u for u in found if not u.kinds.isdisjoint(kinds)]
        if len(found) > 1 and seg.rest:
            exact = _exact(seg.rest)
            same = [u for u in found if u.exact == exact]
            found = same or found
        if found:
            return found
    return []


def _province(seg: _Seg, idx: AddressIndex) -> tuple[str | None, str | None]:
    """(new province code, old province code) named by ``seg``."""
    if seg.kinds and not set(seg.kinds) & {"Tỉnh", "Thành phố"}:
        return None, None
    for key in (seg.full, seg.name):
        new, old = idx.new_province.get(key), idx.old_province.get(key)
        if new or old:
            return new, old
    return None, None


def _split_province(seg: _Seg, idx: AddressIndex) -> tuple[_Seg, _Seg] | None:
    """``Quận Ba Đình Hà Nội``: a province name glued to the end of the previous part."""
    words = seg.text.split()
    for n in range(min(5, len(words) - 1), 0, -1):
        head, tail = " ".join(words[:-n]), " ".join(words[-n:])
        tail_seg = _segment(tail)
        head_seg = _segment(head)
        if any(_province(tail_seg, idx)) and head_seg.name and head_seg.name not in _PREFIXES:
            return head_seg, tail_seg
    return None


@dataclass
class _Outcome:
    weights: dict[str, float]  # new commune code -> probability
    mode: Mode
    consumed: int  # parts used, counted from the right, province included
    legacy_ward: str | None = None


def _from_legacy(wards: list[_Unit], idx: AddressIndex, consumed: int) -> _Outcome:
    weights: dict[str, float] = defaultdict(float)
    for w in wards:
        for m in idx.units.mapping.get(w.code, ()):
            weights[m.new_commune_code] += m.confidence / len(wards)
    legacy = wards[0].code if len({w.code for w in wards}) == 1 else None
    return _Outcome(dict(weights), "legacy", consumed, legacy)


def _from_new(communes: list[_Unit], consumed: int) -> _Outcome:
    share = 1.0 / len(communes)
    return _Outcome({c.code: share for c in communes}, "new", consumed)


def _fuzzy(key: str, candidates: list[str]) -> str | None:
    if not key or not candidates:
        return None
    best = difflib.get_close_matches(key, candidates, n=1, cutoff=0.85)
    return best[0] if best else None


def _resolve(
    parts: list[_Seg], new_p: str | None, old_p: str | None, idx: AddressIndex, flags: list[str]
) -> _Outcome | None:
    """Interpret ``parts`` (province already removed) within the given provinces."""
    if not parts:
        return None
    base = 0 if new_p is None and old_p is None else 1
    # "" is the whole country: used only when no province at all was recognised
    new_scope = [new_p] if new_p else ([] if old_p else [""])
    old_scope = [old_p] if old_p else ([] if new_p else [""])
    last = parts[-1]
    # 1. old district + old ward: "Phường Phúc Xá, Quận Ba Đình, Hà Nội"
    districts = _find(idx.districts, old_scope, last, _DISTRICT) if len(parts) > 1 else []
    if districts:
        wards = _find(idx.wards, [d.code for d in districts], parts[-2], _WARD)
        if wards:
            return _from_legacy(wards, idx, base + 2)
    # 2. new commune: "Phường Ba Đình, Thành phố Hà Nội"
    communes = _find(idx.communes, new_scope, last, _WARD)
    old_wards = _find(idx.old_wards, old_scope, last, _WARD) if old_p else []
    if communes:
        out = _from_new(communes, base + 1)
        codes = {c.code for c in communes}
        clash = [w for w in old_wards if not codes & set(_targets(w, idx))]
        if clash and not (set(last.kinds) & {"Đặc khu"}):
            flags.append(LEGACY_NAME_CLASH)
            out.weights = {k: v * 0.9 for k, v in out.weights.items()}
        return out
    # 3. old ward without its district: "Phường Phúc Xá, Hà Nội"
    if old_wards:
        flags.append(NO_DISTRICT)
        return _from_legacy(old_wards, idx, base + 1)
    # 4. a district was named but the ward is not in it: a new commune under an old district?
    if districts:
        communes = _find(idx.communes, new_scope, parts[-2], _WARD)
        if communes:
            flags.append(MIXED_LEVELS)
            return _from_new(communes, base + 2)
    # 5. type word disagreeing with the reference (Xã written for a Thị trấn...)
    for table, scope, mode in ((idx.communes, new_scope, "new"), (idx.old_wards, old_scope, "")):
        found = _find(table, scope, last, _WARD, strict_kind=False)
        if found:
            flags.append(KIND_MISMATCH)
            return _from_new(found, base + 1) if mode else _from_legacy(found, idx, base + 1)
    return None


def _targets(ward: _Unit, idx: AddressIndex) -> list[str]:
    return [m.new_commune_code for m in idx.units.mapping.get(ward.code, ())]


def _resolve_fuzzy(
    parts: list[_Seg], new_p: str | None, old_p: str | None, idx: AddressIndex
) -> _Outcome | None:
    """Spelling slips within a known province: closest commune name, or ward of the district."""
    if not parts or (new_p is None and old_p is None):
        return None
    last = parts[-1]
    if len(parts) > 1 and old_p:
        districts = _find(idx.districts, [old_p], last, _DISTRICT)
        for d in districts:
            key = _fuzzy(parts[-2].name, idx.ward_keys[d.code])
            if key:
                return _from_legacy(idx.wards[(d.code, key)], idx, 3)
    if new_p:
        key = _fuzzy(last.name, idx.commune_keys[new_p])
        if key:
            return _from_new(idx.communes[(new_p, key)], 2)
    return None


def _split_parts(text: str) -> list[str]:
    if text.count(",") + text.count(";") < 2:  # not delimited enough: cut before type words
        text = _SPLIT.sub(", ", text)
    pieces = [p.strip() for p in re.split(r"[,;]", text)]
    return [p for p in pieces if p]


def parse_address(raw: str) -> AddressResult:
    """Parse one address; see the module docstring for the confidence scale."""
    idx = address_index()
    texts = _split_parts(" ".join(nfc(raw).split()))
    while texts and _key(_fold(texts[-1])) in _COUNTRY:
        texts.pop()
    # only the last three parts can name units: the rest is street, not worth folding
    head, parts = texts[:-3], [_segment(t) for t in texts[-3:]]
    if not parts:
        return AddressResult(raw, "", None, None, "unresolved", 0.0, None, (EMPTY,))
    flags: list[str] = []
    new_p, old_p = _province(parts[-1], idx)
    if new_p or old_p:
        body = parts[:-1]
    else:
        glued = _split_province(parts[-1], idx)
        if glued:
            parts = [*parts[:-1], *glued]
            new_p, old_p = _province(parts[-1], idx)
            body = parts[:-1]
        else:
            body = parts
            flags.append(NO_PROVINCE)
    factor = 1.0 if (new_p or old_p) else 0.9
    target_p = new_p
    if new_p is None and old_p is not None:
        target_p = idx.old_to_new_province.get(old_p)
    outcome = _resolve(body, new_p, old_p, idx, flags)
    if outcome is None and new_p is None and target_p is not None:
        # a new commune written with the old province name: "Phường Hà Giang 1, Tỉnh Hà Giang"
        outcome = _resolve(body, target_p, None, idx, flags)
        if outcome is not None:
            flags.append(OLD_PROVINCE_NAME)
    if outcome is None:
        outcome = _resolve_fuzzy(body, target_p, old_p, idx)
        if outcome is not None:
            flags.append(FUZZY)
            factor *= 0.8
    if outcome is None:
        flags.append(UNRESOLVED)
        street = ", ".join([*head, *(p.text for p in body)])
        return AddressResult(raw, street, None, target_p, "unresolved", 0.0, None, tuple(flags))
    code, weight = max(outcome.weights.items(), key=lambda kv: (kv[1], -int(kv[0])))
    if len(outcome.weights) > 1:
        flags.append(SPLIT_WARD if outcome.legacy_ward else AMBIGUOUS)
    street = ", ".join(
        [*head, *(p.text for p in parts)][: max(len(head) + len(parts) - outcome.consumed, 0)]
    )
    province = idx.units.communes[code].province_code
    return AddressResult(
        raw,
        street,
        code,
        province,
        outcome.mode,
        round(weight * factor, 4),
        outcome.legacy_ward,
        tuple(flags),
    )


ADDRESSES_SCHEMA = pa.schema(
    [
        ("raw", pa.string()),
        ("street", pa.string()),
        ("commune_code", pa.string()),
        ("province_code", pa.string()),
        ("mode", pa.string()),
        ("confidence", pa.float64()),
        ("legacy_ward_code", pa.string()),
        ("flags", FLAGS),
    ]
)


def _row(raw: str) -> dict[str, object]:
    r = parse_address(raw)
    return {
        "street": r.street,
        "commune_code": r.commune_code,
        "province_code": r.province_code,
        "mode": r.mode,
        "confidence": r.confidence,
        "legacy_ward_code": r.legacy_ward_code,
        "flags": list(r.flags),
    }


def parse_addresses_table(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """Lookup table (raw, street, commune_code, province_code, mode, confidence,
    legacy_ward_code, flags) over distinct addresses."""
    return build_lookup(con, table, column, "address", ADDRESSES_SCHEMA, _row)
