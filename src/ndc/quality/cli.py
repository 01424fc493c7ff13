"""``ndc quality``: scorecards and the quarantine, for the center and the owner agencies."""

from __future__ import annotations

from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from ndc.console import make_console
from ndc.pipeline.store import connect
from ndc.quality.quarantine import export_quarantine, list_quarantine, quarantine_summary
from ndc.quality.report import latest_runs, principle_scores, write_reports
from ndc.quality.rules import PRINCIPLE_VI, Principle
from ndc.settings import get_settings

app = typer.Typer(help="Quality scorecards (bảng điểm chất lượng) and quarantine (cách ly).")


def print_scorecard(con: duckdb.DuckDBPyConnection, run_ids: list[str], console: Console) -> None:
    """Principle scores (percent of rows passing) per source for the given runs."""
    table = Table(title="Scorecard: % of rows passing, by principle")
    table.add_column("source")
    for p in Principle:
        table.add_column(f"{PRINCIPLE_VI[p]}\n{p.value}", justify="right")
    for run_id in run_ids:
        scores = principle_scores(con, run_id)
        if not scores:
            continue
        by = {s.principle: s.score for s in scores}
        cells = [f"{v:.1f}" if (v := by.get(p)) is not None else "n/a" for p in Principle]
        table.add_row(scores[0].source_id, *cells)
    console.print(table)


@app.command("scorecard")
def scorecard(
    out: Path | None = typer.Option(None, help="Folder for scorecard.json and scorecard.html."),
) -> None:
    """Scorecard of the latest run of every source; writes JSON and a self-contained HTML."""
    settings = get_settings()
    con = connect(settings.data_dir)
    try:
        run_ids = [r.run_id for r in latest_runs(con) if r.status == "ok"]
        if not run_ids:
            raise typer.BadParameter("no pipeline run yet: run 'ndc pipeline run' first")
        console = make_console()
        print_scorecard(con, run_ids, console)
        paths = write_reports(con, run_ids, out or settings.data_dir / "reports")
        console.print(f"written: {paths[0]} and {paths[1]}")
    finally:
        con.close()


@app.command("quarantine")
def quarantine(
    source: str | None = typer.Option(None, "--source", "-s"),
    reason: str | None = typer.Option(None, help="Reason code or prefix, e.g. 'complete'."),
    limit: int = typer.Option(20, help="Rows to show."),
    summary: bool = typer.Option(False, help="Counts per source and reason instead of rows."),
) -> None:
    """List open quarantine entries (or count them per reason)."""
    con = connect(get_settings().data_dir)
    try:
        console = make_console()
        if summary:
            table = Table("source", "reason", "open", title="Quarantine (cách ly)")
            for src, rsn, n in quarantine_summary(con):
                table.add_row(src, rsn, f"{n:,}")
            console.print(table)
            return
        table = Table("source", "record", "file:row", "reasons", "values", title="Quarantine")
        for r in list_quarantine(con, source, reason=reason, limit=limit):
            where = f"{Path(r.file or '').name}:{r.row_number}"
            table.add_row(r.source_id, r.record_key or "-", where, ", ".join(r.reasons),
                          (r.values or r.raw or "")[:80])  # fmt: skip
        console.print(table)
    finally:
        con.close()


@app.command("export")
def export(
    source: str = typer.Option(..., "--source", "-s"),
    out: Path = typer.Option(..., help="CSV file to write for the owner agency."),
) -> None:
    """Export a source's open quarantine as CSV (UTF-8 with BOM, Vietnamese headers)."""
    con = connect(get_settings().data_dir)
    try:
        n = export_quarantine(con, source, out)
    finally:
        con.close()
    make_console().print(f"{n:,} rows written to {out}")
