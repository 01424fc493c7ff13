"""One small generated data set shared by the synth tests (a few seconds)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ndc.standardize.encodings import decode_legacy
from ndc.synth import SynthConfig, SynthSummary, generate

CITIZENS = 4000
SEED = 11


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    out = tmp_path_factory.mktemp("synth") / "a"
    return generate(SynthConfig(citizens=CITIZENS, seed=SEED, out=out))


@pytest.fixture(scope="session")
def manifest(dataset: SynthSummary) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((dataset.out / "manifest.json").read_text("utf-8"))
    return data


def source_meta(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in manifest["sources"] if s["name"] == name)


def read_rows(out: Path, meta: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Every data record of a source in file order; None for a row that cannot be parsed."""
    path = out / meta["path"]
    if meta["format"] == "parquet":
        return list(pq.read_table(path).to_pylist())
    if meta["format"] == "sqlite":
        con = sqlite3.connect(path)
        con.row_factory = sqlite3.Row
        try:
            rows = con.execute(f"SELECT * FROM {meta['table']} ORDER BY rowid").fetchall()
            return [dict(r) for r in rows]
        finally:
            con.close()
    raw = path.read_bytes()
    if meta["format"] == "jsonl":
        out_rows: list[dict[str, Any] | None] = []
        for line in raw.decode("utf-8").splitlines():
            try:
                out_rows.append(json.loads(line))
            except json.JSONDecodeError:
                out_rows.append(None)
        return out_rows
    enc = meta["encoding"]
    text = raw.decode("utf-8-sig") if enc == "utf-8" else decode_legacy(raw, enc)
    lines = text.split(meta["newline"])
    assert lines[-1] == ""
    header = lines[0].split(meta["delimiter"])
    result: list[dict[str, Any] | None] = []
    for line in lines[1:-1]:
        fields = next(csv.reader(io.StringIO(line), delimiter=meta["delimiter"], strict=True))
        ok = len(fields) == len(header) and line.count('"') % 2 == 0
        ok = ok and not any('"' in f for f in fields)
        result.append(dict(zip(header, fields, strict=True)) if ok else None)
    return result


def truth(out: Path, name: str) -> list[dict[str, Any]]:
    return list(pq.read_table(out / "truth" / f"{name}.parquet").to_pylist())
