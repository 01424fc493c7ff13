"""Administrative geography as arrays: communes with population weights, their legacy wards, and
vectorised address text (new 2025 form and pre-2025 ward / district / old province form)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.dictionary.admin_units import load_admin_units
from ndc.synth.names import STREETS
from ndc.synth.strings import cat, int_str

# Provinces (2025 codes) whose communes hold more people than average (GSO population / communes).
_PROVINCE_BOOST = {"79": 2.7, "01": 2.3, "31": 1.4, "48": 1.4, "92": 1.3, "75": 1.5, "24": 1.4}
_SOUTH = frozenset({"79", "75", "80", "82", "86", "91", "92", "96"})


@dataclass(frozen=True)
class Geo:
    commune_codes: pa.Array  # 5-digit codes, index = commune index
    commune_names: pa.Array
    commune_province: np.ndarray  # index into province arrays
    commune_is_ward: np.ndarray  # bool: phường (urban)
    commune_weight: np.ndarray  # population share, sums to 1
    commune_legacy_province: pa.Array  # 2-digit legacy province code of the commune's main old ward
    province_codes: pa.Array
    province_names: pa.Array
    province_south: np.ndarray
    legacy_province_codes: pa.Array
    legacy_province_names: pa.Array
    legacy_to_new_province: pa.Array  # legacy province code -> new province code (main successor)
    # old wards mapping by default to each commune, CSR layout
    old_ward_offsets: np.ndarray
    old_ward_text: pa.Array  # "Phường X, Quận Y, Thành phố Z"

    @property
    def n_communes(self) -> int:
        return len(self.commune_codes)


@lru_cache(maxsize=1)
def load_geo() -> Geo:
    units = load_admin_units()
    provinces = list(units.provinces.values())
    p_index = {p.code: i for i, p in enumerate(provinces)}
    communes = list(units.communes.values())
    c_index = {c.code: i for i, c in enumerate(communes)}
    # crc-free deterministic pseudo-random weights: derived from the codes themselves
    rng = np.random.Generator(np.random.PCG64(3321))
    base = rng.lognormal(0.0, 0.6, len(communes))
    is_ward = np.array([c.kind == "Phường" for c in communes])
    boost = np.array([_PROVINCE_BOOST.get(c.province_code, 1.0) for c in communes])
    weight = base * np.where(is_ward, 1.8, 1.0) * boost
    weight /= weight.sum()

    by_commune: list[list[str]] = [[] for _ in communes]
    legacy_votes: dict[str, dict[str, int]] = {}
    for old_code in units.mapping:
        m = units.new_commune_for(old_code)
        if m is None:
            continue
        ward = units.legacy_wards[old_code]
        by_commune[c_index[m.new_commune_code]].append(old_code)
        new_p = units.communes[m.new_commune_code].province_code
        votes = legacy_votes.setdefault(ward.province_code, {})
        votes[new_p] = votes.get(new_p, 0) + 1
    legacy = list(units.legacy_provinces.values())
    legacy_to_new = [
        max(sorted(legacy_votes[p.code].items()), key=lambda kv: kv[1])[0] for p in legacy
    ]
    # main legacy province of each commune (of its first old ward; else the new province's main one)
    new_to_legacy: dict[str, str] = {}
    for p, n in zip(legacy, legacy_to_new, strict=True):
        new_to_legacy.setdefault(n, p.code)
    commune_legacy = [
        units.legacy_wards[olds[0]].province_code if olds else new_to_legacy[c.province_code]
        for c, olds in zip(communes, by_commune, strict=True)
    ]
    offsets = np.zeros(len(communes) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(o) for o in by_commune])
    texts = []
    for olds in by_commune:
        for code in olds:
            w = units.legacy_wards[code]
            texts.append(f"{w.name}, {w.district_name}, {w.province_name}")
    return Geo(
        commune_codes=pa.array([c.code for c in communes]),
        commune_names=pa.array([c.name for c in communes]),
        commune_province=np.array([p_index[c.province_code] for c in communes], dtype=np.int32),
        commune_is_ward=is_ward,
        commune_weight=weight,
        commune_legacy_province=pa.array(commune_legacy),
        province_codes=pa.array([p.code for p in provinces]),
        province_names=pa.array([p.name for p in provinces]),
        province_south=np.array([p.code in _SOUTH for p in provinces]),
        legacy_province_codes=pa.array([p.code for p in legacy]),
        legacy_province_names=pa.array([p.name for p in legacy]),
        legacy_to_new_province=pa.array(legacy_to_new),
        old_ward_offsets=offsets,
        old_ward_text=pa.array(texts),
    )


def sample_communes(rng: np.random.Generator, n: int, geo: Geo) -> np.ndarray:
    return rng.choice(geo.n_communes, size=n, p=geo.commune_weight).astype(np.int32)


def street_lines(rng: np.random.Generator, communes: np.ndarray, geo: Geo) -> pa.Array:
    """House line: 'Số 12 Lê Lợi' / 'Số 5 ngõ 34 Kim Mã' (urban), 'Thôn 3' / 'Ấp 7' (rural)."""
    n = len(communes)
    house = int_str(rng.integers(1, 300, n))
    lane = int_str(rng.integers(1, 200, n))
    street = pa.array(STREETS).take(pa.array(rng.integers(0, len(STREETS), n)))
    with_lane = pa.array(rng.random(n) < 0.35)
    urban = cat("Số ", house, " ", street)
    urban_lane = cat("Số ", house, " ngõ ", lane, " ", street)
    south = geo.province_south[geo.commune_province[communes]]
    village = pc.if_else(pa.array(south), "Ấp ", "Thôn ")
    rural = cat(village, int_str(rng.integers(1, 25, n)))
    urban_all = pc.if_else(with_lane, urban_lane, urban)
    return pc.if_else(pa.array(geo.commune_is_ward[communes]), urban_all, rural)


def address_text(streets: pa.Array, communes: np.ndarray, geo: Geo) -> pa.Array:
    """'Số 12 Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh' (2025 units, no district)."""
    idx = pa.array(communes)
    prov = pa.array(geo.commune_province[communes])
    return cat(streets, ", ", geo.commune_names.take(idx), ", ", geo.province_names.take(prov))


def old_address_text(
    rng: np.random.Generator, streets: list[str], communes: np.ndarray, geo: Geo
) -> list[str | None]:
    """Pre-2025 address for each row: an old ward that maps to the row's commune (None if none)."""
    out: list[str | None] = []
    offs = geo.old_ward_offsets
    for street, c in zip(streets, communes.tolist(), strict=True):
        lo, hi = int(offs[c]), int(offs[c + 1])
        if hi == lo:
            out.append(None)
            continue
        k = lo + int(rng.integers(0, hi - lo))
        out.append(f"{street}, {geo.old_ward_text[k].as_py()}")
    return out


def has_old_ward(communes: np.ndarray, geo: Geo) -> np.ndarray:
    offs = geo.old_ward_offsets
    return np.asarray(offs[communes + 1] > offs[communes])
