"""An exchange app on each store backend with a registered client, entitlements and records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ndc.exchange import IssuedKey, issue_key, make_token, register_client, register_member
from ndc.exchange.api import ExchangeContext
from ndc.exchange.policy import grant_rule
from ndc.golden.models import GoldenRecordRow
from ndc.settings import Settings
from ndc.web import create_app

AN = "001090000001"  # a person with a published golden record
BINH = "079185000002"
MST = "0100109106"
AUDIENCE = "https://ndc.gov.vn/api"
PERSON_FIELDS = ["date_of_birth", "full_name", "sex"]  # sorted


def _person(entity_id: str, name: str, dob: str, sex: str, phone: str) -> GoldenRecordRow:
    now = datetime(2026, 1, 5, 8, 0)
    values = {"full_name": name, "date_of_birth": dob, "sex": sex, "phone": phone,
              "marital_status": "married"}  # fmt: skip
    prov = {"record": ["population", f"pop-{entity_id}", "2026-01-01T08:00:00"],
            "from": {"phone": ["health_insurance", f"hi-{entity_id}", "2026-01-03T08:00:00"]},
            "unverified": ["phone"]}  # fmt: skip
    return GoldenRecordRow(entity="person", entity_id=entity_id, version=1,
                           values=json.dumps(values, ensure_ascii=False),
                           provenance=json.dumps(prov), created_at=now, updated_at=now,
                           run_id="golden-test")  # fmt: skip


@dataclass
class Api:
    client: TestClient
    ctx: ExchangeContext
    key: IssuedKey
    client_id: str
    settings: Settings

    def token(self, **kw: object) -> str:
        return make_token(self.key.private_key_pem, self.key.key.kid, self.client_id, **kw)  # type: ignore[arg-type]

    def headers(self, purpose: str = "social-insurance", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", "X-NDC-Purpose": purpose,
                "X-NDC-User-Id": "can.bo.01", "X-NDC-Case-Ref": "HS-2026-01", **extra}  # fmt: skip

    def ledger_events(self) -> list[dict[str, object]]:
        """Every entry appended so far (queued or integrated), decoded."""
        lg = self.ctx.ledger
        lg.integrate()
        return [json.loads(lg.entry(i)) for i in range(lg.size)]


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path / "ndc-data", demo=True, database_url=store_url,
                        exchange_rate_per_second=10_000, exchange_burst=10_000)  # fmt: skip
    app = create_app(settings)
    ctx: ExchangeContext = app.state.exchange
    with Session(ctx.engine) as s, s.begin():
        register_member(s, "BHXH", "Bảo hiểm xã hội Việt Nam", "Vietnam Social Security",
                        "public_body")  # fmt: skip
        register_client(s, "BHXH", "claims", "Claims processing")
        key = issue_key(s, "BHXH/claims")
        grant_rule(s, dataset="person", client_id="BHXH/claims", fields=PERSON_FIELDS,
                   purposes=["social-insurance"], legal_basis="Nghị định 278/2025/NĐ-CP",
                   valid_from=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
        s.add(_person(AN, "Nguyễn Văn An", "1990-03-15", "1", "0912345678"))
        s.add(_person(BINH, "Trần Thị Bình", "1985-07-02", "2", "0987654321"))
    with TestClient(app) as client:
        yield Api(client, ctx, key, "BHXH/claims", settings)
