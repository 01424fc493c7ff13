"""Vectorised string helpers over pyarrow arrays (no Python loop per row)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1970-01-01", "D")


def cat(*parts: Any) -> pa.Array:
    """Concatenate arrays and/or Python strings element-wise (a null part gives null)."""
    args = [p if isinstance(p, pa.Array | pa.ChunkedArray) else pa.scalar(p) for p in parts]
    return pc.binary_join_element_wise(*args, "")


def int_str(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as decimal strings, zero-padded to ``width``."""
    s = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(s, width, "0") if width else s


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 -> (year, month, day) integer arrays."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


# Date formats used by the sources; tokens are replaced by zero-padded parts.
DATE_FORMATS = {
    "dd/mm/yyyy": ("{d}", "/", "{m}", "/", "{Y}"),
    "yyyy-mm-dd": ("{Y}", "-", "{m}", "-", "{d}"),
    "yyyymmdd": ("{Y}", "{m}", "{d}"),
    "dd-mm-yy": ("{d}", "-", "{m}", "-", "{y}"),
    "dd.mm.yyyy": ("{d}", ".", "{m}", ".", "{Y}"),
    "mm/yyyy": ("{m}", "/", "{Y}"),
    "vi_long": ("ngày ", "{d}", " tháng ", "{m}", " năm ", "{Y}"),
}


def format_dates(days: np.ndarray, fmt: str, null_mask: np.ndarray | None = None) -> pa.Array:
    """Format int days in one of :data:`DATE_FORMATS` (vectorised, ~20x faster than strftime)."""
    year, month, day = ymd(days)
    tokens = {
        "{Y}": int_str(year, 4),
        "{y}": int_str(year % 100, 2),
        "{m}": int_str(month, 2),
        "{d}": int_str(day, 2),
    }
    out = cat(*[tokens.get(t, t) for t in DATE_FORMATS[fmt]])
    if null_mask is not None and null_mask.any():
        out = pc.if_else(pa.array(null_mask), pa.scalar(None, pa.string()), out)
    return out


def as_date32(days: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    mask = None if null_mask is None else np.asarray(null_mask, dtype=bool)
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def patch(arr: pa.Array, rows: np.ndarray, values: list[Any]) -> pa.Array:
    """Replace ``arr[rows]`` by ``values`` (rows in any order)."""
    if len(rows) == 0:
        return arr
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows] = True
    vals = pa.array([values[i] for i in order.tolist()], type=arr.type)
    return pc.replace_with_mask(arr, pa.array(mask), vals)
