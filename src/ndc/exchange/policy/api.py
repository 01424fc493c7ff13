"""Catalogue admin, consent requests by clients, and consent decisions by citizens over HTTP.

Citizens act through the public-service portal: a registered client that has authenticated the
citizen, states ``X-NDC-User-Id`` = the citizen's CCCD and purpose ``citizen-self-service``, and
holds a catalogue rule for the ``access_history`` dataset. A citizen's approval, refusal or
withdrawal — and each request for consent — is recorded in the ledger before it takes effect,
so the citizen's access history shows who asked and what was decided.
"""

# No `from __future__ import annotations`: FastAPI must see the real types of the parameters.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from ndc.exchange.api.context import ExchangeContext
from ndc.exchange.api.deps import AdminDep, Call, CallDep, ContextDep
from ndc.exchange.policy import catalogue, consent
from ndc.exchange.policy.exceptions import NotEntitled
from ndc.exchange.policy.purposes import Dataset, Purpose
from ndc.exchange.policy.schemas import (
    CitizenConsentOut,
    ConsentOut,
    ConsentRequestIn,
    RuleIn,
    RuleOut,
)
from ndc.ledger import AccessEvent

CccdPath = Annotated[str, Path(pattern=r"^[0-9]{12}$", description="The citizen's CCCD.")]
ConsentId = Annotated[str, Path(max_length=40, description="Consent id.")]
RuleId = Annotated[str, Path(max_length=32, description="Rule id.")]
Transition = Callable[..., ConsentOut]


def _event(ctx: ExchangeContext, call: Call, verb: str, c: ConsentOut) -> AccessEvent:
    """The ledger entry of a consent step: names of the fields it covers, never values."""
    return AccessEvent(
        action=f"exchange:consent:{verb}", actor_member=call.member_code,
        actor_client=call.client_id, purpose=c.purpose.value, consent_ref=c.id,
        subject_ref=ctx.subject_ref(c.subject_id),
        fields=tuple(f"{c.dataset.value}.{f}" for f in c.fields), request_id=call.request_id,
    )  # fmt: skip


def _dry_run(ctx: ExchangeContext, step: Callable[[Session], ConsentOut]) -> ConsentOut:
    """Run a consent step and roll it back: it is checked, and its outcome known, before the
    ledger records it; only then is it applied (the ledger shares the store, and SQLite has one
    writer, so the record cannot be written inside the step's own transaction)."""
    with Session(ctx.engine) as s:
        try:
            with s.begin():
                out = step(s)
                raise _Rollback
        except _Rollback:
            return out


class _Rollback(Exception):
    pass


