"""Policy fixtures: the registry plus catalogue and consent tables on each store backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange import register_client, register_member
from ndc.exchange.policy import create_tables

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SUBJECT = "001090012345"  # a Hà Nội-registered man born in 1990
OTHER_SUBJECT = "079195054321"

MEMBERS = {
    "BHXH": ("Bảo hiểm xã hội Việt Nam", "public_body", ["claims", "portal"]),
    "CT": ("Cục Thuế", "public_body", ["tms"]),
    "BCA": ("Bộ Công an", "ministry", ["c06", "c01"]),
    "TNMT": ("Sở Nông nghiệp và Môi trường Hà Nội", "province", ["land", "survey"]),
    "BANK1": ("Ngân hàng TMCP Ví Dụ", "enterprise", ["loans", "cards"]),
    "DVC": ("Cổng Dịch vụ công quốc gia", "public_body", ["portal"]),
}


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """The exchange fixture's store with the policy tables and a registry of six members."""
    create_tables(engine)
    with Session(engine) as s, s.begin():
        for code, (name_vi, kind, clients) in MEMBERS.items():
            register_member(s, code, name_vi, code, kind)
            for c in clients:
                register_client(s, code, c, f"{code} {c}")
    return engine
