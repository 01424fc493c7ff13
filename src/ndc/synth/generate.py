"""Generate the whole data set: registers, agency sources with faults, ground truth, manifest."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ndc.synth.config import SourceSummary, SynthConfig, SynthSummary
from ndc.synth.enterprises import build_enterprises, enterprise_table
from ndc.synth.frame import Column, Ctx, add_duplicates, apply_field_faults, record_keys
from ndc.synth.geo import load_geo
from ndc.synth.population import _unique_ints, build_population, population_table
from ndc.synth.sources import SOURCES, SourceSpec
from ndc.synth.strings import int_str
from ndc.synth.truth import truth_table
from ndc.synth.writers import (
    typed_table,
    write_csv,
    write_jsonl,
    write_parquet,
    write_postgres,
    write_sqlite,
)

Progress = Callable[[str, int, int], None]
MANIFEST = "manifest.json"


def stream(seed: int, label: str) -> np.random.Generator:
    """An independent random stream per part, so one part's changes leave the others alone."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(label.encode())]))
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_source(spec: SourceSpec, ctx: Ctx, out: Path) -> tuple[SourceSummary, pa.Table]:
    cfg = ctx.cfg
    rng = stream(cfg.seed, "source:" + spec.name)
    frame = spec.build(rng, ctx)
    apply_field_faults(frame, rng, ctx, spec.faults)
    frame = add_duplicates(frame, rng, ctx)
    keys = record_keys(rng, frame.n, spec.key_prefix, spec.key_width)
    frame.columns = {spec.key: Column(keys), **frame.columns}
    path = out / spec.path
    path.parent.mkdir(parents=True, exist_ok=True)
    malformed = cfg.rate("malformed_row") if "malformed_row" in spec.faults else 0.0
    extra: dict[str, Any] = {}
    if spec.format == "csv":
        write_csv(
            frame,
            path,
            rng,
            malformed,
            encoding=spec.encoding or "utf-8",
            delimiter=spec.delimiter or ",",
            bom=spec.bom,
            newline=spec.newline,
        )
    elif spec.format == "jsonl":
        write_jsonl(frame, path, rng, malformed)
    elif spec.format == "parquet":
        write_parquet(frame, path)
    elif spec.format == "sqlite":
        table = typed_table(frame)
        write_sqlite(table, path, spec.table or spec.name, spec.key)
        extra["table"] = spec.table
        if cfg.pg_url:
            write_postgres(table, cfg.pg_url, cfg.pg_schema, spec.table or spec.name, spec.key)
            extra["postgres"] = f"{cfg.pg_schema}.{spec.table}"
    else:  # pragma: no cover - specs are static
        raise ValueError(spec.format)
    truth = truth_table(frame, keys)
    counts = {k: int(v.sum()) for k, v in sorted(frame.faults.items()) if v.any()}
    summary = SourceSummary(
        name=spec.name,
        path=spec.path,
        format=spec.format,
        encoding=spec.encoding,
        delimiter=spec.delimiter,
        rows=frame.n,
        entity=spec.entity,
        faults=counts,
        extra={
            "agency": spec.agency,
            "key": spec.key,
            "columns": list(frame.columns),
            "date_format": spec.date_format,
            "bom": spec.bom,
            "newline": spec.newline if spec.format == "csv" else None,
            **extra,
        },
    )
    return summary, truth


def generate(config: SynthConfig, progress: Progress | None = None) -> SynthSummary:
    """Write the data set described by ``config`` into ``config.out`` and return a summary."""
    t0 = time.perf_counter()
    specs = [s for s in SOURCES if config.sources is None or s.name in config.sources]
    total = 3 + len(specs)
    step = 0

    def tick(label: str) -> None:
        nonlocal step
        step += 1
        if progress:
            progress(label, step, total)

    out = config.out
    for sub in ("population", "sources", "truth"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True, exist_ok=True)
    geo = load_geo()
    ref_day = int((np.datetime64(config.reference_date) - np.datetime64("1970-01-01")).astype(int))
    timings: dict[str, float] = {}
    t = time.perf_counter()
    pop = build_population(stream(config.seed, "population"), config.citizens, ref_day, geo)
    pq.write_table(
        population_table(pop, geo), out / "population/citizens.parquet", compression="zstd"
    )
    timings["population"] = time.perf_counter() - t
    tick("population register")
    t = time.perf_counter()
    ent = build_enterprises(stream(config.seed, "enterprises"), pop, geo, ref_day)
    pq.write_table(
        enterprise_table(ent, pop, geo), out / "population/enterprises.parquet", compression="zstd"
    )
    bhxh_rng = stream(config.seed, "bhxh")
    bhxh = int_str(_unique_ints(bhxh_rng, np.zeros(pop.n, dtype=np.int64), 10**9, 10**10), 10)
    timings["enterprises"] = time.perf_counter() - t
    tick("enterprise register")
    ctx = Ctx(cfg=config, geo=geo, pop=pop, ent=ent, ref_day=ref_day, bhxh=bhxh)
    summaries: list[SourceSummary] = []
    truth_rows = 0
    for spec in specs:
        t = time.perf_counter()
        summary, truth = _write_source(spec, ctx, out)
        pq.write_table(truth, out / "truth" / f"{spec.name}.parquet", compression="zstd")
        truth_rows += truth.num_rows
        summaries.append(summary)
        timings[spec.name] = time.perf_counter() - t
        tick(spec.name)
    seconds = time.perf_counter() - t0
    registers = {
        "citizens": "population/citizens.parquet",
        "enterprises": "population/enterprises.parquet",
    }
    _write_manifest(config, out, pop.n, ent.n, summaries, registers, truth_rows, seconds, timings)
    tick("manifest")
    return SynthSummary(
        out=out,
        seed=config.seed,
        citizens=pop.n,
        enterprises=ent.n,
        sources=summaries,
        truth_rows=truth_rows,
        seconds=time.perf_counter() - t0,
        registers=registers,
    )


def _write_manifest(
    config: SynthConfig,
    out: Path,
    citizens: int,
    enterprises: int,
    sources: list[SourceSummary],
    registers: dict[str, str],
    truth_rows: int,
    seconds: float,
    timings: dict[str, float],
) -> None:
    """``manifest.json``: everything but the ``run`` field is identical for the same seed+config."""
    cfg = config.model_dump(mode="json", exclude={"out", "pg_url"})
    manifest = {
        "generator": "ndc.synth",
        "seed": config.seed,
        "config": cfg,
        "registers": {
            name: {"path": p, "format": "parquet", "sha256": _sha256(out / p)}
            for name, p in registers.items()
        }
        | {"counts": {"citizens": citizens, "enterprises": enterprises}},
        "sources": [
            {
                "name": s.name,
                "path": s.path,
                "format": s.format,
                "encoding": s.encoding,
                "delimiter": s.delimiter,
                "rows": s.rows,
                "entity": s.entity,
                "faults": s.faults,
                "sha256": _sha256(out / s.path),
                **s.extra,
            }
            for s in sources
        ],
        "truth": {
            "path": "truth/",
            "files": [f"truth/{s.name}.parquet" for s in sources],
            "rows": truth_rows,
        },
        "run": {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
            "step_seconds": {k: round(v, 3) for k, v in timings.items()},
            "out": str(out),
            "postgres": bool(config.pg_url),
        },
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
