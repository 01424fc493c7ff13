"""Exchange fixtures: a registry on each store backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange import IssuedKey, TokenVerifier, issue_key, register_client, register_member
from ndc.exchange.service import create_tables
from ndc.store.engine import create_store_engine


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = create_store_engine(store_url)
    create_tables(eng)
    yield eng
    eng.dispose()


@dataclass
class Registered:
    engine: Engine
    client_id: str
    key: IssuedKey
    verifier: TokenVerifier


@pytest.fixture
def registered(engine: Engine) -> Registered:
    """Member BHXH with client BHXH/claims holding one Ed25519 key."""
    with Session(engine) as s, s.begin():
        register_member(s, "BHXH", "Bảo hiểm xã hội Việt Nam", "Vietnam Social Security",
                        "public_body")  # fmt: skip
        client = register_client(s, "BHXH", "claims", "Claims processing")
        key = issue_key(s, client.id)
    return Registered(engine, client.id, key, TokenVerifier(engine))
