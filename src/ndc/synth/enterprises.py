"""The enterprise register: about one enterprise per 40 citizens, with a valid MST (check digit
per DOMAIN.md), a name such as "Công ty TNHH Thương mại Minh Phát", a type, a status (some
dissolved), a head office and a living adult as legal representative."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.synth.geo import Geo, address_text, sample_communes, street_lines
from ndc.synth.names import BRAND_WORDS, ENTERPRISE_SECTORS, ENTERPRISE_TYPES
from ndc.synth.population import Population
from ndc.synth.strings import as_date32, int_str

_WEIGHTS = np.array([31, 29, 23, 19, 17, 13, 7, 5, 3], dtype=np.int64)
STATUSES: tuple[tuple[str, float], ...] = (
    ("Đang hoạt động", 0.83),
    ("Tạm ngừng kinh doanh", 0.05),
    ("Đã giải thể", 0.09),
    ("Bị thu hồi giấy chứng nhận", 0.03),
)


@dataclass
class Enterprises:
    n: int
    mst: pa.Array
    name: pa.Array
    type_code: pa.Array
    status: pa.Array
    founded: np.ndarray  # int days
    commune: np.ndarray
    street: pa.Array
    rep: np.ndarray  # person index of the legal representative
    capital: np.ndarray  # charter capital, million VND

    @property
    def active(self) -> np.ndarray:
        return np.asarray(pc.equal(self.status, STATUSES[0][0]).to_numpy(zero_copy_only=False))


def valid_msts(rng: np.random.Generator, n: int, exclude: set[str] | None = None) -> np.ndarray:
    """``n`` distinct valid 10-digit MSTs (as int64), prefix = 2-digit tax office code 01-96."""
    out: list[np.ndarray] = []
    have = 0
    seen: set[int] = {int(x) for x in exclude} if exclude else set()
    while have < n:
        m = 2 * (n - have) + 16
        first9 = rng.integers(1, 97, m) * 10**7 + rng.integers(0, 10**7, m)
        digits = (first9[:, None] // 10 ** np.arange(8, -1, -1)) % 10
        check = 10 - (digits @ _WEIGHTS) % 11
        ok = check <= 9
        vals = first9[ok] * 10 + check[ok]
        _, first = np.unique(vals, return_index=True)
        vals = vals[np.sort(first)]
        vals = vals[[int(v) not in seen for v in vals]]
        seen.update(int(v) for v in vals)
        out.append(vals)
        have += len(vals)
    return np.concatenate(out)[:n]


def build_enterprises(
    rng: np.random.Generator, pop: Population, geo: Geo, ref_day: int
) -> Enterprises:
    n = max(5, pop.n // 40)
    mst = int_str(valid_msts(rng, n), 10)
    tw = np.array([w for _, _, w in ENTERPRISE_TYPES])
    t = rng.choice(len(ENTERPRISE_TYPES), size=n, p=tw / tw.sum())
    prefixes = [p for _, p, _ in ENTERPRISE_TYPES]
    brands_a = rng.integers(0, len(BRAND_WORDS), n)
    brands_b = rng.integers(0, len(BRAND_WORDS), n)
    sector = rng.integers(0, len(ENTERPRISE_SECTORS), n)
    names: list[str] = []
    used: set[str] = set()
    for ti, si, a, b in zip(
        t.tolist(), sector.tolist(), brands_a.tolist(), brands_b.tolist(), strict=True
    ):
        brand = BRAND_WORDS[a] if a == b else f"{BRAND_WORDS[a]} {BRAND_WORDS[b]}"
        name = f"{prefixes[ti]} {ENTERPRISE_SECTORS[si]} {brand}"
        k = 1
        while name in used:  # names are unique in the register
            k += 1
            name = f"{prefixes[ti]} {ENTERPRISE_SECTORS[si]} {brand} {k}"
        used.add(name)
        names.append(name)
    sw = np.array([w for _, w in STATUSES])
    status = pa.array([s for s, _ in STATUSES]).take(
        pa.array(rng.choice(len(STATUSES), size=n, p=sw / sw.sum()))
    )
    founded = (ref_day - rng.integers(30, 30 * 365, n)).astype(np.int32)
    age = pop.age()
    eligible = np.flatnonzero(pop.alive & (age >= 22) & (age <= 70))
    rep = rng.choice(eligible, size=n, replace=len(eligible) < n)
    commune = sample_communes(rng, n, geo)
    capital = np.round(rng.lognormal(7.5, 1.3, n) / 100) * 100 + 100
    return Enterprises(
        n=n,
        mst=mst,
        name=pa.array(names),
        type_code=pa.array([c for c, _, _ in ENTERPRISE_TYPES]).take(pa.array(t)),
        status=status,
        founded=founded,
        commune=commune,
        street=street_lines(rng, commune, geo),
        rep=rep,
        capital=capital,
    )


def enterprise_table(ent: Enterprises, pop: Population, geo: Geo) -> pa.Table:
    """The register as written to ``population/enterprises.parquet``."""
    return pa.table(
        {
            "mst": ent.mst,
            "name": ent.name,
            "type": ent.type_code,
            "status": ent.status,
            "founded": as_date32(ent.founded),
            "head_office_street": ent.street,
            "head_office_commune_code": geo.commune_codes.take(pa.array(ent.commune)),
            "head_office_province_code": geo.province_codes.take(
                pa.array(geo.commune_province[ent.commune])
            ),
            "head_office_address": address_text(ent.street, ent.commune, geo),
            "legal_representative_cccd": pop.cccd.take(pa.array(ent.rep)),
            "charter_capital_million_vnd": pa.array(ent.capital),
        }
    )
