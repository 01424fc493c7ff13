"""Ledger fixtures on top of the shared ``store_url`` (SQLite and PostgreSQL) fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ndc.ledger.schemas import AccessEvent
from ndc.ledger.service import Ledger
from ndc.settings import Settings


@pytest.fixture
def store_settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=store_url, demo=True)


@pytest.fixture
def ledger(store_settings: Settings) -> Iterator[Ledger]:
    lg = Ledger(store_settings)
    yield lg
    lg.engine.dispose()


def make_event(ledger: Ledger, i: int, citizen: str = "001099012345", **kw: object) -> AccessEvent:
    fields: dict[str, object] = {
        "action": "exchange:person:read",
        "actor_member": "BHXH",
        "actor_client": "claims",
        "purpose": "insurance claim",
        "legal_basis": "Law 25/2008/QH12",
        "subject_ref": ledger.subject_ref(citizen),
        "fields": ("person.full_name",),
        "request_id": f"r{i}",
    }
    fields.update(kw)
    return AccessEvent.model_validate(fields)
