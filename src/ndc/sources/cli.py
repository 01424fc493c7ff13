"""``ndc sources``: list, show and check the onboarded agency databases."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table

from ndc.console import make_console
from ndc.settings import get_settings
from ndc.sources.exceptions import SourceConfigError
from ndc.sources.schemas import SourceConfig
from ndc.sources.service import check_source, get_config, load_configs

app = typer.Typer(help="Agency sources (nguồn dữ liệu): configs, connections, checks.")


def configs_or_exit(data_dir: Path) -> list[SourceConfig]:
    """Every source config, or a clear message naming the broken file (no traceback)."""
    try:
        return load_configs(data_dir)
    except SourceConfigError as exc:
        make_console(stderr=True).print(f"[red]invalid source config:[/] {exc}")
        raise typer.Exit(2) from exc


@app.command("list")
def list_sources() -> None:
    """Every onboarded source with its owner, entity, format and sync mode."""
    table = Table(title="Sources (nguồn dữ liệu)")
    for col in ("id", "owner", "entity", "connection", "sync", "freshness"):
        table.add_column(col)
    for cfg in configs_or_exit(get_settings().data_dir):
        conn = cfg.connection
        where = (
            f"{conn.format}: {conn.path}"
            if conn.kind == "file"
            else f"sql: {conn.table or 'query'}"
        )
        fresh = str(cfg.freshness.max_age) if cfg.freshness else "-"
        table.add_row(cfg.id, cfg.owner.name_vi, cfg.entity, where, cfg.sync.mode, fresh)
    make_console().print(table)


@app.command("show")
def show(source_id: str) -> None:
    """The source's configuration, as loaded and validated."""
    try:
        cfg = get_config(get_settings().data_dir, source_id)
    except SourceConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    data = cfg.model_dump(mode="json", exclude_defaults=False)
    make_console().print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@app.command("check")
def check(source_id: list[str] | None = typer.Argument(None)) -> None:
    """Check configs against the dictionary and that each source can be reached."""
    settings = get_settings()
    console = make_console()
    failed = False
    for cfg in configs_or_exit(settings.data_dir):
        if source_id and cfg.id not in source_id:
            continue
        result = check_source(cfg, settings.data_dir)
        mark = "[green]ok" if result.ok else "[red]problem"
        console.print(f"{mark}[/] {cfg.id}: " + "; ".join(result.problems + result.notes))
        failed |= not result.ok
    if failed:
        raise typer.Exit(1)
