"""The whole integration chain in one call: ingest -> standardise -> validate -> link -> golden
records -> publish (golden records, then land parcels by owner). The demo, ``ndc pipeline
chain`` and the end-to-end benchmark call this; each step is the same service function its own
command calls, so nothing here is a second code path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ndc.golden import (
    BuildStats,
    ParcelPublishResult,
    PublishResult,
    build_golden,
    publish,
    publish_parcels,
)
from ndc.link import LinkRunReport, link_sources
from ndc.pipeline.service import Progress, RunReport, run_pipeline
from ndc.sources.schemas import SourceConfig
from ndc.store import create_store_engine

STEPS = ("pipeline", "link", "golden", "publish")
StepProgress = Callable[[str], None]  # called with the step about to run


@dataclass
class ChainReport:
    """What every step of one chain run did, and how long each took (seconds)."""

    runs: list[RunReport]
    link: LinkRunReport | None = None
    golden: BuildStats | None = None
    published: PublishResult | None = None
    parcels: ParcelPublishResult | None = None  # land parcels, published with the records
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.runs) and self.published is not None

    @property
    def rows_read(self) -> int:
        return sum(r.rows_read for r in self.runs)


def run_chain(
    data_dir: Path,
    store_url: str,
    configs: list[SourceConfig],
    on_step: StepProgress | None = None,
    progress: Progress | None = None,
) -> ChainReport:
    """Run every step; a step runs only when the ones before it succeeded.

    A failed source stops the chain before linking: golden records are built from complete
    inputs only, and the failed source's message is in its run report.
    """

    def step(name: str) -> float:
        if on_step:
            on_step(name)
        return time.perf_counter()

    t = step("pipeline")
    report = ChainReport(runs=run_pipeline(data_dir, configs, progress=progress))
    report.timings["pipeline"] = time.perf_counter() - t
    if any(r.status != "ok" for r in report.runs):
        return report
    t = step("link")
    report.link = link_sources(data_dir)
    report.timings["link"] = time.perf_counter() - t
    t = step("golden")
    report.golden = build_golden(data_dir)
    report.timings["golden"] = time.perf_counter() - t
    t = step("publish")
    engine = create_store_engine(store_url)
    try:
        report.published = publish(data_dir, engine)
        report.parcels = publish_parcels(data_dir, engine, report.published.run_id)
    finally:
        engine.dispose()
    report.timings["publish"] = time.perf_counter() - t
    return report
