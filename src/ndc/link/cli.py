"""``ndc link``: link two files, link the pipeline's sources to the registers, review queue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ndc.console import make_console
from ndc.link.config import LinkConfigError, load_config
from ndc.settings import get_settings

if TYPE_CHECKING:  # the engine (and Splink) load only when a command needs them
    from ndc.link.schemas import LinkRunReport

DECISIONS = ("link", "not_a_match")  # as ndc.link.review, without importing the engine

app = typer.Typer(help="Entity resolution (liên kết): link records to the registers.")
review_app = typer.Typer(help="The review queue: undecided links and reviewers' decisions.")
app.add_typer(review_app, name="review")


def _fail(message: str) -> None:
    make_console(stderr=True).print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def print_link_report(report: LinkRunReport, console: Console) -> None:
    """Per source and entity: records, how they were linked, what waits for review."""
    table = Table(title=f"Links (liên kết) — run {report.run_id}")
    cols = ("source", "entity", "records", "linked", "deterministic", "probabilistic",
            "reviewer", "review", "unmatched", "this run")  # fmt: skip
    width = max((len(s.source_id) for s in report.sources), default=6)
    for c in cols:
        if c in ("source", "entity"):
            table.add_column(c, no_wrap=True, min_width=width if c == "source" else 10)
        else:
            table.add_column(c, justify="right")
    for s in report.sources:
        table.add_row(s.source_id, s.entity, *(f"{v:,}" for v in (
            s.records, s.linked, s.deterministic, s.probabilistic, s.reviewer, s.review,
            s.unmatched, s.linked_this_run)))  # fmt: skip
    console.print(table)
    console.print(
        f"{report.residue:,} person records scored by Splink"
        f"{' (model trained)' if report.trained else ''}; {report.seconds:.1f} s"
    )


@app.command("run")
def run(
    left: Path = typer.Option(..., "--left", help="Left file (CSV or Parquet)."),
    right: Path = typer.Option(..., "--right", help="Right file, e.g. the register."),
    config: Path = typer.Option(..., "--config", help="link.yaml (see docs/linking.md)."),
    out: Path = typer.Option(..., "--out", help="Pairs out: .csv or .parquet."),
) -> None:
    """Link two person data sets; write pairs with match probabilities."""
    from ndc.link.engine_files import link_files

    try:
        with make_console().status(f"linking {left.name} to {right.name}"):
            report = link_files(left, right, load_config(config), out)
    except LinkConfigError as err:
        _fail(str(err))
        return
    console = make_console()
    console.print(
        f"{report.left_rows:,} x {report.right_rows:,} records: {report.linked:,} linked "
        f"({report.deterministic:,} deterministic), {report.review:,} to review, "
        f"{report.residue:,} scored by Splink; {report.pairs:,} pairs written to {out} "
        f"in {report.seconds:.1f} s"
    )


@app.command("sources")
def sources(
    source: list[str] = typer.Option(None, "--source", "-s", help="Only these sources."),
    config: Path = typer.Option(None, "--config", help="Thresholds and training (optional)."),
    retrain: bool = typer.Option(False, help="Train a new Splink model instead of reusing."),
) -> None:
    """Link every source's records to the population and enterprise registers."""
    from ndc.link.national import LinkError, link_sources

    settings = get_settings()
    console = make_console()
    try:
        with console.status("linking records to the registers (deterministic, then Splink)"):
            report = link_sources(
                settings.data_dir, source or None, config=load_config(config), retrain=retrain
            )
    except (LinkError, LinkConfigError) as err:
        _fail(str(err))
        return
    print_link_report(report, make_console())


@review_app.command("list")
def list_(
    source: str = typer.Option(None, "--source", "-s"),
    entity: str = typer.Option(None, "--entity"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """Records waiting for a reviewer, with their best candidates."""
    from ndc.link.review import review_queue

    items = review_queue(get_settings().data_dir, source, entity, limit)
    table = Table(title=f"Review queue ({len(items)} shown)")
    for c in ("source", "record", "entity", "candidates (target: probability)"):
        table.add_column(c)
    for it in items:
        cands = ", ".join(f"{c.target_id}: {c.match_probability:.3f}" for c in it.candidates)
        table.add_row(it.source_id, it.record_key, it.entity, cands or "-")
    make_console().print(table)


@review_app.command("decide")
def decide(
    source: str = typer.Argument(..., help="Source id of the record."),
    record_key: str = typer.Argument(..., help="Record key in that source."),
    target: str = typer.Option(..., "--target", help="Register id (CCCD or MST)."),
    decision: str = typer.Option(..., "--decision", help=" | ".join(DECISIONS)),
    reviewer: str = typer.Option(..., "--reviewer"),
    entity: str = typer.Option("person", "--entity"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """Record a decision; later linking runs respect it."""
    from ndc.link.review import ReviewError, record_decision

    try:
        d = record_decision(
            get_settings().data_dir, source, record_key, decision, target, reviewer, entity, note
        )
    except ReviewError as err:
        _fail(str(err))
        return
    make_console().print(f"recorded: {d.source_id}/{d.record_key} {d.decision} {d.target_id}")
