"""The review queue and reviewers' decisions, respected by the next linking run."""

from __future__ import annotations

from pathlib import Path

import pytest

from ndc.link import LinkConfig, ReviewError, link_sources, record_decision, review_queue
from ndc.pipeline.store import connect


def _link(data_dir: Path, key: tuple[str, str]) -> tuple[str | None, str, str]:
    con = connect(data_dir)
    try:
        row = con.execute(
            "SELECT target_id, status, method FROM links WHERE source_id = ? AND record_key = ? "
            "AND entity = 'person'",
            list(key),
        ).fetchall()
        return row[0]
    finally:
        con.close()


def _a_probabilistic_link(data_dir: Path) -> tuple[str, str, str]:
    con = connect(data_dir)
    try:
        return con.execute(
            "SELECT source_id, record_key, target_id FROM links WHERE method = 'probabilistic' "
            "AND status = 'linked' AND entity = 'person' ORDER BY 1, 2 LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()


def test_not_a_match_is_respected_by_the_next_run(
    linked_copy: Path, fast_config: LinkConfig
) -> None:
    source, key, target = _a_probabilistic_link(linked_copy)
    record_decision(linked_copy, source, key, "not_a_match", target, reviewer="lan")
    assert _link(linked_copy, (source, key))[0] is None
    link_sources(linked_copy, config=fast_config, run_id="run-2")
    after = _link(linked_copy, (source, key))
    assert after[0] != target
    con = connect(linked_copy)
    proposed = con.execute(
        "SELECT count(*) FROM link_candidates WHERE source_id = ? AND record_key = ? "
        "AND target_id = ?",
        [source, key, target],
    ).fetchall()[0][0]
    con.close()
    assert proposed == 0


def test_a_reviewer_link_survives_later_runs(linked_copy: Path, fast_config: LinkConfig) -> None:
    source, key, target = _a_probabilistic_link(linked_copy)
    con = connect(linked_copy)  # the reviewer knows better than the model, by definition
    other = con.execute(
        "SELECT target_id FROM links WHERE source_id = 'population' AND target_id <> ? LIMIT 1",
        [target],
    ).fetchall()[0][0]
    con.close()
    record_decision(linked_copy, source, key, "link", other, reviewer="lan", note="checked")
    assert _link(linked_copy, (source, key)) == (other, "linked", "reviewer")
    link_sources(linked_copy, config=fast_config, run_id="run-2")
    link_sources(linked_copy, config=fast_config, run_id="run-3", retrain=True)
    assert _link(linked_copy, (source, key)) == (other, "linked", "reviewer")


def test_review_queue_lists_undecided_records_with_candidates(linked_copy: Path) -> None:
    source, key, target = _a_probabilistic_link(linked_copy)
    con = connect(linked_copy)  # an undecided record, as linking leaves them
    con.execute(
        "UPDATE links SET status = 'review', target_id = NULL WHERE source_id = ? "
        "AND record_key = ?",
        [source, key],
    )
    con.close()
    items = review_queue(linked_copy, source=source)
    mine = [i for i in items if i.record_key == key]
    assert mine and mine[0].candidates[0].target_id == target
    assert mine[0].candidates[0].rank == 1
    record_decision(linked_copy, source, key, "link", target, reviewer="lan")
    assert key not in {i.record_key for i in review_queue(linked_copy, source=source)}


def test_bad_decisions_are_refused(linked_copy: Path) -> None:
    source, key, target = _a_probabilistic_link(linked_copy)
    with pytest.raises(ReviewError, match="decision must be one of"):
        record_decision(linked_copy, source, key, "maybe", target, reviewer="lan")
    with pytest.raises(ReviewError, match="no person link record"):
        record_decision(linked_copy, source, "nope", "link", target, reviewer="lan")
    with pytest.raises(ReviewError, match="not in the population register"):
        record_decision(linked_copy, source, key, "link", "001000000000", reviewer="lan")
