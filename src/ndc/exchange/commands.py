"""What every exchange command shares: the store with all exchange tables, one transaction per
command, and refusals printed as one red line with exit code 1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import ExchangeError
from ndc.settings import get_settings

T = TypeVar("T")


@contextmanager
def command_engine() -> Iterator[Engine]:
    """The serving store of the process settings, with every exchange table created."""
    from ndc.exchange.policy import create_tables as policy_tables
    from ndc.exchange.service import open_store
    from ndc.exchange.subscriptions import create_tables as subscription_tables

    engine = open_store(get_settings())
    policy_tables(engine)
    subscription_tables(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def run_command(action: Callable[[Session], T], console: Console) -> T:
    """Run ``action`` in one transaction; an exchange refusal ends the command with exit 1."""
    try:
        with command_engine() as engine, Session(engine) as session, session.begin():
            return action(session)
    except ExchangeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
