"""The citizen's view: who looked at my data, each access with its proof of inclusion in the log.

Citizens reach it through the public-service portal, a registered client acting for the
citizen it has authenticated: the call's user id must be the citizen's own CCCD, and the portal
needs a catalogue entitlement to the ``access_history`` dataset. Entries of lawful covert
investigations stay hidden until their date, then appear like any other.
"""

# No `from __future__ import annotations`: FastAPI must see the real types of the parameters.

import base64
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from ndc.exchange.api.data import CccdPath, decide_or_deny, event
from ndc.exchange.api.deps import ContextDep, ReadCallDep
from ndc.exchange.models import Member
from ndc.exchange.policy import Purpose
from ndc.problems import ProblemError


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


_LABELS = {p.value: {"vi": p.label_vi, "en": p.label_en} for p in Purpose}


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/citizens", tags=["citizen"])

    @router.get("/{cccd}/access-history", summary="Lịch sử truy cập dữ liệu của tôi")
    async def access_history(cccd: CccdPath, call: ReadCallDep, ctx: ContextDep) -> dict[str, Any]:
        action = "exchange:access-history:read"
        if call.user_id != cccd:
            await ctx.audit([event(ctx, call, action, cccd, [], False, None, None)], call)
            raise ProblemError(
                403, "not-the-data-subject", "Not the data subject",
                "a citizen's access history is shown to that citizen only (X-NDC-User-Id)",
            )  # fmt: skip
        decision = await decide_or_deny(ctx, call, action, "access_history", cccd, None)
        ledger = ctx.ledger
        items = ledger.history(ctx.subject_ref(cccd), now=datetime.now(UTC))
        checkpoint = ledger.checkpoint()
        with ctx.engine.connect() as conn:
            names = dict(conn.execute(select(Member.code, Member.name_vi)).all())
        entries = []
        for item in items:
            e = item.event
            proof = None
            if item.seq < checkpoint.size:
                leaf, path, _root = ledger.inclusion_proof(item.seq, checkpoint.size)
                proof = {"leaf_hash": _b64(leaf), "hashes": [_b64(h) for h in path]}
            entries.append({
                "index": item.seq,
                "time": e.time.isoformat(),
                "agency": {"code": e.actor_member, "name": names.get(e.actor_member)},
                "client": e.actor_client,
                "purpose": {"code": e.purpose, **_LABELS.get(e.purpose, {})},
                "legal_basis": e.legal_basis,
                "consent_id": e.consent_ref,
                "fields": list(e.fields),
                "decision": e.decision,
                "entry_b64": _b64(e.to_entry()),
                "inclusion_proof": proof,
            })  # fmt: skip
        await ctx.audit([event(ctx, call, action, cccd, ["entries"], True,
                               decision.legal_basis, decision.consent_id)], call)  # fmt: skip
        return {
            "subject": cccd,
            "checkpoint": checkpoint.note,
            "tree_size": checkpoint.size,
            "entries": entries,
            "note_vi": "Mỗi lượt truy cập kèm bằng chứng có trong nhật ký công khai đã ký.",
        }

    return router
