"""Ground truth: one row per source record, written apart from the sources (``truth/``).

Columns: ``source``, ``record_key`` (the native record id as written), ``row_number`` (1-based
data row in file order: the way to find malformed rows), ``entity_type`` (person | enterprise),
``true_id`` (CCCD or MST), ``related`` (list of {role, id}: employer, legal representative,
spouse, tax code...) and ``faults`` (list of fault types injected in that record).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.synth.config import FAULT_TYPES
from ndc.synth.frame import Frame

RELATED_TYPE = pa.list_(pa.struct([("role", pa.string()), ("id", pa.string())]))
TRUTH_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("record_key", pa.string()),
        ("row_number", pa.int64()),
        ("entity_type", pa.string()),
        ("true_id", pa.string()),
        ("related", RELATED_TYPE),
        ("faults", pa.list_(pa.string())),
    ]
)


def _lists(rows: np.ndarray, values: pa.Array, n: int) -> pa.Array:
    """Group ``values`` by ``rows`` into n lists (rows need not be sorted)."""
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def fault_lists(frame: Frame) -> pa.Array:
    names = [f for f in FAULT_TYPES if f in frame.faults]
    rows = [np.flatnonzero(frame.faults[f]) for f in names]
    all_rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    labels = pa.array(np.repeat(np.array(names, dtype=object), [len(r) for r in rows]), pa.string())
    return _lists(all_rows.astype(np.int64), labels, frame.n)


def related_lists(frame: Frame) -> pa.Array:
    rows_l, roles_l, ids_l = [], [], []
    for role in sorted(frame.related):
        ids = frame.related[role]
        ok = np.flatnonzero(pc.is_valid(ids).to_numpy(zero_copy_only=False))
        rows_l.append(ok)
        roles_l.append(np.full(len(ok), role, dtype=object))
        ids_l.append(ids.take(pa.array(ok)))
    if not rows_l:
        return pa.array([[]] * frame.n, RELATED_TYPE)
    structs = pa.StructArray.from_arrays(
        [pa.array(np.concatenate(roles_l), pa.string()), pa.concat_arrays(ids_l)],
        names=["role", "id"],
    )
    return _lists(np.concatenate(rows_l).astype(np.int64), structs, frame.n)


def truth_table(frame: Frame, keys: pa.Array) -> pa.Table:
    n = frame.n
    return pa.table(
        {
            "source": pa.array(np.full(n, frame.source, dtype=object), pa.string()),
            "record_key": keys,
            "row_number": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "entity_type": pa.array(frame.entity, pa.string()),
            "true_id": frame.true_id,
            "related": related_lists(frame),
            "faults": fault_lists(frame),
        },
        schema=TRUTH_SCHEMA,
    )
