"""The population register: households, families and people, built with numpy arrays.

Households follow Vietnamese patterns (couples with children, three generations, people alone,
single parents, elderly couples); ages, names, identifiers and places are consistent within a
family. Adult heads are linked, when possible, to an elderly couple elsewhere as their parents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.standardize.text import set_tone_style
from ndc.synth.families import Families, build_families
from ndc.synth.geo import Geo, address_text, sample_communes, street_lines
from ndc.synth.names import ETHNIC_FAMILY_NAMES, family_vocab, given_vocab, middle_vocab
from ndc.synth.strings import cat, int_str
from ndc.synth.vocab import ETHNICITY_WEIGHTS, RELIGION_WEIGHTS, choose_codes

NO_DATE = np.iinfo(np.int32).min
# mobile prefixes with rough market shares (Viettel 03x/086/096-098 ~55%, Vina, Mobi, others)
_PREFIXES = {
    "032": 5, "033": 5, "034": 5, "035": 5, "036": 5, "037": 5, "038": 5, "039": 5,
    "086": 4, "096": 5, "097": 6, "098": 6, "081": 2, "082": 2, "083": 2, "084": 2, "085": 2,
    "088": 3, "091": 5, "094": 4, "070": 2, "076": 2, "077": 2, "078": 2, "079": 2, "089": 2,
    "090": 5, "093": 3, "056": 1, "058": 1, "059": 1, "092": 1, "052": 0.5, "055": 0.5,
}  # fmt: skip


@dataclass
class Population:
    n: int
    ref_day: int
    cccd: pa.Array
    family: pa.Array
    middle: pa.Array
    given: pa.Array
    full_name: pa.Array
    sex: np.ndarray  # int8: 1 male, 2 female
    dob: np.ndarray  # int32 days since 1970-01-01
    dod: np.ndarray  # int32 days, NO_DATE when alive
    ethnicity: pa.Array
    religion: pa.Array
    birth_legacy_province: pa.Array  # 2-digit pre-2025 code
    birth_province: pa.Array  # 2-digit 2025 code
    perm_commune: np.ndarray  # commune index
    perm_street: pa.Array
    cur_commune: np.ndarray
    cur_street: pa.Array
    household: np.ndarray  # household index
    household_id: pa.Array
    father: np.ndarray  # person index or -1
    mother: np.ndarray
    spouse: np.ndarray
    marital: np.ndarray  # int8 1 single 2 married 3 divorced 4 widowed
    cmnd: pa.Array  # 9 digits or null
    phone: pa.Array  # 0XXXXXXXXX or null
    tone_affected: np.ndarray  # bool: the name changes with the modern tone placement

    @property
    def alive(self) -> np.ndarray:
        return np.asarray(self.dod == NO_DATE)

    def age(self) -> np.ndarray:
        return np.asarray((self.ref_day - self.dob) // 365.25).astype(np.int32)

    def address(self, geo: Geo, current: bool = False) -> pa.Array:
        if current:
            return address_text(self.cur_street, self.cur_commune, geo)
        return address_text(self.perm_street, self.perm_commune, geo)


def _unique_ints(rng: np.random.Generator, fixed: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``fixed + serial`` with serials in [lo, hi) redrawn until every value is unique."""
    serial = rng.integers(lo, hi, len(fixed))
    while True:
        vals = fixed + serial
        _, first = np.unique(vals, return_index=True)
        dup = np.ones(len(vals), dtype=bool)
        dup[first] = False
        if not dup.any():
            return np.asarray(vals)
        serial[dup] = rng.integers(lo, hi, int(dup.sum()))


