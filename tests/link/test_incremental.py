"""Incremental linking: a new batch links against the register without relinking the rest."""

from __future__ import annotations

import shutil
from pathlib import Path

from ndc.link import LinkConfig, link_sources
from ndc.pipeline.store import connect


def _runs(data_dir: Path, source: str) -> dict[str, int]:
    con = connect(data_dir)
    try:
        return dict(
            con.execute(
                "SELECT run_id, count(*) FROM links WHERE source_id = ? GROUP BY 1", [source]
            ).fetchall()
        )
    finally:
        con.close()


def test_a_second_batch_links_without_relinking_the_first(
    nation: Path, fast_config: LinkConfig, tmp_path: Path
) -> None:
    d = tmp_path / "data"
    shutil.copytree(nation, d)
    first = link_sources(d, ["population", "civil_servants"], config=fast_config, run_id="r1")
    assert first.trained
    second = link_sources(d, ["health_insurance"], config=fast_config, run_id="r2")
    assert not second.trained  # the saved model is reused
    assert set(_runs(d, "civil_servants")) == {"r1"}
    hi = _runs(d, "health_insurance")
    assert set(hi) == {"r2"} and hi["r2"] > 1000


def test_a_rerun_relinks_only_changed_records(linked_copy: Path, fast_config: LinkConfig) -> None:
    con = connect(linked_copy)
    key = con.execute(
        "SELECT record_key FROM links WHERE source_id = 'driving_licences' "
        "AND method = 'deterministic' ORDER BY 1 LIMIT 1"
    ).fetchall()[0][0]
    # the agency corrects the holder's name (as a new pipeline version of the record would)
    con.execute(
        "UPDATE std_driving_licences SET holder_full_name = holder_full_name || 'h', "
        "holder_full_name__key = holder_full_name__key || 'h' WHERE _record_key = ?",
        [key],
    )
    con.close()
    report = link_sources(linked_copy, config=fast_config, run_id="run-2")
    runs = _runs(linked_copy, "driving_licences")
    unsettled = sum(c.review + c.unmatched for c in report.sources)
    assert runs.get("run-2", 0) <= 1 + unsettled  # the changed record and the undecided ones
    con = connect(linked_copy)
    status, method, run = con.execute(
        "SELECT status, method, run_id FROM links WHERE source_id = 'driving_licences' "
        "AND record_key = ?",
        [key],
    ).fetchall()[0]
    con.close()
    assert (status, method, run) == ("linked", "probabilistic", "run-2")


def test_records_gone_from_a_source_lose_their_links(
    linked_copy: Path, fast_config: LinkConfig
) -> None:
    con = connect(linked_copy)
    con.execute(
        "UPDATE std_tax SET _deleted = TRUE WHERE _record_key IN "
        "(SELECT _record_key FROM std_tax ORDER BY 1 LIMIT 5)"
    )
    con.close()
    link_sources(linked_copy, ["tax"], config=fast_config, run_id="run-2")
    con = connect(linked_copy)
    left = con.execute(
        "SELECT count(*) FROM links l JOIN std_tax s ON s._record_key = l.record_key "
        "WHERE l.source_id = 'tax' AND s._deleted"
    ).fetchall()[0][0]
    con.close()
    assert left == 0


def test_register_changes_are_picked_up_and_an_unchanged_register_is_not_rebuilt(
    linked_copy: Path, fast_config: LinkConfig
) -> None:
    con = connect(linked_copy)
    state = con.execute("SELECT value FROM link_state WHERE key = 'link_register'").fetchall()
    gone = con.execute("SELECT _record_key FROM std_population ORDER BY 1 LIMIT 1").fetchall()[0][0]
    con.close()
    link_sources(linked_copy, config=fast_config, run_id="run-2")
    con = connect(linked_copy)
    assert (
        con.execute("SELECT value FROM link_state WHERE key = 'link_register'").fetchall() == state
    )
    con.execute("UPDATE std_population SET _deleted = TRUE WHERE _record_key = ?", [gone])
    con.close()
    link_sources(linked_copy, config=fast_config, run_id="run-3")
    con = connect(linked_copy)
    masters = con.execute(
        "SELECT count(*) FROM links WHERE source_id = 'population' AND record_key = ?", [gone]
    ).fetchall()[0][0]
    in_register = con.execute("SELECT count(*) FROM link_register WHERE uid = ?", [gone]).fetchall()
    con.close()
    assert masters == 0 and in_register == [(0,)]
