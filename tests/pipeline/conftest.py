"""Small hand-written sources for the pipeline tests: a person register in a CSV file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.support import person_config as person_config  # re-exported for the tests

from ndc.pipeline.service import RunReport, run_source
from ndc.pipeline.store import connect
from ndc.sources.schemas import SourceConfig

HEADER = ("cccd", "ho_ten", "ngay_sinh", "gioi_tinh")

# Valid CCCDs whose digits 4-6 agree with the date of birth and sex.
AN = ("001090000001", "Nguyễn Văn An", "15/03/1990", "Nam")
BINH = ("079185000002", "Trần Thị Bình", "02/11/1985", "Nữ")
CUONG = ("048200000003", "Lê Văn Cường", "01/01/2000", "Nam")
DUNG = ("001085000004", "Phạm Văn Dũng", "20/07/1985", "Nam")
EN = ("079195000005", "Hồ Thị Én", "05/05/1995", "Nữ")
PEOPLE = (AN, BINH, CUONG, DUNG)


def write_rows(
    path: Path,
    rows: list[tuple[str, ...]] | tuple[tuple[str, ...], ...],
    header: tuple[str, ...] = HEADER,
    delimiter: str = ",",
) -> Path:
    """Write a CSV (UTF-8, no quoting needed for these values) and bump its mtime."""
    lines = [delimiter.join(header), *(delimiter.join(r) for r in rows)]
    existed = path.exists()
    old = path.stat().st_mtime_ns if existed else 0
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if existed:  # a fast rewrite may keep the same mtime: make the change visible
        os.utime(path, ns=(old + 1_000_000_000, old + 1_000_000_000))
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def con(data_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(data_dir)
    yield c
    c.close()


Runner = Callable[..., RunReport]


@pytest.fixture
def run(data_dir: Path) -> Runner:
    """Run one source on a fresh connection (as each CLI invocation does)."""

    def _run(cfg: SourceConfig, **kwargs: Any) -> RunReport:
        c = connect(data_dir)
        try:
            return run_source(c, cfg, data_dir, **kwargs)
        finally:
            c.close()

    return _run


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()
