"""The minimised notice of one change event, shared by webhooks and the pull feed.

A notice names the record and the *names* of the changed attributes, never their values: the
client fetches values through the records API, where every read is checked and logged.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from ndc.exchange.subscriptions.schemas import ChangeNotice

# Columns of change_events a notice is made from, in this order.
EVENT_COLUMNS = ("seq", "entity", "entity_id", "version", "kind", "attributes", "created_at")


def _base(attribute: str) -> str:
    """``date_of_birth__precision`` is part of ``date_of_birth``."""
    return attribute.split("__", 1)[0]


def build_notice(
    event: Any,
    notice_id: str,
    subscription_id: str | None,
    allowed: Collection[str] | None,
) -> ChangeNotice | None:
    """The notice of ``event`` (a change_events row), or ``None`` when it is an update of none of
    the ``allowed`` attributes (``None``: any attribute)."""
    names: list[str] | None = None
    if event.attributes is not None:
        changed: list[str] = json.loads(event.attributes)
        names = sorted(a for a in changed if allowed is None or _base(a) in allowed)
        if event.kind == "updated" and not names:
            return None
    occurred: datetime = event.created_at
    return ChangeNotice(
        id=notice_id,
        type=f"golden.{event.entity}.{event.kind}",
        subscription_id=subscription_id,
        seq=event.seq,
        dataset=event.entity,
        subject=event.entity_id,
        version=event.version,
        attributes=names,
        occurred_at=occurred.replace(tzinfo=UTC) if occurred.tzinfo is None else occurred,
    )


def notice_from_payload(payload: str) -> ChangeNotice:
    return ChangeNotice.model_validate_json(payload)
