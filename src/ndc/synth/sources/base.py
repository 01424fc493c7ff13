"""What a source is (its native shape) and helpers shared by the source builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.dictionary.codelists import code_list
from ndc.synth.config import FAULT_TYPES
from ndc.synth.frame import Column, Ctx, Frame

ALL_FIELD_FAULTS = frozenset(FAULT_TYPES) - {"duplicate_exact", "duplicate_near", "dead_active"}
NO_NFD = ALL_FIELD_FAULTS - {"name_nfd"}  # legacy encodings cannot carry decomposed text


@dataclass(frozen=True)
class SourceSpec:
    """A source's native shape. ``build`` returns the clean records (with dead_active marks)."""

    name: str
    agency: str
    path: str  # relative to the output directory
    format: str  # csv | jsonl | parquet | sqlite
    entity: str  # person | enterprise | mixed
    key: str  # native record-id column
    key_prefix: str
    key_width: int
    build: Callable[[np.random.Generator, Ctx], Frame]
    faults: frozenset[str] = ALL_FIELD_FAULTS
    encoding: str | None = None
    delimiter: str | None = None
    bom: bool = False
    newline: str = "\n"
    table: str | None = None  # SQL table name
    date_format: str | None = None  # of the date of birth, for the manifest


def labels(list_name: str, codes: pa.Array) -> pa.Array:
    """Vietnamese labels of codes, through the shared code list."""
    items = code_list(list_name).items
    keys = sorted(items)
    idx = pc.index_in(codes, value_set=pa.array(keys))
    return pa.array([items[k].label_vi for k in keys]).take(idx)


def sex_text(sex: np.ndarray, male: str, female: str) -> pa.Array:
    return pa.array(np.where(sex == 2, female, male))


def person_frame(source: str, ctx: Ctx, idx: np.ndarray, dead: np.ndarray) -> Frame:
    pop = ctx.pop
    frame = Frame(
        source=source,
        columns={},
        entity=np.full(len(idx), "person", dtype=object),
        true_id=pop.cccd.take(pa.array(idx)),
        person=idx.astype(np.int64),
        tone_ok=pop.tone_affected[idx],
    )
    frame.mark("dead_active", np.flatnonzero(dead))
    return frame


def address_column(frame: Frame, ctx: Ctx, communes: np.ndarray, streets: pa.Array) -> Column:
    """An address text column; the frame remembers what is behind it for pre-2025 faults."""
    from ndc.synth.geo import address_text

    frame.addr_commune = communes
    frame.addr_street = streets
    return Column(address_text(streets, communes, ctx.geo), "address")


def date_col(days: np.ndarray, fmt: str | None, kind: str = "date") -> Column:
    return Column(np.asarray(days, dtype=np.int32).copy(), kind, date_format=fmt)


def between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A random day in [lo, hi] for each row."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    out: np.ndarray = (lo + np.floor(rng.random(len(lo)) * (span + 1))).astype(np.int32)
    return out


def province_short(ctx: Ctx, communes: np.ndarray) -> pa.Array:
    names = pc.replace_substring_regex(ctx.geo.province_names, "^(Tỉnh|Thành phố) ", "")
    return names.take(pa.array(ctx.geo.commune_province[communes]))
