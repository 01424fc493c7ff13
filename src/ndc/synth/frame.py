"""A source's records before they are written: typed columns, the truth behind each row, and the
faults injected so far. Faults are drawn on sampled index subsets; only those rows go through
Python."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.synth import faults as F
from ndc.synth.config import SynthConfig
from ndc.synth.geo import Geo, has_old_ward, old_address_text
from ndc.synth.strings import cat, int_str, patch, ymd

FIELD_FAULTS: dict[str, tuple[str, ...]] = {
    "name": ("name_typo", "name_unaccented", "name_nfd", "name_tone_modern"),
    "date": ("date_day_month_swap", "date_year_only"),
    "id": ("id_digit_error", "id_digit_dropped", "id_missing", "id_cmnd"),
    "phone": ("phone_old_format", "phone_intl_spacing"),
    "address": ("address_pre2025",),
}


@dataclass
class Column:
    """``values``: a pyarrow array, or int days (numpy) for dates; ``date_format`` None = typed."""

    values: Any
    kind: str = "text"  # text | name | id | date | phone | address | number
    date_format: str | None = None
    nulls: np.ndarray | None = None  # date columns: True where empty
    year_only: np.ndarray | None = None  # date columns written as text: rows shown as the year

    def take(self, rows: np.ndarray) -> Column:
        if isinstance(self.values, np.ndarray):
            vals: Any = self.values[rows]
        else:
            vals = self.values.take(pa.array(rows))
        return replace(
            self,
            values=vals,
            nulls=None if self.nulls is None else self.nulls[rows],
            year_only=None if self.year_only is None else self.year_only[rows],
        )

    def concat(self, other: Column) -> Column:
        def both(a: np.ndarray | None, b: np.ndarray | None, n1: int, n2: int) -> np.ndarray | None:
            if a is None and b is None:
                return None
            a = np.zeros(n1, dtype=bool) if a is None else a
            b = np.zeros(n2, dtype=bool) if b is None else b
            return np.concatenate([a, b])

        n1, n2 = len(self.values), len(other.values)
        if isinstance(self.values, np.ndarray):
            vals: Any = np.concatenate([self.values, other.values])
        else:
            vals = pa.concat_arrays([self.values, other.values])
        return replace(
            self,
            values=vals,
            nulls=both(self.nulls, other.nulls, n1, n2),
            year_only=both(self.year_only, other.year_only, n1, n2),
        )


@dataclass
class Frame:
    source: str
    columns: dict[str, Column]
    entity: np.ndarray  # "person" | "enterprise" per row
    true_id: pa.Array
    person: np.ndarray  # person index of the row's subject, -1 for enterprises
    related: dict[str, pa.Array] = field(default_factory=dict)  # role -> true id (nullable)
    faults: dict[str, np.ndarray] = field(default_factory=dict)
    addr_commune: np.ndarray | None = None  # commune index behind the address column
    addr_street: pa.Array | None = None  # street line behind the address column
    tone_ok: np.ndarray | None = None  # rows whose name changes with the modern tone placement

    @property
    def n(self) -> int:
        return len(self.entity)

    def role(self, kind: str) -> str | None:
        return next((k for k, c in self.columns.items() if c.kind == kind), None)

    def mark(self, fault: str, rows: np.ndarray) -> None:
        mask = self.faults.setdefault(fault, np.zeros(self.n, dtype=bool))
        mask[rows] = True

    def take(self, rows: np.ndarray) -> Frame:
        idx = pa.array(rows)

        def opt(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[rows]

        return Frame(
            source=self.source,
            columns={k: c.take(rows) for k, c in self.columns.items()},
            entity=self.entity[rows],
            true_id=self.true_id.take(idx),
            person=self.person[rows],
            related={k: v.take(idx) for k, v in self.related.items()},
            faults={k: v[rows] for k, v in self.faults.items()},
            addr_commune=opt(self.addr_commune),
            addr_street=None if self.addr_street is None else self.addr_street.take(idx),
            tone_ok=opt(self.tone_ok),
        )

    def concat(self, other: Frame) -> Frame:
        def opt(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else np.concatenate([a, b])

        names = sorted(set(self.faults) | set(other.faults))
        zeros = np.zeros
        return Frame(
            source=self.source,
            columns={k: c.concat(other.columns[k]) for k, c in self.columns.items()},
            entity=np.concatenate([self.entity, other.entity]),
            true_id=pa.concat_arrays([self.true_id, other.true_id]),
            person=np.concatenate([self.person, other.person]),
            related={k: pa.concat_arrays([v, other.related[k]]) for k, v in self.related.items()},
            faults={
                k: np.concatenate(
                    [
                        self.faults.get(k, zeros(self.n, dtype=bool)),
                        other.faults.get(k, zeros(other.n, dtype=bool)),
                    ]
                )
                for k in names
            },
            addr_commune=opt(self.addr_commune, other.addr_commune),
            addr_street=None
            if self.addr_street is None or other.addr_street is None
            else pa.concat_arrays([self.addr_street, other.addr_street]),
            tone_ok=opt(self.tone_ok, other.tone_ok),
        )


@dataclass
class Ctx:
    """What every source builder needs."""

    cfg: SynthConfig
    geo: Geo
    pop: Any  # Population
    ent: Any  # Enterprises
    ref_day: int
    bhxh: pa.Array  # social insurance number of each person (10 digits)


def select_people(
    rng: np.random.Generator, ctx: Ctx, eligible: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """A ``share`` of the living eligible people, plus dead eligible people still active at the
    ``dead_active`` rate. Returns (person indices in random order, dead_active mask)."""
    alive = ctx.pop.alive
    living = np.flatnonzero(eligible & alive)
    k = min(len(living), round(share * len(living)))
    chosen = np.sort(rng.choice(living, size=k, replace=False))
    dead = np.flatnonzero(eligible & ~alive)
    kd = min(len(dead), round(ctx.cfg.rate("dead_active") * k))
    ghosts = np.sort(rng.choice(dead, size=kd, replace=False))
    idx = np.concatenate([chosen, ghosts])
    flag = np.concatenate([np.zeros(k, dtype=bool), np.ones(kd, dtype=bool)])
    order = rng.permutation(len(idx))
    return idx[order], flag[order]


def _pick(rng: np.random.Generator, cand: np.ndarray, k: int) -> np.ndarray:
    rows = np.flatnonzero(cand)
    k = min(k, len(rows))
    return np.sort(rng.choice(rows, size=k, replace=False)) if k else rows[:0]


def _text_fault(col: Column, rows: np.ndarray, fn: Callable[[str], str | None]) -> np.ndarray:
    """Apply ``fn`` on the rows' values; returns the rows actually changed."""
    old = col.values.take(pa.array(rows)).to_pylist()
    new = [fn(v) for v in old]
    changed = np.array([a != b for a, b in zip(old, new, strict=True)], dtype=bool)
    col.values = patch(
        col.values, rows[changed], [v for v, c in zip(new, changed, strict=True) if c]
    )
    out: np.ndarray = rows[changed]
    return out


