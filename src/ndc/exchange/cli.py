"""``ndc members``: register members and their client systems; issue, list and revoke keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ndc.console import make_console
from ndc.exchange import service
from ndc.exchange.commands import run_command
from ndc.exchange.schemas import IssuedKey, KeyAlgorithm, MemberKind

app = typer.Typer(help="Member organisations, client systems and their keys.", no_args_is_help=True)
client_app = typer.Typer(help="Client systems of a member.", no_args_is_help=True)
key_app = typer.Typer(help="Client keys: issue, register, revoke.", no_args_is_help=True)
app.add_typer(client_app, name="client")
app.add_typer(key_app, name="key")
console = make_console()
T = TypeVar("T")


def _run(action: Callable[[Session], T]) -> T:
    return run_command(action, console)


@app.command("add")
def add_member(
    code: Annotated[str, typer.Argument(help="Short stable code, e.g. BHXH.")],
    name_vi: Annotated[str, typer.Option(help="Vietnamese name.")],
    name_en: Annotated[str, typer.Option(help="English name.")],
    kind: Annotated[MemberKind, typer.Option(help="Kind of organisation.")],
) -> None:
    """Register a member organisation."""
    m = _run(lambda s: service.register_member(s, code, name_vi, name_en, kind))
    console.print(f"member [bold]{m.code}[/bold] registered ({m.kind.value})")


@app.command("list")
def list_members() -> None:
    """List member organisations."""
    table = Table("code", "kind", "name (vi)", "name (en)", "active")
    for m in _run(service.list_members):
        table.add_row(m.code, m.kind.value, m.name_vi, m.name_en, "yes" if m.active else "no")
    console.print(table)


@client_app.command("add")
def add_client(
    member: Annotated[str, typer.Argument(help="Member code.")],
    code: Annotated[str, typer.Argument(help="Client code within the member, e.g. claims.")],
    name: Annotated[str, typer.Option(help="Human-readable name of the system.")],
) -> None:
    """Register a client system; its id (member/code) is the tokens' issuer."""
    c = _run(lambda s: service.register_client(s, member, code, name))
    console.print(f"client [bold]{c.id}[/bold] registered")


@client_app.command("list")
def list_clients(
    member: Annotated[str | None, typer.Option(help="Only this member's clients.")] = None,
) -> None:
    """List client systems."""
    table = Table("client id", "member", "name", "active")
    for c in _run(lambda s: service.list_clients(s, member)):
        table.add_row(c.id, c.member_code, c.name, "yes" if c.active else "no")
    console.print(table)


def _write_private(path: Path, pem: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(pem)


@key_app.command("new")
def new_key(
    client: Annotated[str, typer.Argument(help="Client id (member/code).")],
    public_key: Annotated[
        Path | None,
        typer.Option(help="Register this public key PEM; the private key stays with you."),
    ] = None,
    algorithm: Annotated[KeyAlgorithm, typer.Option(help="For a generated pair.")] = (
        KeyAlgorithm.EDDSA
    ),
    out: Annotated[
        Path | None, typer.Option(help="Write the generated private key here (mode 0600).")
    ] = None,
) -> None:
    """Add a key to a client (old keys stay valid until revoked: this is how keys rotate)."""
    if public_key is None and out is not None and out.exists():
        console.print(f"[red]{out} exists; refusing to overwrite a key[/red]")
        raise typer.Exit(1)
    pem = public_key.read_text(encoding="ascii") if public_key else None
    result = _run(lambda s: service.rotate(s, client, pem, algorithm))
    if isinstance(result, IssuedKey):
        if out is not None:
            _write_private(out, result.private_key_pem)
            console.print(f"private key written to {out} (shown once, not stored by NDC)")
        else:
            typer.echo(result.private_key_pem, nl=False)
        key = result.key
    else:
        key = result
    console.print(f"key id (kid): [bold]{key.kid}[/bold] ({key.algorithm.value})")


@key_app.command("revoke")
def revoke(kid: Annotated[str, typer.Argument(help="Key id to revoke.")]) -> None:
    """Revoke a key; tokens signed with it are refused from now on."""
    k = _run(lambda s: service.revoke_key(s, kid))
    console.print(f"key {k.kid} of {k.client_id} revoked at {k.revoked_at:%Y-%m-%d %H:%M:%S}")


@key_app.command("list")
def list_keys(
    client: Annotated[str | None, typer.Argument(help="Only this client's keys.")] = None,
) -> None:
    """List keys with their state."""
    table = Table("kid", "client", "alg", "created", "revoked")
    for k in _run(lambda s: service.list_keys(s, client)):
        revoked = f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-"
        table.add_row(k.kid, k.client_id, k.algorithm.value, f"{k.created_at:%Y-%m-%d %H:%M}",
                      revoked)  # fmt: skip
    console.print(table)
