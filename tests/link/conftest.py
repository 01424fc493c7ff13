"""A small synthetic nation run through the real pipeline once per session, linked once; tests
that change links work on a copy of its data directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ndc.link import LinkConfig, link_sources, parse_config
from ndc.pipeline.service import run_pipeline
from ndc.sources.service import load_configs
from ndc.synth import SynthConfig, generate

#: Training on a few thousand rows: small samples keep the tests fast.
FAST: dict[str, object] = {"training": {"u_max_pairs": 2e5, "em_max_pairs": 2e5, "sample": 3000}}


@pytest.fixture(scope="session")
def fast_config() -> LinkConfig:
    return parse_config(FAST)


@pytest.fixture(scope="session")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pipeline database of a 2,500-citizen nation (not linked yet)."""
    d = tmp_path_factory.mktemp("nation")
    generate(SynthConfig(citizens=2500, seed=11, out=d / "synth"))
    run_pipeline(d, load_configs(d))
    return d


@pytest.fixture(scope="session")
def linked_nation(
    nation: Path, fast_config: LinkConfig, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    d = tmp_path_factory.mktemp("linked") / "data"
    shutil.copytree(nation, d)
    link_sources(d, config=fast_config, run_id="run-1")
    return d


@pytest.fixture
def linked_copy(linked_nation: Path, tmp_path: Path) -> Path:
    """A private copy of the linked nation, for tests that record decisions or relink."""
    d = tmp_path / "data"
    shutil.copytree(linked_nation, d)
    return d
