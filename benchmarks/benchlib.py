"""Shared by the benchmark scripts: the synthetic nation of a size, and the results file."""

from __future__ import annotations

import json
import os
import platform
import shutil
from pathlib import Path


def nation(size: int, seed: int, work: Path) -> Path:
    """The data directory of a synthetic nation of ``size`` citizens (generated once, untimed)."""
    data_dir = work / f"n{size}"
    synth = data_dir / "synth"
    if not (synth / "manifest.json").exists():
        from ndc.synth import SynthConfig, generate

        shutil.rmtree(data_dir, ignore_errors=True)
        print(f"generating {size:,} citizens ...", flush=True)
        generate(SynthConfig(citizens=size, seed=seed, out=synth))
    return data_dir


def write_results(path: Path, target: str, runs: list[dict[str, object]]) -> None:
    """``results/<name>.json``: the machine, the target and the runs."""
    doc = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "target": target,
        "runs": runs,
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