def _names(
    rng: np.random.Generator,
    fam: Families,
    ethnicity: np.ndarray,
    birth_year: np.ndarray,
) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray]:
    sex = fam.sex
    n = len(sex)
    words, p = family_vocab()
    fam_idx = rng.choice(len(words), size=n, p=p)
    family = pa.array(words).take(pa.array(fam_idx))
    for code, names in sorted(ETHNIC_FAMILY_NAMES.items()):
        rows = np.flatnonzero(ethnicity == code)
        if len(rows):
            picked = pa.array(names).take(pa.array(rng.integers(0, len(names), len(rows))))
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            family = pc.replace_with_mask(family, pa.array(mask), picked)
    # children (and a head linked to parents) carry the father's family name
    has_father = fam.father >= 0
    fam_list = family.to_numpy(zero_copy_only=False)
    # resolve chains (grandfather -> father -> child): persons are ordered parents first
    for _ in range(3):
        fam_list[has_father] = fam_list[fam.father[has_father]]
    family = pa.array(fam_list, type=pa.string())

    middle = pa.nulls(n, pa.string())
    given = pa.nulls(n, pa.string())
    tone = np.zeros(n, dtype=bool)
    young = birth_year >= 1990
    for female in (False, True):
        sex_code = 2 if female else 1
        for is_young in (False, True):
            rows = np.flatnonzero((sex == sex_code) & (young == is_young))
            mwords, p_old, p_new = middle_vocab(female)
            mi = rng.choice(len(mwords), size=len(rows), p=p_new if is_young else p_old)
            gwords, gp = given_vocab(female)
            gi = rng.choice(len(gwords), size=len(rows), p=gp)
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            m_arr = pa.array(mwords).take(pa.array(mi))
            g_arr = pa.array(gwords).take(pa.array(gi))
            middle = pc.replace_with_mask(middle, pa.array(mask), m_arr)
            given = pc.replace_with_mask(given, pa.array(mask), g_arr)
            tone[rows] = _tone_flags(mwords)[mi] | _tone_flags(gwords)[gi]
    return family, middle, given, tone


def _tone_flags(words: tuple[str, ...]) -> np.ndarray:
    return np.array([set_tone_style(w, "modern") != w for w in words], dtype=bool)


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    prefixes = sorted(_PREFIXES)
    w = np.array([_PREFIXES[k] for k in prefixes], dtype=np.float64)
    pre = pa.array(prefixes).take(pa.array(rng.choice(len(prefixes), size=n, p=w / w.sum())))
    return cat(pre, int_str(rng.integers(0, 10_000_000, n), 7))


