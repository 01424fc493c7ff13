"""Administrative units, new (34 provinces, 3,321 communes since 1 July 2025) and legacy (63
provinces, districts, wards), with the old-ward -> new-commune mapping.

The data comes from the ``vietnamadminunits`` package (MIT). NDC reads only its data files and never
imports its Python modules: those pull a GPL library and call an online geocoder for split wards,
and NDC must work offline. Where an old ward was split across several new communes, every
candidate is kept with a confidence (the package's default candidate gets the highest).
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ndc.dictionary.exceptions import ReferenceDataMissing

PACKAGE = "vietnamadminunits"


@dataclass(frozen=True, slots=True)
class Province:
    code: str  # 2-digit GSO code
    name: str  # full name, e.g. "Thành phố Hà Nội"
    short_name: str  # e.g. "Hà Nội"


@dataclass(frozen=True, slots=True)
class Commune:
    """A post-2025 commune-level unit (xã, phường or đặc khu)."""

    code: str  # 5-digit GSO code
    name: str  # e.g. "Phường Ba Đình"
    short_name: str
    kind: str  # "Xã" | "Phường" | "Đặc khu"
    province_code: str


@dataclass(frozen=True, slots=True)
class LegacyWard:
    """A pre-2025 ward with its district and province."""

    code: str
    name: str
    short_name: str
    kind: str
    district_code: str
    district_name: str
    district_kind: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class LegacyDistrict:
    """A pre-2025 district (quận, huyện, thị xã, thành phố thuộc tỉnh)."""

    code: str
    name: str
    kind: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class WardMapping:
    """One candidate new commune for an old ward; confidence is 1.0 unless the ward was split."""

    old_ward_code: str
    new_commune_code: str
    confidence: float
    is_default: bool


@dataclass(frozen=True)
class AdminUnits:
    provinces: dict[str, Province]
    communes: dict[str, Commune]
    legacy_provinces: dict[str, Province]
    legacy_districts: dict[str, LegacyDistrict]
    legacy_wards: dict[str, LegacyWard]
    mapping: dict[str, tuple[WardMapping, ...]]
    # Island districts that had no wards (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) became
    # special zones (đặc khu) in 2025: legacy district code -> new commune code.
    wardless_districts: dict[str, str]

    def communes_of(self, province_code: str) -> list[Commune]:
        return [c for c in self.communes.values() if c.province_code == province_code]

    def new_commune_for(self, old_ward_code: str) -> WardMapping | None:
        """The most likely new commune for an old ward (the default candidate when split)."""
        cands = self.mapping.get(old_ward_code)
        if not cands:
            return None
        return max(cands, key=lambda m: (m.is_default, m.confidence))

    @property
    def split_ward_codes(self) -> list[str]:
        return sorted(k for k, v in self.mapping.items() if len(v) > 1)


def data_path() -> Path:
    """Folder holding the reference data files, found without importing the package's code."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ReferenceDataMissing(
            f"the '{PACKAGE}' data package is not installed; run 'make install' "
            f"(it installs it with 'pip install --no-deps {PACKAGE}')"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


# Split-ward confidence: the package names one default candidate per split ward. Without overlap
# areas we give the default 0.6 and share the rest; a reviewer or a street address decides finally.
_DEFAULT_SHARE = 0.6


@lru_cache(maxsize=1)
def load_admin_units() -> AdminUnits:
    """Load every unit and the old->new mapping (about 0.2 s, cached for the process)."""
    folder = data_path()
    con = sqlite3.connect(f"file:{folder / 'dataset.db'}?mode=ro", uri=True)
    try:
        provinces: dict[str, Province] = {}
        communes: dict[str, Commune] = {}
        new_key_to_code: dict[tuple[str, str], str] = {}
        for row in con.execute(
            "SELECT provinceCode, province, provinceShort, wardCode, ward, wardShort, wardType,"
            " provinceKey, wardKey FROM admin_units"
        ):
            pcode, pname, pshort, wcode, wname, wshort, wtype, pkey, wkey = row
            provinces.setdefault(pcode, Province(pcode, pname, pshort))
            communes[wcode] = Commune(wcode, wname, wshort, wtype, pcode)
            new_key_to_code[(pkey, wkey)] = wcode
        legacy_provinces: dict[str, Province] = {}
        legacy_districts: dict[str, LegacyDistrict] = {}
        legacy_wards: dict[str, LegacyWard] = {}
        wardless: dict[str, str] = {}
        special = {c.short_name: c.code for c in communes.values() if c.kind == "Đặc khu"}
        old_key_to_code: dict[str, str] = {}
        for row in con.execute(
            "SELECT provinceCode, province, provinceShort, districtCode, district, districtType,"
            " wardCode, ward, wardShort, wardType, provinceKey, districtKey, wardKey,"
            " districtShort FROM admin_units_legacy"
        ):
            (pcode, pname, pshort, dcode, dname, dtype, wcode, wname, wshort, wtype) = row[:10]
            legacy_provinces.setdefault(pcode, Province(pcode, pname, pshort))
            legacy_districts.setdefault(dcode, LegacyDistrict(dcode, dname, dtype, pcode, pname))
            if wcode is None:
                if row[13] in special:
                    wardless[dcode] = special[row[13]]
                continue
            legacy_wards[wcode] = LegacyWard(
                wcode, wname, wshort, wtype, dcode, dname, dtype, pcode, pname
            )
            old_key_to_code["_".join(row[10:13])] = wcode
    finally:
        con.close()

    conv = json.loads((folder / "converter_2025.json").read_text(encoding="utf-8"))
    mapping: dict[str, list[WardMapping]] = defaultdict(list)
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            new_code = new_key_to_code[(new_pkey, new_wkey)]
            for old_key in old_keys:
                old_code = old_key_to_code.get(old_key)
                if old_code:
                    mapping[old_code] = [WardMapping(old_code, new_code, 1.0, True)]
    for new_pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, cands in olds.items():
            old_code = old_key_to_code.get(old_key)
            if not old_code:
                continue
            n = len(cands)
            other = (1 - _DEFAULT_SHARE) / (n - 1) if n > 1 else 0.0
            mapping[old_code] = [
                WardMapping(
                    old_code,
                    new_key_to_code[(new_pkey, c["newWardKey"])],
                    round(_DEFAULT_SHARE if c["isDefaultNewWard"] else other, 4) if n > 1 else 1.0,
                    bool(c["isDefaultNewWard"]) or n == 1,
                )
                for c in cands
            ]
    return AdminUnits(
        provinces=dict(sorted(provinces.items())),
        communes=dict(sorted(communes.items())),
        legacy_provinces=dict(sorted(legacy_provinces.items())),
        legacy_districts=dict(sorted(legacy_districts.items())),
        legacy_wards=dict(sorted(legacy_wards.items())),
        mapping={k: tuple(v) for k, v in sorted(mapping.items())},
        wardless_districts=dict(sorted(wardless.items())),
    )
