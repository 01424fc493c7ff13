"""``ndc pipeline``: run the integration pipeline with progress bars and print the accounting."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ndc.console import make_console
from ndc.pipeline.service import RunReport, run_pipeline
from ndc.pipeline.store import connect
from ndc.quality.cli import print_scorecard
from ndc.quality.report import write_reports
from ndc.settings import Settings, get_settings
from ndc.sources.cli import configs_or_exit

if TYPE_CHECKING:  # linking and golden records load (with Splink) only when chained
    from ndc.pipeline.chain import ChainReport

app = typer.Typer(help="Integration pipeline: ingest, standardise (chuẩn hóa), validate.")

SCOPES = ("pending", "quarantined", "all")


def run_with_progress(
    settings: Settings,
    console: Console,
    source: list[str] | None = None,
    steps: tuple[str, ...] = ("ingest", "process"),
    scope: str = "pending",
) -> list[RunReport]:
    configs = configs_or_exit(settings.data_dir)
    if source:
        unknown = set(source) - {c.id for c in configs}
        if unknown:
            raise typer.BadParameter(f"unknown source(s): {', '.join(sorted(unknown))}")
        configs = [c for c in configs if c.id in source]
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} sources"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("pipeline", total=len(configs))

        def progress(source_id: str, done: int) -> None:
            bar.update(task, description=source_id, completed=done)

        reports = run_pipeline(settings.data_dir, configs, steps=steps, scope=scope,
                               progress=progress)  # fmt: skip
        bar.update(task, description="done", completed=len(configs))
    return reports


def print_reports(reports: list[RunReport], console: Console) -> None:
    """The run report: rows read = unchanged + new + changed + refused, and processed rows
    = accepted + quarantined, for every source."""
    table = Table(title="Run report (báo cáo chạy)", show_lines=False)
    for col in ("source", "read", "unchanged", "new", "changed", "refused", "accepted",
                "warned", "quarantined", "removed", "reconciled", "seconds"):  # fmt: skip
        table.add_column(col, justify="left" if col == "source" else "right")
    total_read = 0
    for r in reports:
        if r.status != "ok":
            table.add_row(r.source_id, *["-"] * 9, "[red]failed", f"{r.seconds:.1f}")
            continue
        total_read += r.rows_read
        table.add_row(
            r.source_id, f"{r.rows_read:,}", f"{r.unchanged:,}", f"{r.new:,}", f"{r.changed:,}",
            f"{r.rejected:,}", f"{r.accepted:,}", f"{r.warned:,}", f"{r.quarantined_total:,}",
            f"{r.tombstoned:,}", "[green]✓" if r.reconciled else "[red]✗", f"{r.seconds:.1f}",
        )  # fmt: skip
    console.print(table)
    for r in reports:
        if r.status != "ok":
            console.print(f"[red]{r.source_id}: {r.message}")
        for d in r.drift:
            console.print(f"[yellow]{r.source_id}: schema drift: {d['kind']} '{d['column']}'")
    seconds = sum(r.seconds for r in reports)
    console.print(
        f"{total_read:,} rows read in {seconds:.1f} s"
        + (f" ({total_read / seconds:,.0f} rows/s)" if seconds else "")
    )


def report_quality(settings: Settings, reports: list[RunReport], console: Console) -> None:
    """Print the scorecard of these runs and write its JSON and HTML next to the data."""
    run_ids = [r.run_id for r in reports if r.status == "ok"]
    if not run_ids:
        return
    con = connect(settings.data_dir)
    try:
        print_scorecard(con, run_ids, console)
        json_path, html_path = write_reports(con, run_ids, settings.data_dir / "reports")
    finally:
        con.close()
    console.print(f"scorecard: {html_path} (and {json_path.name})")


def _run(source: list[str] | None, steps: tuple[str, ...], scope: str) -> None:
    if scope not in SCOPES:
        raise typer.BadParameter(f"--reprocess must be one of {', '.join(SCOPES)}")
    console = make_console()
    settings = get_settings()
    reports = run_with_progress(settings, console, source, steps, scope)
    print_reports(reports, console)
    if "process" in steps:
        report_quality(settings, reports, console)
    if any(r.status != "ok" for r in reports):
        raise typer.Exit(1)


SourceOpt = typer.Option(None, "--source", "-s", help="Only these sources (repeatable).")


@app.command("run")
def run(
    source: list[str] | None = SourceOpt,
    reprocess: str = typer.Option(
        "pending", help="pending: new data only; quarantined or all: re-process after a fix."
    ),
) -> None:
    """Ingest, standardise and validate every source; print the accounting and scorecard."""
    _run(source, ("ingest", "process"), reprocess)


@app.command("ingest")
def ingest_cmd(source: list[str] | None = SourceOpt) -> None:
    """Only land new and changed rows (they wait as pending for 'process')."""
    _run(source, ("ingest",), "pending")


@app.command("process")
def process_cmd(
    source: list[str] | None = SourceOpt,
    reprocess: str = typer.Option("pending", help="pending, quarantined or all."),
) -> None:
    """Only standardise and validate rows already landed."""
    _run(source, ("process",), reprocess)


def print_chain(report: ChainReport, console: Console) -> None:
    """What linking, survivorship and publishing did after the pipeline's own report."""
    from ndc.link.cli import print_link_report

    if report.link:
        print_link_report(report.link, console)
    if report.golden:
        g = report.golden
        entities = ", ".join(f"{n:,} {e}" for e, n in sorted(g.entities.items()))
        console.print(
            f"golden records (bản ghi gốc thống nhất): {entities}; {g.created_entities:,} new, "
            f"{g.recomputed:,} recomputed, {g.changed_attributes:,} attribute changes of existing "
            "records kept in history"
        )
    if report.published:
        p = report.published
        console.print(
            f"published to the serving store: {p.written:,} written, {p.unchanged:,} unchanged, "
            f"{p.deleted:,} removed; {p.events:,} change events"
        )
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
    console.print(f"{report.rows_read:,} source rows through the chain: {steps}")


def chain_with_progress(settings: Settings, console: Console) -> ChainReport:
    from ndc.pipeline.chain import STEPS, run_chain

    configs = configs_or_exit(settings.data_dir)
    with console.status("pipeline") as status:

        def on_step(step: str) -> None:
            status.update(f"[bold]{step}[/bold] ({', '.join(STEPS)})")

        def progress(source_id: str, done: int) -> None:
            status.update(f"[bold]pipeline[/bold]: {source_id} ({done}/{len(configs)} sources)")

        return run_chain(settings.data_dir, settings.store_url, configs, on_step, progress)


@app.command("chain")
def chain_cmd() -> None:
    """The whole chain: ingest, standardise, validate, link, golden records, publish."""
    console = make_console()
    settings = get_settings()
    report = chain_with_progress(settings, console)
    print_reports(report.runs, console)
    report_quality(settings, report.runs, console)
    print_chain(report, console)
    if not report.ok:
        raise typer.Exit(1)
