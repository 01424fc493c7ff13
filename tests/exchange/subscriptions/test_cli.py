"""``ndc subscriptions``: list, dispatch once, see deliveries, replay the failed ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from tests.golden.conftest import AN, MST
from typer.testing import CliRunner

from ndc.exchange import issue_key, open_store, register_client, register_member
from ndc.exchange.policy import create_tables as policy_tables
from ndc.exchange.policy import grant_rule
from ndc.exchange.subscriptions import (
    Delivery,
    SubscriptionIn,
    create_subscription,
    create_tables,
    deliver_due,
    list_deliveries,
    new_http_client,
)
from ndc.exchange.subscriptions.cli import app
from ndc.settings import get_settings

from .conftest import Receiver, add_events

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NDC_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = open_store(get_settings())
    create_tables(engine)
    policy_tables(engine)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_dispatch_once_then_replay_failed_deliveries(store: Engine, receiver: Receiver) -> None:
    with Session(store) as s, s.begin():
        register_member(s, "BHXH", "Bảo hiểm xã hội", "Social Security", "public_body")
        register_client(s, "BHXH", "claims", "Claims")
        issue_key(s, "BHXH/claims")
        grant_rule(s, dataset="person", client_id="BHXH/claims", fields=["full_name"],
                   purposes=["social-insurance"], legal_basis="Nghị định 278/2025/NĐ-CP",
                   valid_from=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
        people = create_subscription(s, "BHXH/claims", SubscriptionIn(
            dataset="person", callback_url=receiver.url), "social-insurance")  # fmt: skip
        firms = create_subscription(s, "BHXH/claims", SubscriptionIn(
            dataset="enterprise", callback_url=receiver.url), "social-insurance")  # fmt: skip
    receiver.secrets.append(people.secret)
    add_events(store, ("person", AN, "created", None), ("enterprise", MST, "created", None))
    receiver.stop()

    out = _ok("dispatch-once")
    assert "2 change events read, 1 deliveries queued" in out  # no entitlement to enterprises
    assert "1 sent: 0 delivered, 1 to retry" in out
    listed = _ok("list")
    assert people.id in listed and "not-entitled:no-entitlement" in listed and firms.id in listed
    out = _ok("deliveries", people.id, "--status", "pending")
    assert "ConnectError" in out

    with new_http_client() as http:  # three days on, the worker gives up
        deliver_due(store, http, datetime.now(UTC) + timedelta(days=3, seconds=1))
    assert "failed" in _ok("deliveries", people.id)
    assert runner.invoke(app, ["redeliver", people.id]).exit_code == 2
    assert "1 deliveries queued again" in _ok("redeliver", people.id, "--all-failed")
    receiver.start()
    assert "1 sent: 1 delivered" in _ok("dispatch-once")
    assert [p["subject"] for p in receiver.processed] == [AN]
    assert runner.invoke(app, ["deliveries", "sub_unknown"]).exit_code == 1

    add_events(store, ("person", AN, "updated", ["full_name"]))
    receiver.stop()
    assert "1 to retry" in _ok("dispatch-once")
    assert "0 deliveries older than 30 days deleted" in _ok("purge")
    with Session(store) as s, s.begin():  # the delivered one, queued 31 days ago
        s.execute(update(Delivery).where(Delivery.status == "delivered")
                  .values(queued_at=datetime.now(UTC) - timedelta(days=31)))  # fmt: skip
    assert "1 deliveries older than 30 days deleted" in _ok("purge")
    with Session(store) as s:
        assert [d.status for d in list_deliveries(s, None, people.id)] == ["pending"]