def _citizen_call(ctx: ExchangeContext, call: Call, cccd: str) -> None:
    """Only the citizen, through a portal entitled to self-service, manages their consents."""
    if call.user_id != cccd:
        raise NotEntitled("a citizen's consents are shown to that citizen only (X-NDC-User-Id)",
                          "not-the-data-subject")  # fmt: skip
    if call.purpose != Purpose.CITIZEN_SELF_SERVICE:
        raise NotEntitled(f"state purpose {Purpose.CITIZEN_SELF_SERVICE.value} (X-NDC-Purpose)",
                          "purpose-not-allowed")  # fmt: skip
    decision = ctx.policy.decide(
        client_id=call.client_id, member_code=call.member_code,
        dataset=Dataset.ACCESS_HISTORY.value, purpose=call.purpose, subject_id=cccd,
    )  # fmt: skip
    if not decision.permit:
        raise NotEntitled(f"client {call.client_id} may not act for citizens: {decision.reason}",
                          decision.reason)  # fmt: skip


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    # ---- admin: the sharing catalogue ----------------------------------------------------------

    @router.post("/admin/catalogue/rules", status_code=201, response_model=RuleOut,
                 tags=["admin"], summary="Grant a catalogue rule")  # fmt: skip
    def grant(body: RuleIn, _: AdminDep, ctx: ContextDep) -> RuleOut:
        with Session(ctx.engine) as s, s.begin():
            rule = catalogue.grant_rule(s, **body.model_dump())
        ctx.policy.invalidate()
        return rule

    @router.get("/admin/catalogue/rules", response_model=list[RuleOut], tags=["admin"],
                summary="List catalogue rules")  # fmt: skip
    def rules(
        _: AdminDep,
        ctx: ContextDep,
        client_id: Annotated[str | None, Query(max_length=80)] = None,
        member_code: Annotated[str | None, Query(max_length=32)] = None,
        dataset: Dataset | None = None,
        include_revoked: bool = False,
    ) -> list[RuleOut]:
        with Session(ctx.engine) as s:
            return catalogue.list_rules(
                s,
                client_id=client_id,
                member_code=member_code,
                dataset=dataset,
                include_revoked=include_revoked,
            )

    @router.delete("/admin/catalogue/rules/{rule_id}", response_model=RuleOut, tags=["admin"],
                   summary="Revoke a catalogue rule")  # fmt: skip
    def revoke(rule_id: RuleId, _: AdminDep, ctx: ContextDep) -> RuleOut:
        with Session(ctx.engine) as s, s.begin():
            rule = catalogue.revoke_rule(s, rule_id)
        ctx.policy.invalidate()
        return rule

    # ---- clients: asking for consent -----------------------------------------------------------

    @router.post(
        "/consents",
        status_code=201,
        response_model=ConsentOut,
        tags=["consent"],
        summary="Ask a citizen for consent (pending until the citizen approves)",
    )
    async def request(body: ConsentRequestIn, call: CallDep, ctx: ContextDep) -> ConsentOut:
        def step(s: Session, consent_id: str | None = None) -> ConsentOut:
            return consent.request_consent(
                s, subject_id=body.subject_id, requester_member=call.member_code,
                requester_client=call.client_id if body.client_only else None,
                dataset=body.dataset, fields=body.fields, purpose=body.purpose,
                valid_from=body.valid_from, valid_until=body.valid_until,
                data_life_days=body.data_life_days, note=body.note, consent_id=consent_id,
            )  # fmt: skip

        planned = _dry_run(ctx, step)
        await ctx.audit([_event(ctx, call, "request", planned)])
        with Session(ctx.engine) as s, s.begin():
            return step(s, planned.id)

    @router.get("/consents/{consent_id}", response_model=ConsentOut, tags=["consent"],
                summary="A consent this member asked for, with its current state")  # fmt: skip
    def requested(consent_id: ConsentId, call: CallDep, ctx: ContextDep) -> ConsentOut:
        with Session(ctx.engine) as s:
            return consent.get_consent(s, consent_id, requester_member=call.member_code)

    # ---- citizens (through the portal) ---------------------------------------------------------

    @router.get("/citizens/{cccd}/consents", response_model=list[CitizenConsentOut],
                tags=["citizen"], summary="Các yêu cầu đồng ý của tôi")  # fmt: skip
    def my_consents(cccd: CccdPath, call: CallDep, ctx: ContextDep) -> list[CitizenConsentOut]:
        _citizen_call(ctx, call, cccd)
        with Session(ctx.engine) as s:
            return [consent.citizen_view(s, c) for c in consent.list_consents(s, subject_id=cccd)]

    async def _decide(
        cccd: str, consent_id: str, call: Call, ctx: ExchangeContext, verb: str, step: Transition
    ) -> CitizenConsentOut:
        _citizen_call(ctx, call, cccd)
        planned = _dry_run(ctx, lambda s: step(s, consent_id, subject_id=cccd))
        await ctx.audit([_event(ctx, call, verb, planned)])
        with Session(ctx.engine) as s, s.begin():
            return consent.citizen_view(s, step(s, consent_id, subject_id=cccd))

    @router.post("/citizens/{cccd}/consents/{consent_id}/approve",
                 response_model=CitizenConsentOut, tags=["citizen"],
                 summary="Đồng ý cho phép sử dụng dữ liệu")  # fmt: skip
    async def approve(
        cccd: CccdPath, consent_id: ConsentId, call: CallDep, ctx: ContextDep
    ) -> CitizenConsentOut:
        return await _decide(cccd, consent_id, call, ctx, "approve", consent.approve_consent)

    @router.post("/citizens/{cccd}/consents/{consent_id}/reject",
                 response_model=CitizenConsentOut, tags=["citizen"],
                 summary="Từ chối yêu cầu")  # fmt: skip
    async def reject(
        cccd: CccdPath, consent_id: ConsentId, call: CallDep, ctx: ContextDep
    ) -> CitizenConsentOut:
        return await _decide(cccd, consent_id, call, ctx, "reject", consent.reject_consent)

    @router.post("/citizens/{cccd}/consents/{consent_id}/revoke",
                 response_model=CitizenConsentOut, tags=["citizen"],
                 summary="Rút lại sự đồng ý (có hiệu lực ngay)")  # fmt: skip
    async def withdraw(
        cccd: CccdPath, consent_id: ConsentId, call: CallDep, ctx: ContextDep
    ) -> CitizenConsentOut:
        return await _decide(cccd, consent_id, call, ctx, "revoke", consent.revoke_consent)

    return router