def apply_field_faults(
    frame: Frame, rng: np.random.Generator, ctx: Ctx, allowed: frozenset[str]
) -> None:
    """Inject the field faults in ``allowed``; at most one fault per field and row."""
    n = frame.n
    for kind, names in FIELD_FAULTS.items():
        col_name = frame.role(kind)
        if col_name is None:
            continue
        col = frame.columns[col_name]
        used = np.zeros(n, dtype=bool)
        if kind == "date":
            used |= col.nulls if col.nulls is not None else False
        elif kind != "address":
            used |= pc.is_null(col.values).to_numpy(zero_copy_only=False)
        for fault in names:
            if fault not in allowed:
                continue
            k = round(ctx.cfg.rate(fault) * n)
            cand = ~used
            if fault == "name_tone_modern":
                cand &= frame.tone_ok if frame.tone_ok is not None else False
            elif fault == "date_day_month_swap":
                _, month, day = ymd(col.values)
                cand &= (day <= 12) & (day != month)
            elif fault == "id_cmnd":
                person = frame.person
                has = np.zeros(n, dtype=bool)
                ok = person >= 0
                has[ok] = pc.is_valid(ctx.pop.cmnd.take(pa.array(person[ok]))).to_numpy(
                    zero_copy_only=False
                )
                cand &= has
            elif fault == "address_pre2025":
                if frame.addr_commune is None:
                    continue
                cand &= has_old_ward(frame.addr_commune, ctx.geo)
            rows = _pick(rng, cand, k)
            if len(rows) == 0:
                continue
            rows = _inject(fault, col, rows, frame, rng, ctx)
            used[rows] = True
            frame.mark(fault, rows)


