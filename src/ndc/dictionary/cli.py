"""``ndc dictionary``: browse the shared data dictionary and code lists, check identifiers.

Thin: every command calls :mod:`ndc.dictionary.service` or :mod:`ndc.dictionary.codelists`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from ndc.console import make_console
from ndc.dictionary import service
from ndc.dictionary.codelists import code_list, code_list_names
from ndc.dictionary.exceptions import DictionaryError
from ndc.dictionary.schemas import IdentifierCheck

app = typer.Typer(
    help="Shared data dictionary: entities, fields, master sources, code lists, identifiers.",
    no_args_is_help=True,
)
console = make_console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(code=2)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("entities")
def entities_cmd(as_json: JsonOpt = False) -> None:
    """List the entities with their field counts and master sources."""
    rows = service.entity_summaries()
    if as_json:
        _print_json([asdict(r) for r in rows])
        return
    table = Table(title="Data dictionary entities")
    for col in ("entity", "label", "fields", "required", "sensitive", "master", "also from"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.name,
            f"{r.label_vi}\n[dim]{r.label_en}[/dim]",
            str(r.fields),
            str(r.required),
            str(r.sensitive),
            r.master_source,
            ", ".join(r.other_masters),
        )
    console.print(table)


@app.command("show")
def show_cmd(
    entity: Annotated[str, typer.Argument(help="Entity name, e.g. person.")],
    as_json: JsonOpt = False,
) -> None:
    """Show the fields of an entity."""
    try:
        ent = service.entity(entity)
        src = service.master_source_of(entity)
    except DictionaryError as exc:
        raise _fail(exc) from None
    if as_json:
        _print_json(ent.model_dump(mode="json"))
        return
    console.print(f"[bold]{ent.name}[/bold] — {ent.label_vi} / {ent.label_en}")
    console.print(ent.definition_en, style="dim")
    console.print(f"master: [bold]{src.code}[/bold] ({src.name_en}; {src.owner_en})\n")
    table = Table()
    for col in ("field", "label", "type", "pattern / code list", "req", "sensitivity", "master"):
        table.add_column(col, overflow="fold")
    colours = {"sensitive": "red", "basic": "yellow", "none": "green"}
    for f in ent.fields:
        fmt = f"code list: {f.code_list}" if f.code_list else (f.pattern or f.format or "")
        if f.check:
            fmt += f" ({f.check} check)"
        key = " [bold](key)[/bold]" if f.name == ent.primary_key else ""
        table.add_row(
            f.name + key,
            f"{f.label_vi}\n[dim]{f.label_en}[/dim]",
            f.type + (" (partial)" if f.partial else ""),
            fmt,
            "yes" if f.required else "",
            f"[{colours[f.sensitivity]}]{f.sensitivity}[/]",
            f.master_source,
        )
    console.print(table)


@app.command("codelists")
def codelists_cmd(as_json: JsonOpt = False) -> None:
    """List the code lists with their sizes."""
    lists = [code_list(n) for n in code_list_names()]
    if as_json:
        _print_json([{"name": c.name, "label_en": c.label_en, "size": len(c)} for c in lists])
        return
    table = Table(title="Code lists")
    for col in ("name", "label", "size", "parent list"):
        table.add_column(col)
    for c in lists:
        table.add_row(
            c.name, f"{c.label_vi}\n[dim]{c.label_en}[/dim]", str(len(c)), c.parent_list or ""
        )
    console.print(table)


@app.command("codes")
def codes_cmd(
    name: Annotated[str, typer.Argument(help="Code list name, e.g. ethnicity.")],
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", help="Code or label text; accents are optional."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many rows (0: all).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Look up a code list, optionally searching by code or (accent-insensitive) label."""
    try:
        cl = code_list(name)
    except DictionaryError as exc:
        raise _fail(exc) from None
    items = cl.search(search) if search else list(cl)
    shown = items if limit <= 0 else items[:limit]
    if as_json:
        _print_json(
            [
                {
                    "code": i.code,
                    "label_vi": i.label_vi,
                    "label_en": i.label_en,
                    "parent": i.parent,
                    **dict(i.attrs),
                }
                for i in shown
            ]
        )
        return
    table = Table(title=f"{cl.name}: {cl.label_vi} / {cl.label_en}")
    for col in ("code", "label (vi)", "label (en)", "parent"):
        table.add_column(col, overflow="fold")
    for i in shown:
        table.add_row(i.code, i.label_vi, i.label_en, i.parent or "")
    console.print(table)
    console.print(f"[dim]source: {cl.source}[/dim]", highlight=False)
    if len(shown) < len(items):
        console.print(f"[dim]{len(items) - len(shown)} more; use --limit 0 to see all[/dim]")
    if not items:
        console.print("[yellow]no match[/yellow]")
        raise typer.Exit(code=1)


@app.command("check-id")
def check_id_cmd(
    kind: Annotated[IdentifierCheck, typer.Argument(help="cccd, cmnd, mst or phone.")],
    value: Annotated[str, typer.Argument(help="The identifier to check.")],
    dob: Annotated[
        str | None, typer.Option("--dob", help="Date of birth YYYY-MM-DD (CCCD cross-check).")
    ] = None,
    sex: Annotated[
        str | None, typer.Option("--sex", help="Sex code 1 (male) or 2 (female) (CCCD check).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate an identifier and print its reason codes; exit code 1 when invalid."""
    try:
        birth = date.fromisoformat(dob) if dob else None
    except ValueError:
        raise _fail(ValueError(f"--dob must be YYYY-MM-DD, got {dob!r}")) from None
    if sex is not None and sex not in ("1", "2"):
        raise _fail(ValueError("--sex must be 1 (male) or 2 (female)"))
    result = service.check_identifier(kind, value, birth, sex)
    if as_json:
        _print_json(
            {
                "kind": str(result.kind),
                "value": result.value,
                "valid": result.valid,
                "errors": list(result.errors),
                "normalized": result.normalized,
                **dict(result.details),
            }
        )
    else:
        verdict = "[green]valid[/green]" if result.valid else "[red]invalid[/red]"
        console.print(f"{result.kind} {result.value}: {verdict}", highlight=False)
        for code in result.errors:
            console.print(f"  reason: {code}", highlight=False)
        if result.normalized and result.normalized != result.value:
            console.print(f"  normalized: {result.normalized}", highlight=False)
        for key, val in result.details:
            console.print(f"  {key}: {val}", highlight=False)
    if not result.valid:
        raise typer.Exit(code=1)
