"""Demo hook for ``ndc demo``: log a realistic day of accesses and prove them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from ndc.ledger import merkle
from ndc.ledger.schemas import AccessEvent
from ndc.ledger.service import Ledger
from ndc.ledger.verify import verify
from ndc.settings import Settings

_ACCESSES = [
    ("BHXH", "bhxh-claims", "exchange:person:read", "health insurance claim", "Law 25/2008/QH12",
     ("person.full_name", "person.date_of_birth", "insurance.card_number")),
    ("BYT", "his-hospital", "exchange:person:read", "hospital admission", "Decree 13/2023/ND-CP",
     ("person.full_name", "person.address")),
    ("BTC", "tax-portal", "exchange:business:read", "tax registration check", "Law 38/2019/QH14",
     ("business.tax_code", "business.address")),
    ("BGTVT", "driving-licence", "exchange:person:read", "licence renewal", "Circular 12/2017",
     ("person.full_name", "person.photo")),
]  # fmt: skip


def demo_ledger(
    settings: Settings, events: int = 500, ledger: Ledger | None = None
) -> dict[str, Any]:
    """Append ``events`` demo accesses (one covert), integrate, verify; return a summary."""
    lg = ledger or Ledger(settings)
    rnd = random.Random(settings.seed)
    start = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
    citizens = [f"0{rnd.randrange(10**10, 10**11)}" for _ in range(50)]
    batch = []
    for i in range(events):
        member, client, action, purpose, basis, fields = rnd.choice(_ACCESSES)
        batch.append(
            AccessEvent(
                action=action,
                actor_member=member,
                actor_client=client,
                purpose=purpose,
                legal_basis=basis,
                subject_ref=lg.subject_ref(rnd.choice(citizens)),
                fields=fields,
                time=start + timedelta(seconds=37 * i),
                request_id=f"demo-{i}",
            )
        )
    covert_subject = lg.subject_ref(citizens[0])
    batch.append(
        AccessEvent(
            action="exchange:person:read",
            actor_member="BCA",
            actor_client="investigation",
            purpose="criminal investigation",
            legal_basis="Criminal Procedure Code art. 88",
            subject_ref=covert_subject,
            fields=("person.address",),
            time=start,
            hidden_until=start + timedelta(days=365 * 2),
        )
    )
    lg.append_many(batch)
    lg.integrate()
    cp = lg.checkpoint()
    index = cp.size - 1
    leaf, proof, root = lg.inclusion_proof(index, cp.size)
    report = verify(lg)
    visible = lg.history(covert_subject, now=start + timedelta(days=1))
    return {
        "origin": lg.origin,
        "size": cp.size,
        "checkpoint": cp.note,
        "vkey": lg.keys.verifier.vkey,
        "inclusion_proof_verified": merkle.verify_inclusion(index, cp.size, leaf, proof, root),
        "verify_ok": report.ok,
        "problems": report.problems,
        "history_entries_visible": len(visible),
        "history_entries_hidden": len(lg.history(covert_subject, include_hidden=True))
        - len(visible),
    }
