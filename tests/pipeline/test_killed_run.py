"""A run killed half-way and run again leaves no duplicates and loses no row."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from ndc.pipeline.service import run_pipeline
from ndc.pipeline.store import connect, table_exists
from ndc.sources.schemas import SourceConfig

from .conftest import AN, BINH, CUONG, EN, PEOPLE, Runner, person_config, rows
from .conftest import write_rows as write

# Patch every name the merge step may be called through, then die with no clean-up at all.
KILLER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import ndc.pipeline.service as service
    import ndc.quality.engine as engine
    from ndc.sources.schemas import SourceConfig

    real = engine.merge_batch
    when = sys.argv[3]

    def killed(*args, **kwargs):
        if when == "after":
            real(*args, **kwargs)
        os._exit(9)

    engine.merge_batch = killed
    if hasattr(service, "merge_batch"):
        service.merge_batch = killed
    cfg = SourceConfig.model_validate_json(sys.argv[1])
    service.run_pipeline(Path(sys.argv[2]), [cfg])
    sys.exit(0)
    """
)


def _killed_run(cfg: SourceConfig, data_dir: Path, when: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, cfg.model_dump_json(), str(data_dir), when],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 9, proc.stderr  # the run really died mid-transaction


def _assert_complete(data_dir: Path, expected: dict[str, str], ok_runs: int) -> None:
    con = connect(data_dir)
    try:
        per_key = rows(con, "SELECT _record_key, count(*) FROM std_people GROUP BY 1")
        assert all(n == 1 for _, n in per_key), per_key
        names = dict(rows(con, "SELECT _record_key, full_name FROM std_people WHERE NOT _deleted"))
        assert names == expected
        assert rows(con, "SELECT count(*) FROM runs WHERE status = 'ok'") == [(ok_runs,)]
        assert rows(con, "SELECT count(*) FROM runs WHERE status <> 'ok'") == [(0,)]
        dupes = rows(
            con,
            "SELECT _record_key, _row_hash, count(*) FROM raw_people GROUP BY 1, 2 "
            "HAVING count(*) > 1",
        )
        assert dupes == []
        assert (
            rows(con, "SELECT count(*) FROM cur_people GROUP BY _record_key HAVING count(*) > 1")
            == []
        )
    finally:
        con.close()


def test_killed_first_run_then_rerun(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    cfg = person_config()
    _killed_run(cfg, data_dir, "after")  # everything written, nothing committed

    con = connect(data_dir)
    assert not table_exists(con, "std_people")
    assert rows(con, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(con, "SELECT count(*) FROM sync_state") == [(0,)]
    assert rows(con, "SELECT count(*) FROM quarantine") == [(0,)]
    con.close()

    report = run(cfg)
    assert report.status == "ok", report.message
    assert (report.rows_read, report.new, report.accepted) == (4, 4, 4) and report.reconciled
    _assert_complete(data_dir, {r[0]: r[1] for r in PEOPLE}, ok_runs=1)
    con = connect(data_dir)
    assert rows(con, "SELECT count(*) FROM raw_people") == [(4,)]
    con.close()


def test_killed_update_run_then_rerun(data_dir: Path, run: Runner) -> None:
    write(data_dir / "people.csv", PEOPLE)
    cfg = person_config()
    assert run(cfg).accepted == 4
    moved = (BINH[0], "Trần Thị Bình Minh", BINH[2], BINH[3])
    write(data_dir / "people.csv", [AN, moved, CUONG, EN])
    _killed_run(cfg, data_dir, "after")

    report = run_pipeline(data_dir, [cfg])[0]
    assert report.status == "ok", report.message
    assert (report.new, report.changed, report.tombstoned) == (1, 1, 1)
    assert report.reconciled
    expected = {r[0]: r[1] for r in [AN, moved, CUONG, EN]}
    _assert_complete(data_dir, expected, ok_runs=2)
    con = connect(data_dir)
    assert rows(con, "SELECT count(*) FROM raw_people") == [(6,)]
    con.close()
