"""``ndc reconcile``: reconciliation reports (đối soát) of the agency sources against the
registers, printed as a Rich table and written per agency (CSV, XLSX) with an HTML summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ndc.console import make_console
from ndc.link.reconcile import ReconcileError, SourceReconciliation, reconcile
from ndc.link.reconcile_labels import label
from ndc.settings import get_settings

app = typer.Typer(
    help="Reconciliation with the registers (đối soát dữ liệu).", no_args_is_help=True
)


def print_summary(results: list[SourceReconciliation], console: Console) -> None:
    """One row per source and register it is reconciled against."""
    table = Table(title="Reconciliation (đối soát với CSDL gốc)", box=box.SIMPLE_HEAD)
    table.add_column("source", no_wrap=True)
    table.add_column("register", no_wrap=True)
    for col in (
        "records",
        "matched",
        "unmatched",
        "ambiguous",
        "fields\ndiffering",
        "wrong\nids",
        "deceased\nactive",
        "dissolved\nactive",
    ):
        table.add_column(col, justify="right", min_width=max(len(w) for w in col.split()))
    for r in results:
        counts = r.links or []
        for i, c in enumerate(counts):
            first = i == 0
            findings = [
                f"{r.findings.get(k, 0):,}" if first else ""
                for k in (
                    "field_discrepancies",
                    "wrong_identifiers",
                    "deceased_active",
                    "dissolved_active",
                )
            ]
            table.add_row(
                r.source_id if first else "",
                label(c.entity, "en").lower(),
                f"{c.records:,}",
                f"{c.linked:,}",
                f"{c.unmatched:,}",
                f"{c.review:,}",
                *findings,
            )
        if not counts:
            table.add_row(
                r.source_id,
                "-",
                f"{r.records:,}",
                *["0"] * 3,
                *[f"{r.findings.get(k, 0):,}" for k in r.findings],
            )
    console.print(table)


@app.command("report")
def report(
    source: list[str] | None = typer.Option(
        None, "--source", "-s", help="Only these sources (repeatable); default: every agency."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: <data_dir>/reports/reconciliation)."
    ),
) -> None:
    """Reconcile the sources with the population and enterprise registers; print the summary
    and write per agency CSV files and an XLSX workbook, and an HTML summary."""
    console = make_console()
    settings = get_settings()
    target = out or settings.data_dir / "reports" / "reconciliation"
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("reconcile", total=None)

            def progress(source_id: str, done: int) -> None:
                bar.update(task, description=source_id, completed=done)

            results = reconcile(settings.data_dir, source or None, target, progress=progress)
    except ReconcileError as exc:
        make_console(stderr=True).print(f"[red]{exc}")
        raise typer.Exit(2) from exc
    print_summary(results, console)
    console.print(f"reports: {target / 'reconciliation.html'} (per agency: {target}/<source>/)")
