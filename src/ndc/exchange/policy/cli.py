"""``ndc catalogue`` (sharing rules) and ``ndc consent`` (citizen consents) for operators.

Times without an offset are Vietnam time (UTC+07:00), the way officials write them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ndc.console import make_console
from ndc.exchange.commands import run_command
from ndc.exchange.policy import catalogue, consent
from ndc.exchange.policy.purposes import Access, Dataset, Purpose
from ndc.exchange.policy.schemas import ConsentOut, ConsentState

catalogue_app = typer.Typer(
    help="Sharing catalogue: who may use which data, for which purposes, on which legal basis.",
    no_args_is_help=True,
)
consent_app = typer.Typer(help="Citizen consents: list, show, approve, reject, revoke.",
                          no_args_is_help=True)  # fmt: skip
console = make_console()
VN = timezone(timedelta(hours=7), "ICT")
T = TypeVar("T")


def _run(action: Callable[[Session], T]) -> T:
    return run_command(action, console)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        console.print(f"[red]{option}: not an ISO date or time: {value!r}[/red]")
        raise typer.Exit(2) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN)


def _fmt(value: datetime | None) -> str:
    return "-" if value is None else f"{value.astimezone(VN):%Y-%m-%d %H:%M}"


def _split(values: list[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


# ---- catalogue ---------------------------------------------------------------------------------


@catalogue_app.command("grant")
def grant(
    dataset: Annotated[Dataset, typer.Argument(help="Dataset code.")],
    fields: Annotated[list[str], typer.Option("--field", "-f", help="Field(s); repeat or a,b.")],
    purposes: Annotated[list[Purpose], typer.Option("--purpose", "-p", help="Purpose code(s).")],
    legal_basis: Annotated[str, typer.Option(help="e.g. 'Nghị định 278/2025/NĐ-CP, Điều 10'.")],
    client: Annotated[str | None, typer.Option(help="Client id (member/code).")] = None,
    member: Annotated[str | None, typer.Option(help="Member code: all its clients.")] = None,
    access: Annotated[Access, typer.Option(help="read (values) or verify (match only).")] = (
        Access.READ
    ),
    valid_from: Annotated[str | None, typer.Option(help="ISO time; default now.")] = None,
    valid_until: Annotated[str | None, typer.Option(help="ISO time; default open-ended.")] = None,
    covert: Annotated[bool, typer.Option(help="Allow covert access (investigations).")] = False,
) -> None:
    """Grant a rule; without one, access is denied."""
    start, end = _when(valid_from, "--valid-from"), _when(valid_until, "--valid-until")
    rule = _run(lambda s: catalogue.grant_rule(
        s, dataset=dataset, fields=_split(fields), purposes=purposes, legal_basis=legal_basis,
        client_id=client, member_code=member, access=access, valid_from=start, valid_until=end,
        covert_allowed=covert,
    ))  # fmt: skip
    who = rule.client_id or f"every client of {rule.member_code}"
    console.print(f"rule [bold]{rule.id}[/bold] granted: {who} may {rule.access.value} "
                  f"{rule.dataset.value}.{{{', '.join(rule.fields)}}}")  # fmt: skip


@catalogue_app.command("revoke")
def revoke(rule_id: Annotated[str, typer.Argument(help="Rule id.")]) -> None:
    """Revoke a rule (decisions stop using it within the cache time, 1 s by default)."""
    rule = _run(lambda s: catalogue.revoke_rule(s, rule_id))
    console.print(f"rule {rule.id} revoked at {_fmt(rule.revoked_at)}")


@catalogue_app.command("list")
def list_rules(
    client: Annotated[str | None, typer.Option(help="Only this client's rules.")] = None,
    member: Annotated[str | None, typer.Option(help="Only this member's rules.")] = None,
    dataset: Annotated[Dataset | None, typer.Option(help="Only this dataset.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include revoked rules.")] = False,
) -> None:
    """List catalogue rules."""
    rules = _run(lambda s: catalogue.list_rules(s, client_id=client, member_code=member,
                                                dataset=dataset, include_revoked=all_))  # fmt: skip
    table = Table("who", "dataset", "access", "fields", "purposes", "legal basis", "valid",
                  "revoked")  # fmt: skip
    table.add_column("id", no_wrap=True)
    for r in rules:
        who = r.client_id or f"{r.member_code} (all)"
        valid = f"{_fmt(r.valid_from)[:10]} → {_fmt(r.valid_until)[:10]}"
        purposes_ = ", ".join(p.value for p in r.purposes) + (" [covert]" * r.covert_allowed)
        table.add_row(who, r.dataset.value, r.access.value, ", ".join(r.fields), purposes_,
                      r.legal_basis, valid, _fmt(r.revoked_at)[:10], r.id)  # fmt: skip
    console.print(table)


# ---- consents ----------------------------------------------------------------------------------


@consent_app.command("list")
def list_consents(
    subject: Annotated[str | None, typer.Option(help="Citizen's CCCD.")] = None,
    requester: Annotated[str | None, typer.Option(help="Requester member code.")] = None,
    state: Annotated[ConsentState | None, typer.Option(help="Only this state.")] = None,
) -> None:
    """List consents, newest first."""
    rows = _run(lambda s: consent.list_consents(s, subject_id=subject, requester=requester,
                                                state=state))  # fmt: skip
    table = Table("subject", "requester", "dataset", "purpose", "state", "valid until",
                  "data life")  # fmt: skip
    table.add_column("id", no_wrap=True)
    for c in rows:
        table.add_row(c.subject_id, c.requester_client or c.requester_member, c.dataset.value,
                      c.purpose.value, c.state.value, _fmt(c.valid_until),
                      f"{c.data_life_days} d", c.id)  # fmt: skip
    console.print(table)


def _show(c: ConsentOut) -> None:
    table = Table("", "", show_header=False)
    for k, v in (
        ("id", c.id), ("subject", c.subject_id),
        ("requester", c.requester_client or f"{c.requester_member} (any client)"),
        ("dataset", f"{c.dataset.value} — {c.dataset_label_vi}"), ("fields", ", ".join(c.fields)),
        ("purpose", f"{c.purpose.value} — {c.purpose_label_vi}"), ("note", c.note or "-"),
        ("valid", f"{_fmt(c.valid_from)} → {_fmt(c.valid_until)}"),
        ("data life", f"{c.data_life_days} days"),
        ("state", f"{c.state.value} — {c.state_label_vi}"), ("requested", _fmt(c.created_at)),
        ("decided", _fmt(c.decided_at)), ("revoked", _fmt(c.revoked_at)),
    ):  # fmt: skip
        table.add_row(k, v)
    console.print(table)


@consent_app.command("show")
def show(consent_id: Annotated[str, typer.Argument(help="Consent id.")]) -> None:
    """Show one consent."""
    _show(_run(lambda s: consent.get_consent(s, consent_id)))


SubjectOpt = Annotated[
    str | None, typer.Option("--subject", help="The citizen's CCCD, checked against the consent.")
]


@consent_app.command("approve")
def approve(consent_id: Annotated[str, typer.Argument()], subject: SubjectOpt = None) -> None:
    """Record the citizen's approval (e.g. given in person at a one-stop counter)."""
    _show(_run(lambda s: consent.approve_consent(s, consent_id, subject_id=subject)))


@consent_app.command("reject")
def reject(consent_id: Annotated[str, typer.Argument()], subject: SubjectOpt = None) -> None:
    """Record the citizen's refusal."""
    _show(_run(lambda s: consent.reject_consent(s, consent_id, subject_id=subject)))


@consent_app.command("revoke")
def revoke_consent(
    consent_id: Annotated[str, typer.Argument()], subject: SubjectOpt = None
) -> None:
    """Record the citizen's withdrawal; effective for the next decision."""
    _show(_run(lambda s: consent.revoke_consent(s, consent_id, subject_id=subject)))
