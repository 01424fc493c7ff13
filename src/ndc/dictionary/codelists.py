"""Code lists (common category data, "dữ liệu danh mục dùng chung") with one uniform API.

``code_list(name)`` returns a :class:`CodeList` whose ``items`` map stable codes to
:class:`CodeItem` (code, Vietnamese and English label, optional parent and extra attributes).

Two kinds of list:

* static lists, one YAML file each under ``data/codelists/`` (sex, ethnicity, religion...);
* generated lists, built from maintained reference data and never typed by hand: the
  administrative units (``province``, ``commune``, ``legacy_*``) from :func:`load_admin_units`,
  ``cccd_province`` from :func:`cccd_province_codes` and ``nationality`` from ISO 3166-1
  (the ``iso3166`` package).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ndc.dictionary.admin_units import load_admin_units
from ndc.dictionary.exceptions import DictionaryError, UnknownCodeList
from ndc.dictionary.identifiers import cccd_province_codes
from ndc.standardize.text import fold_accents, nfc

_DATA = "data/codelists"


@dataclass(frozen=True, slots=True)
class CodeItem:
    """One entry of a code list. ``attrs`` holds list-specific extras (e.g. ``kind``)."""

    code: str
    label_vi: str
    label_en: str
    parent: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def label(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" else self.label_vi


@dataclass(frozen=True)
class CodeList:
    """A named list of codes. ``parent_list`` names the list that ``CodeItem.parent`` refers to."""

    name: str
    label_vi: str
    label_en: str
    source: str
    items: dict[str, CodeItem]
    parent_list: str | None = None
    sensitive: bool = False

    def __contains__(self, code: object) -> bool:
        return code in self.items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[CodeItem]:
        return iter(self.items.values())

    def get(self, code: str) -> CodeItem | None:
        return self.items.get(code)

    def label(self, code: str, lang: str = "vi") -> str:
        """Label of ``code``; raises ``KeyError`` naming the list for an unknown code."""
        item = self.items.get(code)
        if item is None:
            raise KeyError(f"code {code!r} is not in code list {self.name!r}")
        return item.label(lang)

    @property
    def codes(self) -> list[str]:
        return list(self.items)

    def children(self, parent: str) -> list[CodeItem]:
        return [i for i in self.items.values() if i.parent == parent]

    def search(self, text: str) -> list[CodeItem]:
        """Items whose code equals ``text`` or whose labels contain it, accent-insensitively."""
        key = fold_accents(nfc(text)).strip()
        if not key:
            return list(self.items.values())
        exact = self.items.get(text.strip())
        hits = [
            i
            for i in self.items.values()
            if i is not exact
            and (
                key in fold_accents(i.label_vi)
                or key in fold_accents(i.label_en)
                or i.code.lower().startswith(key)
            )
        ]
        return ([exact] if exact else []) + hits


# ---------------------------------------------------------------------------- static lists


def _static_names() -> list[str]:
    folder = resources.files("ndc.dictionary").joinpath(_DATA)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _load_static(name: str) -> CodeList:
    path = resources.files("ndc.dictionary").joinpath(f"{_DATA}/{name}.yaml")
    where = f"{_DATA}/{name}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or raw.get("name") != name:
        raise DictionaryError(f"{where}: 'name' must be {name!r}")
    items: dict[str, CodeItem] = {}
    for n, entry in enumerate(raw.get("items") or []):
        extra = dict(entry)
        try:
            code = str(extra.pop("code"))
            label_vi = str(extra.pop("label_vi"))
            label_en = str(extra.pop("label_en"))
        except KeyError as exc:
            raise DictionaryError(f"{where}: item {n} has no {exc.args[0]!r}") from None
        if code in items:
            raise DictionaryError(f"{where}: duplicate code {code!r}")
        parent = extra.pop("parent", None)
        items[code] = CodeItem(
            code, nfc(label_vi), label_en, None if parent is None else str(parent), extra
        )
    if not items:
        raise DictionaryError(f"{where}: no items")
    parents = {i.parent for i in items.values() if i.parent is not None}
    if parents - items.keys():
        raise DictionaryError(f"{where}: unknown parent codes {sorted(parents - items.keys())}")
    return CodeList(
        name=name,
        label_vi=str(raw.get("label_vi", name)),
        label_en=str(raw.get("label_en", name)),
        source=str(raw.get("source", "")).strip(),
        items=items,
        parent_list=name if parents else None,
        sensitive=bool(raw.get("sensitive", False)),
    )


# ------------------------------------------------------------------------- generated lists


def _ascii(name: str) -> str:
    """'Hà Nội' -> 'Ha Noi': the customary English rendering of a place name."""
    return " ".join(w[:1].upper() + w[1:] for w in fold_accents(name).split())


_ADMIN_SOURCE = (
    "Resolution 202/2025/QH15 and the National Assembly Standing Committee resolutions of June "
    "2025 on the arrangement of administrative units (34 provinces, 3,321 communes since 1 July "
    "2025); GSO unit codes; data of the 'vietnamadminunits' package (MIT)."
)
_LEGACY_SOURCE = (
    "Pre-2025 administrative units (63 provinces, districts, wards) with GSO codes (Decision "
    "124/2004/QĐ-TTg and later changes); data of the 'vietnamadminunits' package (MIT)."
)


def _province() -> CodeList:
    units = load_admin_units()
    items = {
        p.code: CodeItem(p.code, p.name, _ascii(p.short_name), None, {"short_name": p.short_name})
        for p in units.provinces.values()
    }
    return CodeList("province", "Tỉnh, thành phố", "Province", _ADMIN_SOURCE, items)


def _commune() -> CodeList:
    units = load_admin_units()
    items = {
        c.code: CodeItem(
            c.code,
            c.name,
            _english_unit(c.short_name, c.kind),
            c.province_code,
            {"kind": c.kind, "short_name": c.short_name},
        )
        for c in units.communes.values()
    }
    return CodeList(
        "commune", "Xã, phường, đặc khu", "Commune", _ADMIN_SOURCE, items, parent_list="province"
    )


_KIND_EN = {
    "Xã": "commune", "Phường": "ward", "Đặc khu": "special zone", "Thị trấn": "township",
    "Quận": "urban district", "Huyện": "rural district", "Thị xã": "town",
    "Thành phố": "city",
}  # fmt: skip


def _english_unit(name: str, kind: str) -> str:
    """'Ba Đình', 'Phường' -> 'Ba Dinh (ward)'; a kind prefix in ``name`` is dropped."""
    if name.startswith(kind + " "):
        name = name[len(kind) + 1 :]
    return f"{_ascii(name)} ({_KIND_EN.get(kind, _ascii(kind))})"


def _legacy_province() -> CodeList:
    units = load_admin_units()
    items = {
        p.code: CodeItem(p.code, p.name, _ascii(p.short_name), None, {"short_name": p.short_name})
        for p in units.legacy_provinces.values()
    }
    return CodeList(
        "legacy_province", "Tỉnh, thành phố (trước 1/7/2025)", "Province (before 1 July 2025)",
        _LEGACY_SOURCE, items,
    )  # fmt: skip


def _legacy_district() -> CodeList:
    items = {
        d.code: CodeItem(
            d.code, d.name, _english_unit(d.name, d.kind), d.province_code, {"kind": d.kind}
        )
        for d in load_admin_units().legacy_districts.values()
    }
    return CodeList(
        "legacy_district", "Quận, huyện (trước 1/7/2025)", "District (before 1 July 2025)",
        _LEGACY_SOURCE, dict(sorted(items.items())), parent_list="legacy_province",
    )  # fmt: skip


def _legacy_ward() -> CodeList:
    items = {
        w.code: CodeItem(
            w.code,
            w.name,
            _english_unit(w.short_name, w.kind),
            w.district_code,
            {"kind": w.kind, "province_code": w.province_code, "short_name": w.short_name},
        )
        for w in load_admin_units().legacy_wards.values()
    }
    return CodeList(
        "legacy_ward", "Xã, phường, thị trấn (trước 1/7/2025)", "Ward (before 1 July 2025)",
        _LEGACY_SOURCE, items, parent_list="legacy_district",
    )  # fmt: skip


def _cccd_province() -> CodeList:
    legacy = load_admin_units().legacy_provinces
    items = {
        code: CodeItem(code, name, _ascii(legacy[code[1:]].short_name), code[1:], {})
        for code, name in sorted(cccd_province_codes().items())
    }
    return CodeList(
        "cccd_province",
        "Mã tỉnh nơi đăng ký khai sinh (số định danh cá nhân)",
        "Province-of-birth-registration code of the personal ID number",
        "Thông tư 59/2021/TT-BCA, art. 7: the first 3 digits of the 12-digit personal ID are the "
        "code of the province where the birth was registered (the 63 pre-2025 provinces; not "
        "renumbered in 2025). `parent` is the legacy province code.",
        items,
        parent_list="legacy_province",
    )


# Vietnamese names of the most frequent nationalities and partner countries; others keep English.
_COUNTRY_VI = {
    "VN": "Việt Nam", "CN": "Trung Quốc", "KR": "Hàn Quốc", "JP": "Nhật Bản",
    "TW": "Đài Loan (Trung Quốc)", "US": "Hoa Kỳ", "LA": "Lào", "KH": "Campuchia",
    "TH": "Thái Lan", "MY": "Malaysia", "SG": "Singapore", "ID": "Indonesia",
    "PH": "Philippines", "MM": "Myanmar", "IN": "Ấn Độ", "AU": "Úc", "CA": "Canada",
    "FR": "Pháp", "DE": "Đức", "GB": "Vương quốc Anh", "RU": "Nga", "IT": "Ý",
    "NL": "Hà Lan", "HK": "Hồng Kông (Trung Quốc)", "NZ": "New Zealand", "UA": "Ukraina",
    "CZ": "Séc", "PL": "Ba Lan", "CU": "Cuba", "KP": "Triều Tiên",
}  # fmt: skip


def _nationality() -> CodeList:
    from iso3166 import countries

    items = {
        c.alpha2: CodeItem(
            c.alpha2,
            _COUNTRY_VI.get(c.alpha2, c.apolitical_name),
            c.apolitical_name,
            None,
            {"alpha3": c.alpha3, "numeric": c.numeric},
        )
        for c in sorted(countries, key=lambda c: c.alpha2)
    }
    return CodeList(
        "nationality",
        "Quốc tịch",
        "Nationality",
        "ISO 3166-1 alpha-2 country codes (the 'iso3166' package); Vietnamese names for the most "
        "frequent countries, English names otherwise.",
        items,
    )


_GENERATED: dict[str, Callable[[], CodeList]] = {
    "province": _province,
    "commune": _commune,
    "legacy_province": _legacy_province,
    "legacy_district": _legacy_district,
    "legacy_ward": _legacy_ward,
    "cccd_province": _cccd_province,
    "nationality": _nationality,
}


# ------------------------------------------------------------------------------ public API


@cache
def code_list_names() -> tuple[str, ...]:
    """Every code list name, sorted."""
    return tuple(sorted({*_static_names(), *_GENERATED}))


@cache
def code_list(name: str) -> CodeList:
    """The code list called ``name`` (loaded once per process)."""
    if name in _GENERATED:
        return _GENERATED[name]()
    if name not in code_list_names():
        raise UnknownCodeList(
            f"no code list named {name!r}; known lists: {', '.join(code_list_names())}"
        )
    return _load_static(name)


def code_label(name: str, code: str, lang: str = "vi") -> str:
    """Shortcut: ``code_list(name).label(code, lang)``."""
    return code_list(name).label(code, lang)
