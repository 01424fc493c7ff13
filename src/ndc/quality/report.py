"""Scorecard reports: scores per source and principle, run reconciliation and trends, written as
JSON (for machines) and as one self-contained HTML page (for people; no external CSS, JS or
fonts, so it can be mailed, archived and printed as is).

A principle's score is ``100 × (1 − failing / checked)``. For row principles a row that fails
several rules of the principle counts once; for source-level principles (live, shared) each
check is one unit, so the score is the share of checks passed. The overall score is the plain
mean of the principles that have checks.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ndc.pipeline.store import one, std_table, table_exists
from ndc.quality.quarantine import describe_reason
from ndc.quality.rules import PRINCIPLE_VI, Principle

SOURCE_LEVEL = frozenset({Principle.LIVE, Principle.SHARED})
PRINCIPLE_EN = {p: p.value.capitalize() for p in Principle}
HISTORY_RUNS = 30  # runs per source in the trend
# Okabe-Ito: distinguishable with colour-vision deficiencies, and in greyscale with the dashes.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 3")
BANDS = {"good": PALETTE[0], "fair": PALETTE[4], "poor": PALETTE[1]}  # ≥ 95 %, ≥ 80 %, below
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class PrincipleScore:
    source_id: str
    principle: Principle
    checked: int
    failed: int
    exact: bool  # False: estimated from per-rule counts (a past run; see ``principle_scores``)

    @property
    def score(self) -> float | None:
        """Percentage of checked rows (or checks) that pass; None when nothing was checked."""
        return 100.0 * (1 - self.failed / self.checked) if self.checked else None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    source_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows_read: int
    unchanged: int
    rows_in: int
    accepted: int
    quarantined: int
    tombstoned: int
    warnings: int
    reconciled: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """rows read = unchanged + accepted + quarantined (recomputed, not trusted)."""
        return self.rows_read == self.unchanged + self.accepted + self.quarantined

    @property
    def reconciliation(self) -> str:
        sign = "=" if self.balanced else "≠"
        return f"{self.rows_read} {sign} {self.unchanged} + {self.accepted} + {self.quarantined}"


@dataclass(frozen=True)
class HistoryPoint:
    run_id: str
    started_at: datetime
    scores: dict[str, float | None]
    overall: float | None


_RUN_COLUMNS = (
    "run_id, source_id, started_at, finished_at, status, rows_read, unchanged, rows_in, "
    "accepted, quarantined, tombstoned, warnings, reconciled, message, details"
)


def _summary(r: tuple[Any, ...]) -> RunSummary:
    details = json.loads(r[14]) if isinstance(r[14], str) else (r[14] or {})
    read, unchanged, rows_in, accepted, quarantined, tombstoned, warnings = (
        int(v or 0) for v in r[5:12]
    )
    return RunSummary(
        run_id=r[0],
        source_id=r[1],
        started_at=r[2],
        finished_at=r[3],
        status=r[4],
        rows_read=read,
        unchanged=unchanged,
        rows_in=rows_in,
        accepted=accepted,
        quarantined=quarantined,
        tombstoned=tombstoned,
        warnings=warnings,
        reconciled=bool(r[12]),
        message=r[13] or "",
        details=details if isinstance(details, dict) else {},
    )


def latest_runs(con: duckdb.DuckDBPyConnection) -> list[RunSummary]:
    """The last run of every source (whatever its status), by source id."""
    rows = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM runs QUALIFY row_number() OVER "
        "(PARTITION BY source_id ORDER BY started_at DESC, finished_at DESC NULLS LAST) = 1 "
        "ORDER BY source_id"
    ).fetchall()
    return [_summary(r) for r in rows]


def _runs(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> list[RunSummary]:
    rows = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE list_contains(?, run_id)", [run_ids]
    ).fetchall()
    found = {r[0]: _summary(r) for r in rows}
    missing = [r for r in run_ids if r not in found]
    if missing:
        raise LookupError(f"unknown run id(s): {', '.join(missing)}")
    return [found[r] for r in run_ids]


def _latest_scored_run(con: duckdb.DuckDBPyConnection, source_id: str) -> str | None:
    """The run whose scorecard describes the std table as it is now."""
    row = one(
        con,
        "SELECT r.run_id FROM runs r WHERE r.source_id = ? AND r.run_id IN "
        "(SELECT run_id FROM scorecards WHERE source_id = ?) "
        "ORDER BY r.started_at DESC, r.finished_at DESC NULLS LAST LIMIT 1",
        [source_id, source_id],
    )
    return str(row[0]) if row else None


def _estimates(
    con: duckdb.DuckDBPyConnection, source_id: str, run_ids: list[str]
) -> dict[str, dict[Principle, tuple[int, int]]]:
    """(checked, failed) per run and principle from the per-rule counts alone.

    Row principles take the largest failure count of their rules: a lower bound on the rows
    failing any of them (exact when one rule dominates). Source-level ones add up their checks.
    """
    rows = con.execute(
        "SELECT run_id, principle, max(checked), max(failed), sum(checked), sum(failed) "
        "FROM scorecards WHERE source_id = ? AND list_contains(?, run_id) "
        "GROUP BY run_id, principle",
        [source_id, run_ids],
    ).fetchall()
    out: dict[str, dict[Principle, tuple[int, int]]] = {r: {} for r in run_ids}
    for run_id, principle, max_c, max_f, sum_c, sum_f in rows:
        try:
            p = Principle(principle)
        except ValueError:
            continue
        out[run_id][p] = (int(sum_c), int(sum_f)) if p in SOURCE_LEVEL else (int(max_c), int(max_f))
    return out


def _exact_failed(
    con: duckdb.DuckDBPyConnection, source_id: str, run_id: str
) -> dict[Principle, int] | None:
    """Rows failing any rule of each principle, from the std table and the open door rejects."""
    std = std_table(source_id)
    if not table_exists(con, std):
        return None
    ids = "(SELECT principle, list(rule_id) AS ids FROM scorecards WHERE run_id = ? GROUP BY 1)"
    rows = con.execute(
        f"SELECT p.principle, count(*) FROM {ids} p JOIN {std} s ON list_has_any("
        "list_concat(coalesce(s._errors, []::VARCHAR[]), coalesce(s._warnings, []::VARCHAR[])),"
        " p.ids) WHERE NOT s._deleted GROUP BY 1 "
        f"UNION ALL SELECT p.principle, count(*) FROM {ids} p JOIN quarantine q "
        "ON list_has_any(q.reasons, p.ids) WHERE q.source_id = ? AND q.status = 'open' "
        "AND q.record_key IS NULL GROUP BY 1",
        [run_id, run_id, source_id],
    ).fetchall()
    out: dict[Principle, int] = {}
    known = {p.value for p in Principle}
    for principle, n in rows:
        if principle in known:
            out[Principle(principle)] = out.get(Principle(principle), 0) + int(n)
    return out


def principle_scores(con: duckdb.DuckDBPyConnection, run_id: str) -> list[PrincipleScore]:
    """Checked and failing rows per principle for one run, all seven principles in order.

    Exact for a source's latest scored run: the std table holds that state, so a row failing
    several rules of one principle is counted once. Older runs only have per-rule counts; their
    row principles use the largest rule count (a lower bound) and are marked ``exact=False``.
    """
    summary = _runs(con, [run_id])[0]
    source_id = summary.source_id
    counts = _estimates(con, source_id, [run_id])[run_id]
    exact = None
    if _latest_scored_run(con, source_id) == run_id:
        exact = _exact_failed(con, source_id, run_id)
    scores = []
    for p in Principle:
        checked, failed = counts.get(p, (0, 0))
        if exact is not None and p not in SOURCE_LEVEL:
            failed = min(exact.get(p, 0), checked)
        scores.append(PrincipleScore(source_id, p, checked, failed, exact is not None))
    return scores


def overall(scores: list[PrincipleScore]) -> float | None:
    """Mean of the principles that were checked (each principle weighs the same)."""
    values = [s.score for s in scores if s.score is not None]
    return sum(values) / len(values) if values else None


def history(
    con: duckdb.DuckDBPyConnection, source_id: str, limit: int = HISTORY_RUNS
) -> list[HistoryPoint]:
    """Scores per principle over the source's last ``limit`` scored runs, oldest first."""
    rows = con.execute(
        "SELECT run_id, started_at FROM runs WHERE source_id = ? AND run_id IN "
        "(SELECT run_id FROM scorecards WHERE source_id = ?) "
        "ORDER BY started_at DESC, finished_at DESC NULLS LAST LIMIT ?",
        [source_id, source_id, limit],
    ).fetchall()[::-1]
    if not rows:
        return []
    estimates = _estimates(con, source_id, [r[0] for r in rows])
    latest = rows[-1][0]
    points = []
    for run_id, started_at in rows:
        if run_id == latest:
            scores = principle_scores(con, run_id)
        else:
            scores = [
                PrincipleScore(source_id, p, *estimates[run_id].get(p, (0, 0)), False)
                for p in Principle
            ]
        points.append(
            HistoryPoint(
                run_id, started_at, {s.principle.value: s.score for s in scores}, overall(scores)
            )
        )
    return points


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _rules(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    order = {p.value: i for i, p in enumerate(Principle)}
    rows = con.execute(
        "SELECT rule_id, principle, severity, checked, failed FROM scorecards WHERE run_id = ?",
        [run_id],
    ).fetchall()
    rows.sort(key=lambda r: (order.get(r[1], len(order)), -int(r[4]), r[0]))
    return [
        {
            "rule_id": rule_id,
            "principle": principle,
            "severity": severity,
            "description_vi": describe_reason(rule_id),
            "description_en": describe_reason(rule_id, "en"),
            "checked": int(checked),
            "failed": int(failed),
            "score": _round(100.0 * (1 - failed / checked) if checked else None),
        }
        for rule_id, principle, severity, checked, failed in rows
    ]


def _source_card(con: duckdb.DuckDBPyConnection, run: RunSummary) -> dict[str, Any]:
    scores = principle_scores(con, run.run_id)
    has_scores = any(s.checked for s in scores)
    return {
        "source_id": run.source_id,
        "run": {
            **asdict(run),
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "reconciliation": {
                "equation": "rows_read = unchanged + accepted + quarantined",
                "text": run.reconciliation,
                "holds": run.balanced,
            },
        },
        "overall": _round(overall(scores)) if has_scores else None,
        "exact": has_scores and all(s.exact for s in scores),
        "principles": [
            {
                "principle": s.principle.value,
                "name_vi": PRINCIPLE_VI[s.principle],
                "name_en": PRINCIPLE_EN[s.principle],
                "checked": s.checked,
                "failed": s.failed,
                "score": _round(s.score),
            }
            for s in scores
        ],
        "rules": _rules(con, run.run_id),
        "history": [
            {
                "run_id": h.run_id,
                "started_at": _iso(h.started_at),
                "overall": _round(h.overall),
                "scores": {k: _round(v) for k, v in h.scores.items()},
            }
            for h in history(con, run.source_id)
        ],
    }


def scorecard_json(
    con: duckdb.DuckDBPyConnection, run_ids: list[str], generated_at: datetime | None = None
) -> dict[str, Any]:
    """The scorecard of the given runs (one per source, usually ``latest_runs``), JSON-ready."""
    runs = _runs(con, run_ids)
    now = generated_at or datetime.now(UTC).replace(tzinfo=None)
    return {
        "title_vi": "Bảng điểm chất lượng dữ liệu",
        "title_en": "Data quality scorecard",
        "generated_at": _iso(now),
        "principles": [
            {"principle": p.value, "name_vi": PRINCIPLE_VI[p], "name_en": PRINCIPLE_EN[p]}
            for p in Principle
        ],
        "sources": [_source_card(con, run) for run in runs],
    }


# --- HTML -------------------------------------------------------------------------------------


def _num(value: int | float | None) -> str:
    """Digits grouped with a narrow no-break space: readable in Vietnamese and English."""
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def _pct(value: float | None) -> str:
    """Floor to one decimal (decimal comma), so 99.96 % never shows as a perfect 100,0 %."""
    if value is None:
        return "—"
    return f"{math.floor(value * 10 + 1e-9) / 10:.1f}".replace(".", ",") + " %"


def _band(value: float | None) -> str:
    if value is None:
        return "na"
    return "good" if value >= 95 else "fair" if value >= 80 else "poor"


def trend_chart(
    sources: list[dict[str, Any]], width: int = 880, height: int = 300
) -> dict[str, Any]:
    """Coordinates of the overall-score line chart: x by run time, y from a round floor to 100."""
    left, right, top, bottom = 56, 48, 16, 40
    series = [
        (
            s["source_id"],
            [
                (datetime.fromisoformat(h["started_at"]), h["overall"], h["run_id"])
                for h in s["history"]
                if h["overall"] is not None
            ],
        )
        for s in sources
    ]
    times = [t for _, pts in series for t, _, _ in pts]
    values = [float(v) for _, pts in series for _, v, _ in pts]
    if not times:
        return {"width": width, "height": height, "series": [], "xticks": [], "yticks": []}
    for step in (2.0, 5.0, 10.0, 20.0):  # at most six gridlines, the lowest score in view
        lo = min(90.0, max(0.0, math.floor((min(values) - 1) / step) * step))
        if (100 - lo) / step <= 6:
            break
    t0, t1 = min(times), max(times)
    span = (t1 - t0).total_seconds()
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(t: datetime) -> float:
        return left + (plot_w / 2 if span == 0 else plot_w * (t - t0).total_seconds() / span)

    def y(v: float) -> float:
        return top + plot_h * (100 - v) / (100 - lo)

    out = []
    for i, (source_id, pts) in enumerate(series):
        coords = [
            (round(x(t), 1), round(y(v), 1), f"{source_id} · {run_id}: {_pct(v)}")
            for t, v, run_id in pts
        ]
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{cx},{cy}" for j, (cx, cy, _) in enumerate(coords)
        )
        out.append(
            {
                "source_id": source_id,
                "colour": PALETTE[i % len(PALETTE)],
                "dash": DASHES[(i // len(PALETTE)) % len(DASHES)],
                "path": path,
                "points": coords,
            }
        )
    levels = [lo + k * step for k in range(round((100 - lo) / step) + 1)]
    yticks = [(round(y(v), 1), f"{v:.0f} %") for v in levels]
    ticks = [t0] if span == 0 else [t0 + (t1 - t0) * (k / 4) for k in range(5)]
    xticks = [(round(x(t), 1), f"{t:%d/%m %H:%M}") for t in ticks]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "series": out,
        "xticks": xticks,
        "yticks": yticks,
    }


def render_html(card: dict[str, Any]) -> str:
    """The scorecard as one HTML page (autoescaped: source data never becomes markup)."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(("html", "j2"), default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pct=_pct, band=_band)
    return env.get_template("scorecard.html.j2").render(
        card=card, trend=trend_chart(card["sources"]), bands=BANDS
    )


def write_reports(
    con: duckdb.DuckDBPyConnection, run_ids: list[str], out_dir: Path
) -> tuple[Path, Path]:
    """Write ``scorecard.json`` and ``scorecard.html`` for the runs; returns both paths."""
    card = scorecard_json(con, run_ids)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "scorecard.json", out_dir / "scorecard.html"
    json_path.write_text(
        json.dumps(card, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    html_path.write_text(render_html(card), encoding="utf-8")
    return json_path, html_path
