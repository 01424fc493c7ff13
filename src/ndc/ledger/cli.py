"""``ndc ledger``: keys, integration, checkpoints, proofs, witnesses and verification."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ndc.console import make_console
from ndc.ledger.exceptions import LedgerError
from ndc.ledger.keys import DEFAULT_ORIGIN, add_witness, init_keys
from ndc.ledger.merkle import verify_consistency
from ndc.ledger.note import ALG_COSIGNATURE_V1, NoteError, Signer, open_checkpoint, parse_note
from ndc.ledger.schemas import AccessEvent
from ndc.ledger.service import Ledger
from ndc.settings import get_settings

app = typer.Typer(help="Tamper-evident transparency log of every access.", no_args_is_help=True)
witness_app = typer.Typer(help="Witness (cosigner) keys and cosigning.", no_args_is_help=True)
app.add_typer(witness_app, name="witness")
console = make_console()


def _ledger() -> Ledger:
    try:
        return Ledger(get_settings())
    except LedgerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def init(
    origin: Annotated[str, typer.Option(help="Log origin and key name.")] = DEFAULT_ORIGIN,
) -> None:
    """Create the log signing key and the pseudonym key in <data_dir>/ledger/ (mode 0600)."""
    try:
        log_path, pseudo_path = init_keys(get_settings(), origin)
    except LedgerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    lg = _ledger()
    console.print(f"log key: {log_path}\npseudonym key: {pseudo_path}")
    console.print(f"public key (publish it): [bold]{lg.keys.verifier.vkey}[/bold]")


@app.command()
def append(
    action: Annotated[str, typer.Option(help="scope:resource:action")],
    member: Annotated[str, typer.Option(help="Agency code of the actor.")],
    client: Annotated[str, typer.Option(help="Client system of the actor.")],
    purpose: Annotated[str, typer.Option()],
    legal_basis: Annotated[str | None, typer.Option()] = None,
    consent_ref: Annotated[str | None, typer.Option()] = None,
    subject_id: Annotated[str | None, typer.Option(help="Pseudonymised before logging.")] = None,
    field: Annotated[
        list[str] | None, typer.Option(help="Field name accessed (repeatable).")
    ] = None,
    deny: Annotated[bool, typer.Option(help="Record a denied access.")] = False,
) -> None:
    """Append one access event and integrate it now."""
    lg = _ledger()
    event = AccessEvent(
        action=action, actor_member=member, actor_client=client, purpose=purpose,
        legal_basis=legal_basis, consent_ref=consent_ref,
        subject_ref=lg.subject_ref(subject_id) if subject_id else None,
        fields=tuple(field or ()), decision="deny" if deny else "permit",
    )  # fmt: skip
    queue_id = lg.append(event)
    lg.integrate()
    console.print(f"queued as {queue_id}, integrated as entry {lg.seq_of(queue_id)}")


@app.command()
def integrate() -> None:
    """Integrate every pending entry now (the server's sequencer does this continuously)."""
    lg = _ledger()
    with console.status(f"integrating {lg.pending()} pending entries"):
        n = lg.integrate()
    console.print(f"integrated {n} entries; tree size {lg.size}")


@app.command()
def checkpoint() -> None:
    """Print the latest signed checkpoint."""
    typer.echo(_ledger().checkpoint().note, nl=False)


@app.command()
def stats() -> None:
    """Size, queue, tiles and the log's public key."""
    table = Table(title="Ledger", show_header=False)
    for key, value in _ledger().stats().items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def proof(
    index: Annotated[int | None, typer.Option(help="Entry for an inclusion proof.")] = None,
    first: Annotated[int | None, typer.Option(help="Older size for a consistency proof.")] = None,
    size: Annotated[int | None, typer.Option(help="Tree size (default: latest).")] = None,
) -> None:
    """Print an inclusion or consistency proof (base64 hashes)."""
    lg = _ledger()
    try:
        if index is not None:
            leaf, path, root = lg.inclusion_proof(index, size)
            lines = [f"leaf {base64.b64encode(leaf).decode()}"]
        elif first is not None:
            path, _r1, root = lg.consistency_proof(first, size)
            lines = []
        else:
            raise typer.BadParameter("give --index or --first")
    except LedgerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    lines += [f"root {base64.b64encode(root).decode()}"]
    lines += [base64.b64encode(p).decode() for p in path]
    typer.echo("\n".join(lines))


@app.command()
def verify(
    known: Annotated[
        Path | None, typer.Option(help="Checkpoints seen before (concatenated notes).")
    ] = None,
    save: Annotated[Path | None, typer.Option(help="Append the latest checkpoint here.")] = None,
) -> None:
    """Recompute the tree from stored entries; check tiles, signatures and consistency."""
    from ndc.ledger.verify import verify as run_verify

    lg = _ledger()
    notes = _split_notes(known.read_text()) if known and known.exists() else []
    with Progress(
        TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("entries", total=lg.size)
        report = run_verify(
            lg, notes, progress=lambda done, total: bar.update(task, completed=done)
        )
    table = Table(title="Ledger verification", show_header=False)
    for key in ("size", "root_hash", "entries", "tiles", "checkpoints", "cosignatures"):
        table.add_row(key, str(getattr(report, key)))
    table.add_row(
        "result",
        "[green]OK[/green]" if report.ok else f"[red]{len(report.problems)} problems[/red]",
    )
    console.print(table)
    for p in report.problems:
        console.print(f"[red]✗[/red] {p}")
    if not report.ok:
        raise typer.Exit(1)
    if save:
        with save.open("a") as fh:
            fh.write(lg.checkpoint().note + "\n")


def _split_notes(text: str) -> list[str]:
    """Checkpoint notes concatenated in a file, each ending with its signature lines."""
    notes: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.strip() == "" and current and current[-1].startswith("\u2014"):
            notes.append("".join(current))
            current = []
            continue
        current.append(line)
    if current:
        notes.append("".join(current))
    return notes


@witness_app.command("keygen")
def witness_keygen(
    name: Annotated[str, typer.Argument(help="Witness name, e.g. witness.bca.gov.vn/w1")],
    out: Annotated[Path, typer.Option(help="Private key file to create.")],
) -> None:
    """Create a witness cosigning key (held by another agency) and print its public vkey."""
    signer = Signer(name, secrets.token_bytes(32), ALG_COSIGNATURE_V1)
    out.write_text(signer.skey + "\n")
    out.chmod(0o600)
    typer.echo(signer.verifier.vkey)


@witness_app.command("add")
def witness_add(vkey: Annotated[str, typer.Argument(help="The witness's public vkey.")]) -> None:
    """Trust a witness key: its cosignatures are then verified and served."""
    v = add_witness(get_settings(), vkey)
    console.print(f"trusted witness {v.name} ({v.key_id.hex()})")


@witness_app.command("cosign")
def witness_cosign(
    key: Annotated[Path, typer.Option(help="The witness's private key file.")],
    state: Annotated[Path, typer.Option(help="The witness's last cosigned checkpoint.")],
) -> None:
    """Act as a witness: check the latest checkpoint is consistent with the last one, cosign it."""
    lg = _ledger()
    signer = Signer.parse(key.read_text())
    latest = lg.checkpoint()
    try:
        cp, _ = open_checkpoint(latest.note, lg.keys.verifier)
        if state.exists():
            old, _ = open_checkpoint(state.read_text(), lg.keys.verifier)
            proof, _r1, _r2 = lg.consistency_proof(old.size, cp.size)
            if not verify_consistency(old.size, cp.size, proof, old.root_hash, cp.root_hash):
                console.print(f"[red]checkpoint {cp.size} is NOT consistent with {old.size}[/red]")
                raise typer.Exit(1)
    except (NoteError, LedgerError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    line = signer.cosign_line(parse_note(latest.note).text)
    lg.add_cosignature(cp.size, line)
    state.write_text(latest.note)
    console.print(f"cosigned checkpoint of size {cp.size} as {signer.name}")