def _inject(
    fault: str, col: Column, rows: np.ndarray, frame: Frame, nrng: np.random.Generator, ctx: Ctx
) -> np.ndarray:
    rng = random.Random(int(nrng.integers(0, 2**62)))
    if fault == "name_typo":
        return _text_fault(col, rows, lambda v: F.typo(v, rng))
    if fault == "name_unaccented":
        return _text_fault(col, rows, F.unaccent)
    if fault == "name_nfd":
        return _text_fault(col, rows, F.nfd)
    if fault == "name_tone_modern":
        return _text_fault(col, rows, F.tone_modern)
    if fault == "date_day_month_swap":
        for r in rows.tolist():
            swapped = F.day_month_swap(int(col.values[r]))
            if swapped is not None:
                col.values[r] = swapped
        return rows
    if fault == "date_year_only":
        if col.date_format is None:  # typed dates: the year's 1 January, as old systems did
            year = col.values[rows].astype("datetime64[D]").astype("datetime64[Y]")
            col.values[rows] = year.astype("datetime64[D]").astype(np.int64)
        else:
            col.year_only = col.year_only if col.year_only is not None else np.zeros(frame.n, bool)
            col.year_only[rows] = True
        return rows
    if fault == "id_digit_error":
        return _text_fault(col, rows, lambda v: F.digit_error(v, rng))
    if fault == "id_digit_dropped":
        return _text_fault(col, rows, lambda v: F.digit_dropped(v, rng))
    if fault == "id_missing":
        col.values = patch(col.values, rows, [None] * len(rows))
        return rows
    if fault == "id_cmnd":
        cmnd = ctx.pop.cmnd.take(pa.array(frame.person[rows])).to_pylist()
        col.values = patch(col.values, rows, cmnd)
        return rows
    if fault == "phone_old_format":
        return _text_fault(col, rows, lambda v: F.phone_old(v, rng))
    if fault == "phone_intl_spacing":
        return _text_fault(col, rows, lambda v: F.phone_intl(v, rng))
    if fault == "address_pre2025":
        assert frame.addr_street is not None and frame.addr_commune is not None
        streets = frame.addr_street.take(pa.array(rows)).to_pylist()
        new = old_address_text(nrng, streets, frame.addr_commune[rows], ctx.geo)
        col.values = patch(col.values, rows, new)
        return rows
    raise ValueError(fault)


def add_duplicates(frame: Frame, rng: np.random.Generator, ctx: Ctx) -> Frame:
    """Append exact and near copies of sampled records at random positions."""
    n = frame.n
    k_exact = round(ctx.cfg.rate("duplicate_exact") * n)
    k_near = round(ctx.cfg.rate("duplicate_near") * n)
    if k_exact + k_near == 0:
        return frame
    src = rng.choice(n, size=min(n, k_exact + k_near), replace=False)
    dup = frame.take(src)
    k_exact = min(k_exact, len(src))
    dup.mark("duplicate_exact", np.arange(k_exact))
    near = np.arange(k_exact, len(src))
    dup.mark("duplicate_near", near)
    name_col = frame.role("name")
    rng_py = random.Random(int(rng.integers(0, 2**62)))
    if name_col is not None and len(near):
        # a near duplicate is the same record keyed again: typo or no accents in the name
        col = dup.columns[name_col]
        half = rng.random(len(near)) < 0.5

        def typo(v: str) -> str:
            return F.typo(v, rng_py)

        plan: tuple[tuple[str, np.ndarray, Callable[[str], str]], ...] = (
            ("name_typo", near[half], typo),
            ("name_unaccented", near[~half], F.unaccent),
        )
        for fault, rows, fn in plan:
            dup.mark(fault, _text_fault(col, rows, fn))
    both = frame.concat(dup)
    keys = np.concatenate([2 * np.arange(n), 2 * rng.integers(0, n, len(src)) + 1])
    return both.take(np.argsort(keys, kind="stable"))


def record_keys(rng: np.random.Generator, n: int, prefix: str, width: int) -> pa.Array:
    """Increasing native record ids with gaps (deleted records), e.g. 'HS00001234'."""
    seq = np.cumsum(rng.integers(1, 4, n)) + 10 ** (width - 2)
    return cat(prefix, int_str(seq, width))
