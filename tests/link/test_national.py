"""National linking of the pipeline's sources to the registers, checked against ground truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ndc.link import LinkError, link_sources
from ndc.pipeline.store import connect

TRUTH_NAMES = {"business_registration": "business_registry", "land_parcels": "land_registry"}


def _with_truth(data_dir: Path) -> duckdb.DuckDBPyConnection:
    con = connect(data_dir)
    parts = [
        f"SELECT '{TRUTH_NAMES.get(f.stem, f.stem)}' AS sid, * EXCLUDE (source) FROM '{f}'"
        for f in sorted((data_dir / "synth" / "truth").glob("*.parquet"))
    ]
    con.execute("CREATE TEMP TABLE truth AS " + " UNION ALL BY NAME ".join(parts))
    con.execute(
        """CREATE TEMP TABLE ev AS SELECT t.*, l.status, l.target_id, l.method,
                  l.match_probability
           FROM truth t JOIN links l ON l.source_id = t.sid AND l.record_key = t.record_key
            AND l.entity = t.entity_type"""
    )
    return con


def test_every_accepted_person_record_is_linked_to_its_true_person(linked_nation: Path) -> None:
    con = _with_truth(linked_nation)
    n, linked, wrong = con.execute(
        """SELECT count(*), count(*) FILTER (status = 'linked' AND target_id = true_id),
                  count(*) FILTER (status = 'linked' AND target_id <> true_id)
           FROM ev WHERE entity_type = 'person'"""
    ).fetchall()[0]
    assert n > 5000
    assert wrong == 0  # precision 1.0
    assert linked / n >= 0.995  # recall


def test_only_accepted_rows_are_linked_and_registers_link_to_themselves(
    linked_nation: Path,
) -> None:
    con = connect(linked_nation)
    quarantined_linked = con.execute(
        """SELECT count(*) FROM links l JOIN std_health_insurance s
           ON l.source_id = 'health_insurance' AND s._record_key = l.record_key
           WHERE s._status <> 'accepted'"""
    ).fetchall()[0][0]
    assert quarantined_linked == 0
    masters = con.execute(
        """SELECT count(*), count(*) FILTER (target_id = record_key AND match_probability = 1)
           FROM links WHERE source_id = 'population' AND method = 'master'"""
    ).fetchall()[0]
    accepted = con.execute(
        "SELECT count(*) FROM std_population WHERE _status = 'accepted'"
    ).fetchall()[0][0]
    assert masters == (accepted, accepted)
    enterprises = con.execute(
        "SELECT count(*) FROM links WHERE source_id = 'business_registry' AND method = 'master'"
    ).fetchall()[0][0]
    assert enterprises > 0


def test_clean_records_with_valid_identifiers_link_deterministically(linked_nation: Path) -> None:
    con = _with_truth(linked_nation)
    methods = dict(
        con.execute(
            """SELECT method, count(*) FROM ev WHERE entity_type = 'person'
               AND len(faults) = 0 AND sid <> 'business_registry' GROUP BY 1"""
        ).fetchall()
    )
    assert methods["deterministic"] / sum(methods.values()) > 0.99
    probs = con.execute(
        "SELECT DISTINCT match_probability FROM ev WHERE method = 'deterministic'"
    ).fetchall()
    assert probs == [(1.0,)]


@pytest.mark.parametrize(
    "fault",
    [
        "name_typo",
        "name_unaccented",
        "date_day_month_swap",
        "date_year_only",
        "id_digit_error",
        "id_digit_dropped",
        "id_cmnd",
    ],
)
def test_faulty_records_are_linked_probabilistically_to_the_true_person(
    linked_nation: Path, fault: str
) -> None:
    con = _with_truth(linked_nation)
    n, right, wrong = con.execute(
        """SELECT count(*), count(*) FILTER (status = 'linked' AND target_id = true_id),
                  count(*) FILTER (status = 'linked' AND target_id <> true_id)
           FROM ev WHERE entity_type = 'person' AND list_contains(faults, ?)""",
        [fault],
    ).fetchall()[0]
    assert n >= 10
    assert wrong == 0
    assert right / n >= 0.97


def test_typo_and_wrong_digit_links_carry_their_probability(linked_nation: Path) -> None:
    con = _with_truth(linked_nation)
    rows = con.execute(
        """SELECT method, min(match_probability) FROM ev WHERE status = 'linked'
           AND list_contains(faults, 'id_digit_error') GROUP BY 1"""
    ).fetchall()
    assert dict(rows)["probabilistic"] >= 0.9


def test_enterprise_rows_link_to_the_business_register(linked_nation: Path) -> None:
    con = _with_truth(linked_nation)
    n, right, wrong = con.execute(
        """SELECT count(*), count(*) FILTER (status = 'linked' AND target_id = true_id),
                  count(*) FILTER (status = 'linked' AND target_id <> true_id)
           FROM ev WHERE entity_type = 'enterprise'"""
    ).fetchall()[0]
    assert n > 50 and wrong == 0 and right / n > 0.95


def test_linking_without_a_population_register_says_so(tmp_path: Path) -> None:
    connect(tmp_path).close()
    with pytest.raises(LinkError, match="population register"):
        link_sources(tmp_path)
