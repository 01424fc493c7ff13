"""``ndc golden``: build golden records, publish them, show one, list its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from ndc.console import make_console
from ndc.golden.contributions import GOLDEN_ENTITIES
from ndc.golden.exceptions import GoldenError
from ndc.golden.parcels import publish_parcels
from ndc.golden.publish import create_tables, publish
from ndc.golden.readers import get_golden, golden_as_of, history
from ndc.golden.schemas import GoldenRecord
from ndc.golden.service import build_golden
from ndc.settings import get_settings
from ndc.store.engine import create_store_engine

app = typer.Typer(help="Golden records (bản ghi vàng): survivorship, provenance, history, publish.",
                  no_args_is_help=True)  # fmt: skip
console = make_console()
EntityArg = Annotated[str, typer.Argument(help=f"One of: {', '.join(GOLDEN_ENTITIES)}.")]
IdArg = Annotated[str, typer.Argument(help="CCCD of a person, MST of an enterprise.")]


def _entity(entity: str) -> str:
    if entity not in GOLDEN_ENTITIES:
        raise typer.BadParameter(f"unknown entity {entity!r}; one of: {', '.join(GOLDEN_ENTITIES)}")
    return entity


@app.command()
def build(run_id: Annotated[str | None, typer.Option(help="Run id to record.")] = None) -> None:
    """Compute every golden record from the linked std rows (survivorship + history)."""
    try:
        with console.status("survivorship over linked records..."):
            stats = build_golden(get_settings().data_dir, run_id)
    except GoldenError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    counts = ", ".join(f"{n:,} {e}" for e, n in stats.entities.items())
    console.print(
        f"{counts}; {stats.recomputed:,} recomputed from {stats.observations:,} offered values; "
        f"{stats.created_entities:,} new, {stats.removed_entities:,} removed, "
        f"{stats.changed_attributes:,} attribute changes in {stats.seconds:.1f} s"
    )


@app.command("publish")
def publish_cmd(
    run_id: Annotated[str | None, typer.Option(help="Run id to record.")] = None,
) -> None:
    """Write the records, then the land parcels, that changed since the last publish into the
    serving store."""
    settings = get_settings()
    engine = create_store_engine(settings.store_url)
    try:
        with console.status("publishing changed records..."):
            res = publish(settings.data_dir, engine, run_id)
            parcels = publish_parcels(settings.data_dir, engine, res.run_id)
    except GoldenError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    seqs = f" (events {res.first_seq}..{res.last_seq})" if res.events else ""
    console.print(
        f"{res.written:,} written, {res.deleted:,} deleted, {res.unchanged:,} unchanged, "
        f"{res.events:,} events{seqs} in {res.seconds:.1f} s"
    )
    console.print(
        f"land parcels: {parcels.parcels:,} ({parcels.owned:,} with a linked owner); "
        f"{parcels.inserted:,} inserted, {parcels.updated:,} updated, "
        f"{parcels.deleted:,} deleted in {parcels.seconds:.1f} s"
    )


def _print_record(rec: GoldenRecord) -> None:
    table = Table(title=f"{rec.entity} {rec.entity_id} · version {rec.version}")
    for col in ("attribute", "value", "source", "record", "as of", "verified"):
        table.add_column(col)
    for name, attr in rec.attributes.items():
        p = attr.provenance
        as_of = f"{p.as_of:%Y-%m-%d %H:%M}" if p.as_of else ""
        table.add_row(name, attr.value, p.source_id, p.record_key, as_of, "✓" if p.verified else "")
    console.print(table)


@app.command()
def show(
    entity: EntityArg,
    entity_id: IdArg,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="Show the record as published then.")
    ] = None,
) -> None:
    """One published golden record with the provenance of every attribute."""
    entity = _entity(entity)
    engine = create_store_engine(get_settings().store_url)
    try:
        create_tables(engine)
        rec = (
            golden_as_of(engine, entity, entity_id, as_of)
            if as_of
            else get_golden(engine, entity, entity_id)
        )
    finally:
        engine.dispose()
    if rec is None:
        console.print(f"no published {entity} {entity_id}" + (f" at {as_of}" if as_of else ""))
        raise typer.Exit(1)
    _print_record(rec)


@app.command("history")
def history_cmd(entity: EntityArg, entity_id: IdArg) -> None:
    """Every published change of one record: when, which run, which attributes, from what."""
    entity = _entity(entity)
    engine = create_store_engine(get_settings().store_url)
    try:
        create_tables(engine)
        events = history(engine, entity, entity_id)
    finally:
        engine.dispose()
    if not events:
        console.print(f"no published {entity} {entity_id}")
        raise typer.Exit(1)
    table = Table(title=f"history of {entity} {entity_id}")
    for col in ("seq", "version", "when", "run", "change", "from", "attributes (before)"):
        table.add_column(col)
    for ev in events:
        before = ", ".join(f"{k}: {v.value if v else '—'}" for k, v in (ev.previous or {}).items())
        table.add_row(str(ev.seq), str(ev.version), f"{ev.created_at:%Y-%m-%d %H:%M:%S}",
                      ev.run_id, ev.kind, ", ".join(ev.sources), before or "all")  # fmt: skip
    console.print(table)
