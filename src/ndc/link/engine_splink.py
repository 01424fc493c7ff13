"""Splink on the residue of the deterministic pass.

Splink runs in its own in-memory DuckDB database, fed with Arrow tables, so that its working
tables never land in the pipeline database. Training: u by random sampling over the register,
m by EM on the residue plus a sample of deterministic links (so the model also sees clean
matches); a trained model is returned as a dict and can be reused by the next (incremental) run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import duckdb
import pyarrow as pa
from splink.internals.exceptions import SplinkException

from ndc.link.comparisons import blocking_rules, settings_dict
from ndc.link.config import LinkConfig
from ndc.link.engine_util import extra_columns

COLUMNS = (
    "uid",
    "name_exact",
    "name_tone",
    "name_fold",
    "name_sorted",
    "family_fold",
    "given_fold",
    "dob",
    "dob_precision",
    "dob_year",
    "dob_swapped",
    "sex",
    "commune",
    "commune_alt",
    "address_fold",
    "ident",
    "ident_alt",
    "ident_head",
    "ident_tail",
)

logging.getLogger("splink").setLevel(logging.ERROR)
log = logging.getLogger(__name__)


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    return con.sql(sql).to_arrow_table()


def _linker(sp: duckdb.DuckDBPyConnection, left: pa.Table, right: pa.Table, settings: Any) -> Any:
    from splink import DuckDBAPI, Linker

    api = DuckDBAPI(sp)
    dl = api.register(left, table_name="lk_left")
    dr = api.register(right, table_name="lk_right")
    return Linker([dl, dr], settings, log_level=None)


def _train(
    sp: duckdb.DuckDBPyConnection,
    left: pa.Table,
    right: pa.Table,
    cfg: LinkConfig,
    present: set[str],
) -> dict[str, Any]:
    settings = settings_dict(cfg, present, right.num_rows)
    linker = _linker(sp, left, right, settings)
    tr = cfg.training
    linker.training.estimate_u_using_random_sampling(
        max_pairs=tr.u_max_pairs, seed=tr.seed, min_count_per_level=None, num_chunks=1
    )
    for rule in tr.em_blocking:
        if not set(rule) <= present:
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                blocking_rules([rule])[0]["blocking_rule"],
                estimate_without_term_frequencies=True,
                max_pairs=tr.em_max_pairs,
            )
        except (ValueError, SplinkException) as err:  # too few pairs: keep the priors
            log.warning("EM blocked on %s did not converge (%s); keeping prior m values", rule, err)
    model: dict[str, Any] = linker.misc.save_model_to_json()
    return model


def score_residue(
    con: duckdb.DuckDBPyConnection,
    residue: str,
    left: str,
    right: str,
    cfg: LinkConfig,
    present: set[str],
    model: dict[str, Any] | None,
    timings: dict[str, float] | None = None,
) -> tuple[pa.Table, dict[str, Any]]:
    """Score residue x right with Splink, training first when no model is given.

    Returns pairs (uid_l, uid_r, match_probability, match_weight, method) at or above a tenth of
    the review threshold, and the model used.
    """
    cols = ", ".join([*COLUMNS, *extra_columns(con, residue)])
    right_t = _arrow(con, f"SELECT {cols} FROM {right}")
    residue_t = _arrow(con, f"SELECT {cols} FROM {residue}")
    sp = duckdb.connect()
    t0 = time.perf_counter()
    try:
        if model is None:
            n = cfg.training.sample
            sample = (
                _arrow(
                    con,
                    f"SELECT {cols} FROM {left} WHERE uid NOT IN (SELECT uid FROM {residue}) "
                    f"USING SAMPLE reservoir({n} ROWS) REPEATABLE ({cfg.training.seed})",
                )
                if n
                else residue_t.schema.empty_table()
            )
            train_left = pa.concat_tables([residue_t, sample.cast(residue_t.schema)])
            model = _train(sp, train_left, right_t, cfg, present)
            sp.close()
            sp = duckdb.connect()
        t1 = time.perf_counter()
        # blocking comes from this run's configuration (a reused model keeps its m and u)
        model = dict(model)
        usable = [r for r in cfg.blocking if isinstance(r, str) or set(r) <= present]
        model["blocking_rules_to_generate_predictions"] = blocking_rules(usable)
        model["probability_two_random_records_match"] = min(0.5, 0.95 / max(right_t.num_rows, 1))
        linker = _linker(sp, residue_t, right_t, model)
        pred = linker.inference.predict(
            threshold_match_probability=cfg.review_threshold / 10, warning_mode="never"
        )
        out = sp.sql(
            f"""SELECT uid_l, uid_r, match_probability, match_weight,
                       'probabilistic' AS method FROM {pred.physical_name}"""
        ).to_arrow_table()
        if timings is not None:
            timings.update(train=t1 - t0, predict=time.perf_counter() - t1)
    finally:
        sp.close()
    return out, model
