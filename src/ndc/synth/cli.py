"""``ndc synth``: a thin command over :func:`ndc.synth.generate`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ndc.console import make_console
from ndc.settings import get_settings
from ndc.synth.config import FAULT_TYPES, SynthConfig, SynthSummary, load_fault_file
from ndc.synth.generate import generate


def _parse_rates(items: list[str]) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected NAME=RATE, got {item!r}")
        try:
            rates[name.strip()] = float(value)
        except ValueError as exc:
            raise typer.BadParameter(f"rate of {name!r} is not a number: {value!r}") from exc
    return rates


def summary_table(summary: SynthSummary) -> Table:
    table = Table(title=f"Synthetic data in {summary.out} (seed {summary.seed})")
    for col in ("source", "format", "encoding", "rows", "faults"):
        table.add_column(col, justify="right" if col in ("rows", "faults") else "left")
    table.add_row("population register", "parquet", "", f"{summary.citizens:,}", "0")
    table.add_row("enterprise register", "parquet", "", f"{summary.enterprises:,}", "0")
    for s in summary.sources:
        enc = s.encoding or ""
        if s.delimiter:
            enc += f" ({s.delimiter!r})"
        table.add_row(s.name, s.format, enc, f"{s.rows:,}", f"{s.faults_total:,}")
    table.add_row("ground truth", "parquet", "", f"{summary.truth_rows:,}", "")
    return table


def synth(
    citizens: int = typer.Option(
        None, "--citizens", "-n", help="People in the register (default: NDC_DEMO_CITIZENS)."
    ),
    seed: int = typer.Option(None, "--seed", "-s", help="Random seed (default: NDC_SEED)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output directory (default: <data dir>/synth)."
    ),
    pg_url: str | None = typer.Option(
        None, "--pg-url", help="Also write the SQL-served source into this PostgreSQL database."
    ),
    faults: Path | None = typer.Option(
        None, "--faults", exists=True, dir_okay=False, help="YAML file of fault rates."
    ),
    fault_rate: list[str] = typer.Option(
        [], "--fault-rate", "-f", help=f"NAME=RATE, repeatable. Names: {', '.join(FAULT_TYPES)}."
    ),
    fault_scale: float = typer.Option(
        1.0, "--fault-scale", min=0.0, help="Multiply every fault rate (0 = clean data)."
    ),
) -> None:
    """Generate a reproducible synthetic national data set with ground truth."""
    settings = get_settings()
    config = SynthConfig(
        citizens=citizens if citizens is not None else settings.demo_citizens,
        seed=seed if seed is not None else settings.seed,
        out=out if out is not None else settings.data_dir / "synth",
        pg_url=pg_url,
    )
    overrides = load_fault_file(faults) if faults else {}
    overrides.update(_parse_rates(fault_rate))
    try:
        config = config.with_faults(overrides)
        if fault_scale != 1.0:
            config = config.with_faults(
                {k: min(0.5, v * fault_scale) for k, v in config.faults.items()}
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console = make_console()
    summary = generate_with_progress(config, console)
    print_summary(summary, console)


def generate_with_progress(config: SynthConfig, console: Console) -> SynthSummary:
    """Generate with a progress bar (shared by ``ndc synth`` and ``ndc demo``)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("generating", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        return generate(config, progress=progress)


def print_summary(summary: SynthSummary, console: Console) -> None:
    console.print(summary_table(summary))
    console.print(f"done in {summary.seconds:.1f} s; manifest: {summary.out / 'manifest.json'}")
