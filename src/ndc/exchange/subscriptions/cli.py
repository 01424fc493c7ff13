"""``ndc subscriptions``: see subscriptions and their deliveries, run a dispatch, replay, purge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ndc.console import make_console
from ndc.exchange.commands import command_engine, run_command
from ndc.exchange.subscriptions import service
from ndc.exchange.subscriptions.changes import dispatch
from ndc.exchange.subscriptions.delivery import deliver_due, new_http_client
from ndc.exchange.subscriptions.schemas import DeliveryStatus

app = typer.Typer(help="Change subscriptions: webhooks owed to clients.", no_args_is_help=True)
console = make_console()
T = TypeVar("T")


def _run(action: Callable[[Session], T]) -> T:
    return run_command(action, console)


@app.command("list")
def list_subscriptions(
    client: Annotated[str | None, typer.Option(help="Only this client's subscriptions.")] = None,
) -> None:
    """List live subscriptions (deleted ones are kept in the store, not shown)."""
    table = Table()
    for name in ("id", "client", "dataset", "subjects", "callback", "state", "cursor"):
        table.add_column(name, no_wrap=name != "callback", overflow="fold")
    for s in _run(lambda session: service.list_subscriptions(session, client)):
        subjects = "all" if s.subjects is None else str(len(s.subjects))
        state = "active" if s.active else f"[yellow]{s.inactive_reason}[/yellow]"
        table.add_row(s.id, s.client_id, s.dataset, subjects, s.callback_url, state, str(s.cursor))
    console.print(table)


@app.command("deliveries")
def deliveries(
    subscription: Annotated[str, typer.Argument(help="Subscription id.")],
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """A subscription's deliveries, newest first."""
    rows = _run(lambda s: service.list_deliveries(s, None, subscription, status, limit))
    table = Table()
    for name in ("delivery id", "seq", "change", "subject", "status", "tries", "last", "next"):
        table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=4)
    for d in rows:
        last = (d.last_error or "-").split(":")[0]  # "HTTP 503", "ConnectError", ...
        nxt = f"{d.next_attempt_at:%Y-%m-%d %H:%M:%S}" if d.status == "pending" else "-"
        change = d.notice.type.rsplit(".", 1)[-1]
        table.add_row(d.id, str(d.seq), change, d.notice.subject, d.status.value,
                      str(d.attempts), last[:24], nxt)  # fmt: skip
    console.print(table)


@app.command("dispatch-once")
def dispatch_once(
    deliver: Annotated[bool, typer.Option(help="Also send the deliveries that are due.")] = True,
) -> None:
    """Turn new change events into deliveries (and send what is due) once, then exit."""
    from ndc.exchange.policy import PolicyEngine

    with command_engine() as engine:
        d = dispatch(engine, policy=PolicyEngine(engine))
        console.print(f"{d.events} change events read, {d.deliveries} deliveries queued")
        if deliver:
            with new_http_client() as http:
                r = deliver_due(engine, http)
            console.print(f"{r.attempted} sent: {r.delivered} delivered, {r.retrying} to retry, "
                          f"{r.failed} given up, {r.deactivated} subscriptions gone")  # fmt: skip


@app.command("redeliver")
def redeliver(
    subscription: Annotated[str, typer.Argument(help="Subscription id.")],
    delivery: Annotated[
        list[str] | None, typer.Argument(help="Delivery ids (default: --all-failed).")
    ] = None,
    all_failed: Annotated[bool, typer.Option(help="Every failed delivery.")] = False,
) -> None:
    """Queue deliveries again, due now, with the same webhook-id."""
    if not delivery and not all_failed:
        console.print("[red]name delivery ids or pass --all-failed[/red]")
        raise typer.Exit(2)

    def requeue(s: Session) -> int:
        ids = list(delivery or [])
        if all_failed:
            failed = service.list_deliveries(s, None, subscription, DeliveryStatus.FAILED, 10_000)
            ids += [d.id for d in failed]
        for delivery_id in dict.fromkeys(ids):
            service.redeliver(s, None, subscription, delivery_id)
        return len(set(ids))

    console.print(f"{_run(requeue)} deliveries queued again")


@app.command("purge")
def purge(
    days: Annotated[int, typer.Option(min=1, help="Keep deliveries of the last N days.")] = 30,
) -> None:
    """Delete delivered and failed deliveries older than N days (pending ones stay)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    n = _run(lambda s: service.purge_deliveries(s, cutoff))
    console.print(f"{n} deliveries older than {days} days deleted")
