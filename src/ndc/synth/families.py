"""Households and family links with a Vietnamese age structure (vectorised).

Household types (shares of households, roughly after the 2019 census): couple with children
(0-4 at home), three generations (the head's parents live with the couple), person alone,
single parent, elderly couple. About half of the heads of couples aged 25-55 are linked to an
elderly couple of another household as their parents. Deaths (~3%, rising with age) keep the person
in the register; a surviving spouse becomes widowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_DATE = np.iinfo(np.int32).min
# household types: couple+children, three generations, alone, single parent, elderly couple
_TYPES = np.array([0.58, 0.14, 0.13, 0.08, 0.07])
_CHILDREN = np.array([0.10, 0.27, 0.43, 0.15, 0.05])  # 0..4 children at home
# age of the husband in a couple household, by 5-year band from 20 (weights)
_HEAD_AGE_BANDS = np.array([2, 7, 10, 12, 13, 13, 12, 10, 7, 4, 3, 2, 1], dtype=np.float64)


@dataclass
class Families:
    sex: np.ndarray
    dob: np.ndarray
    dod: np.ndarray
    household: np.ndarray
    father: np.ndarray
    mother: np.ndarray
    spouse: np.ndarray
    marital: np.ndarray


def _band_ages(rng: np.random.Generator, n: int, start: int, weights: np.ndarray) -> np.ndarray:
    band = rng.choice(len(weights), size=n, p=weights / weights.sum())
    return np.asarray(start + band * 5 + rng.random(n) * 5)


def build_families(rng: np.random.Generator, n: int, ref_day: int) -> Families:
    n_h = int(n / 3.2) + 16
    htype = rng.choice(5, size=n_h, p=_TYPES)
    kids = rng.choice(5, size=n_h, p=_CHILDREN)
    kids[htype == 2] = 0
    kids[htype == 4] = 0
    kids[htype == 3] = np.maximum(kids[htype == 3], 1)

    # ages of the adults of each household
    a1 = _band_ages(rng, n_h, 20, _HEAD_AGE_BANDS)
    alone = htype == 2
    young_alone = rng.random(n_h) < 0.6
    a1[alone] = np.where(young_alone[alone], 18 + rng.random(alone.sum()) * 22, 0)[: alone.sum()]
    old_alone = alone & ~young_alone
    a1[old_alone] = 58 + rng.gamma(2.0, 6.0, old_alone.sum())
    three = htype == 1
    a1[three] = 25 + rng.random(three.sum()) * 30
    elderly = htype == 4
    a1[elderly] = 60 + rng.gamma(2.0, 5.5, elderly.sum())
    single_parent = htype == 3
    a1[single_parent] = 24 + rng.random(single_parent.sum()) * 32
    a1 = np.minimum(a1, 103)
    couple = (htype == 0) | three | elderly
    a2 = np.clip(a1 - rng.normal(3, 3, n_h), 18, a1 + 6)
    mother_age = np.where(single_parent, a1, a2)
    # grandparents of three-generation households
    gf = three & (rng.random(n_h) < 0.6)
    gm = three & (~gf | (rng.random(n_h) < 0.75))
    gf_age = np.minimum(a1 + 22 + rng.random(n_h) * 13, 104)
    gm_age = np.clip(gf_age - rng.normal(3, 3, n_h), a1 + 18, 104)
    # mothers over ~62 have no children at home; young mothers have fewer
    kids = np.minimum(kids, np.maximum(0, ((mother_age - 19) / 3).astype(np.int64) + 1))
    kids[mother_age > 62] = 0

    p1_sex = np.where(single_parent, np.where(rng.random(n_h) < 0.85, 2, 1), 1)
    p1_sex[alone] = np.where(rng.random(alone.sum()) < 0.5, 1, 2)

    # persons: per household [p1, p2?, gf?, gm?, kids...]
    has_p2 = couple
    size = 1 + has_p2 + gf + gm + kids
    # trim to exactly n people: whole households, then single young adults to fill
    cum = np.cumsum(size)
    keep = int(np.searchsorted(cum, n, side="right"))
    htype, kids, a1, a2, gf, gm, gf_age, gm_age, p1_sex, has_p2, size = (
        x[:keep] for x in (htype, kids, a1, a2, gf, gm, gf_age, gm_age, p1_sex, has_p2, size)
    )
    mother_age = mother_age[:keep]
    fill = n - int(size.sum())
    if fill:
        htype = np.concatenate([htype, np.full(fill, 2)])
        kids = np.concatenate([kids, np.zeros(fill, dtype=kids.dtype)])
        a1 = np.concatenate([a1, 18 + rng.random(fill) * 20])
        z = np.zeros(fill, dtype=bool)
        a2, gf_age, gm_age, mother_age = (
            np.concatenate([x, np.zeros(fill)]) for x in (a2, gf_age, gm_age, mother_age)
        )
        gf, gm, has_p2 = (np.concatenate([x, z]) for x in (gf, gm, has_p2))
        p1_sex = np.concatenate([p1_sex, np.where(rng.random(fill) < 0.5, 1, 2)])
        size = np.concatenate([size, np.ones(fill, dtype=size.dtype)])
    n_h = len(htype)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])

    sex = np.zeros(n, dtype=np.int8)
    age = np.zeros(n)
    household = np.repeat(np.arange(n_h), size)
    father = np.full(n, -1, dtype=np.int64)
    mother = np.full(n, -1, dtype=np.int64)
    spouse = np.full(n, -1, dtype=np.int64)
    marital = np.ones(n, dtype=np.int8)

    p1 = start
    sex[p1] = p1_sex
    age[p1] = a1
    pos = start + 1
    p2 = np.where(has_p2, pos, -1)
    pos = pos + has_p2
    h2 = np.flatnonzero(has_p2)
    sex[p2[h2]] = 2
    age[p2[h2]] = a2[h2]
    spouse[p1[h2]] = p2[h2]
    spouse[p2[h2]] = p1[h2]
    marital[p1[h2]] = 2
    marital[p2[h2]] = 2
    gfi = np.where(gf, pos, -1)
    pos = pos + gf
    gmi = np.where(gm, pos, -1)
    pos = pos + gm
    hf, hm = np.flatnonzero(gf), np.flatnonzero(gm)
    sex[gfi[hf]] = 1
    age[gfi[hf]] = gf_age[hf]
    sex[gmi[hm]] = 2
    age[gmi[hm]] = gm_age[hm]
    father[p1[hf]] = gfi[hf]
    mother[p1[hm]] = gmi[hm]
    both = np.flatnonzero(gf & gm)
    spouse[gfi[both]] = gmi[both]
    spouse[gmi[both]] = gfi[both]
    marital[gfi[both]] = 2
    marital[gmi[both]] = 2
    marital[gfi[gf & ~gm]] = 4
    marital[gmi[gm & ~gf]] = 4
    alone_old = (htype == 2) & (a1 > 50)
    marital[p1[alone_old]] = np.where(rng.random(alone_old.sum()) < 0.75, 4, 3)
    sp = htype == 3
    marital[p1[sp]] = rng.choice([1, 3, 4], size=sp.sum(), p=[0.2, 0.5, 0.3])

    # children
    hk = np.repeat(np.arange(n_h), kids)
    child = np.repeat(pos, kids) + (np.arange(len(hk)) - np.repeat(np.cumsum(kids) - kids, kids))
    m_age = mother_age[hk]
    lo = np.maximum(18.5, m_age - 32)
    hi = np.minimum(43.0, m_age)
    # mother's age at birth ~ N(27.5, 5.5) within [lo, hi] (rejection, then uniform)
    gap = lo + rng.random(len(hk)) * np.maximum(hi - lo, 0.05)
    todo = np.ones(len(hk), dtype=bool)
    for _ in range(6):
        draw = rng.normal(27.5, 5.5, len(hk))
        ok = todo & (draw >= lo) & (draw <= hi)
        gap[ok] = draw[ok]
        todo &= ~ok
    age[child] = np.maximum(m_age - gap, 0.01)
    sex[child] = np.where(rng.random(len(hk)) < 0.52, 1, 2)
    is_sp = htype[hk] == 3
    mother[child] = np.where(is_sp, np.where(p1_sex[hk] == 2, p1[hk], -1), p2[hk])
    father[child] = np.where(is_sp, np.where(p1_sex[hk] == 1, p1[hk], -1), p1[hk])

    # link heads of couples (25-55) to an elderly couple whose wife is 20-40 years older
    e_h = np.flatnonzero(htype == 4)
    cand = np.flatnonzero((htype == 0) & (a1 >= 25) & (a1 <= 55) & (rng.random(n_h) < 0.5))
    if len(e_h) and len(cand):
        e_wife_age = a2[e_h]
        order = np.argsort(e_wife_age, kind="stable")
        target = a1[cand] + 22 + rng.random(len(cand)) * 12
        j = np.clip(np.searchsorted(e_wife_age[order], target), 0, len(e_h) - 1)
        chosen = e_h[order[j]]
        ok = np.abs(a2[chosen] - target) < 3
        father[p1[cand[ok]]] = p1[chosen[ok]]
        mother[p1[cand[ok]]] = p2[chosen[ok]]

    dob = (ref_day - np.floor(age * 365.25)).astype(np.int32)
    # deaths: probability rising with age (~3% overall), date in the last 8 years
    p_dead = 0.008 + 0.6 / (1 + np.exp(-(age - 82) / 6))
    dead = rng.random(n) < p_dead
    span = np.minimum(ref_day - dob - 1, 8 * 365)
    dod = np.full(n, NO_DATE, dtype=np.int32)
    dod[dead] = (ref_day - 1 - np.floor(rng.random(dead.sum()) * span[dead])).astype(np.int32)
    widowed = spouse[dead]
    widowed = widowed[widowed >= 0]
    marital[widowed] = np.where(dod[widowed] == NO_DATE, 4, marital[widowed])
    return Families(sex, dob, dod, household, father, mother, spouse, marital)