def build_population(rng: np.random.Generator, n: int, ref_day: int, geo: Geo) -> Population:
    fam = build_families(rng, n, ref_day)
    sex, dob, dod = fam.sex, fam.dob, fam.dod
    birth_year = dob.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    h = fam.household
    n_h = int(h.max()) + 1

    # places: households get a commune and a street line; 15% of people live elsewhere now
    h_commune = sample_communes(rng, n_h, geo)
    h_street = street_lines(rng, h_commune, geo)
    perm_commune = h_commune[h]
    perm_street = h_street.take(pa.array(h))
    moved = rng.random(n) < 0.15
    cur_commune = perm_commune.copy()
    k = int(moved.sum())
    # 40% move within their province (any commune of it), the others anywhere (cities weigh more)
    far = sample_communes(rng, k, geo)
    by_prov = np.argsort(geo.commune_province, kind="stable")
    counts = np.bincount(geo.commune_province, minlength=len(geo.province_codes))
    offs = np.concatenate([[0], np.cumsum(counts)[:-1]])
    prov = geo.commune_province[perm_commune[moved]]
    near = by_prov[offs[prov] + (rng.random(k) * counts[prov]).astype(np.int64)]
    cur_commune[moved] = np.where(rng.random(k) < 0.4, near, far)
    cur_street = pc.replace_with_mask(
        perm_street, pa.array(moved), street_lines(rng, cur_commune[moved], geo)
    )

    # birth province: mostly where the household lives, otherwise anywhere
    born_here = rng.random(n) < 0.8
    birth_commune = np.where(born_here, perm_commune, sample_communes(rng, n, geo))
    birth_legacy = geo.commune_legacy_province.take(pa.array(birth_commune))
    lp_index = pc.index_in(birth_legacy, value_set=geo.legacy_province_codes)
    birth_new = geo.legacy_to_new_province.take(lp_index)

    # CCCD: 0PP + century/sex digit + yy + 6-digit serial, unique
    century_sex = (birth_year // 100 - 19) * 2 + (sex == 2)
    prov_num = pc.cast(birth_legacy, pa.int64()).to_numpy()
    fixed = prov_num * 10**9 + century_sex * 10**8 + (birth_year % 100) * 10**6
    cccd = int_str(_unique_ints(rng, fixed.astype(np.int64), 0, 1_000_000), 12)

    # CMND for people born before 2000; 9 digits, unique
    has_cmnd = birth_year < 2000
    cmnd_vals = _unique_ints(rng, np.zeros(int(has_cmnd.sum()), dtype=np.int64), 10**7, 39 * 10**7)
    cmnd_full = np.zeros(n, dtype=np.int64)
    cmnd_full[has_cmnd] = cmnd_vals
    cmnd = pc.if_else(pa.array(has_cmnd), int_str(cmnd_full, 9), pa.scalar(None, pa.string()))

    eth = choose_codes(rng, ETHNICITY_WEIGHTS, n_h)[h]
    rel = choose_codes(rng, RELIGION_WEIGHTS, n_h)[h]
    family, middle, given, tone = _names(rng, fam, eth, birth_year)
    full = cat(family, " ", middle, " ", given)
    age = (ref_day - dob) / 365.25
    has_phone = (age >= 14) & (rng.random(n) < 0.93)
    phone = pc.if_else(pa.array(has_phone), _phones(rng, n), pa.scalar(None, pa.string()))
    hh_ids = cat("HK", int_str(rng.permutation(n_h)[h] + 10**9 + 1, 11))
    return Population(
        n=n,
        ref_day=ref_day,
        cccd=cccd,
        family=family,
        middle=middle,
        given=given,
        full_name=full,
        sex=sex,
        dob=dob,
        dod=dod,
        ethnicity=pa.array(eth),
        religion=pa.array(rel),
        birth_legacy_province=birth_legacy,
        birth_province=birth_new,
        perm_commune=perm_commune,
        perm_street=perm_street,
        cur_commune=cur_commune,
        cur_street=cur_street,
        household=h,
        household_id=hh_ids,
        father=fam.father,
        mother=fam.mother,
        spouse=fam.spouse,
        marital=fam.marital,
        cmnd=cmnd,
        phone=phone,
        tone_affected=tone,
    )


def population_table(pop: Population, geo: Geo) -> pa.Table:
    """The register as written to ``population/citizens.parquet``."""
    from ndc.synth.strings import as_date32

    def ref(idx: np.ndarray) -> pa.Array:
        return pop.cccd.take(pa.array(np.where(idx >= 0, idx, 0), mask=np.asarray(idx < 0)))

    dead = ~pop.alive
    return pa.table(
        {
            "cccd": pop.cccd,
            "full_name": pop.full_name,
            "family_name": pop.family,
            "middle_name": pop.middle,
            "given_name": pop.given,
            "date_of_birth": as_date32(pop.dob),
            "sex": int_str(pop.sex),
            "ethnicity": pop.ethnicity,
            "religion": pop.religion,
            "nationality": pa.array(np.full(pop.n, "VN")),
            "birth_province_legacy_code": pop.birth_legacy_province,
            "birth_province_code": pop.birth_province,
            "permanent_street": pop.perm_street,
            "permanent_commune_code": geo.commune_codes.take(pa.array(pop.perm_commune)),
            "permanent_province_code": geo.province_codes.take(
                pa.array(geo.commune_province[pop.perm_commune])
            ),
            "current_street": pop.cur_street,
            "current_commune_code": geo.commune_codes.take(pa.array(pop.cur_commune)),
            "current_province_code": geo.province_codes.take(
                pa.array(geo.commune_province[pop.cur_commune])
            ),
            "household_id": pop.household_id,
            "father_cccd": ref(pop.father),
            "mother_cccd": ref(pop.mother),
            "spouse_cccd": ref(pop.spouse),
            "marital_status": int_str(pop.marital),
            "date_of_death": as_date32(np.where(dead, pop.dod, 0), ~dead),
            "cmnd": pop.cmnd,
            "phone": pop.phone,
        }
    )
