"""Data services: person by CCCD, enterprise by MST, land parcels by owner, verification, bulk.

Each request is decided by the sharing catalogue (or a citizen's consent), answered with the
permitted fields only, and recorded in the ledger (allowed or denied) before it is answered.
"""

# No `from __future__ import annotations`: FastAPI must see the real types of the parameters.

import json
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ndc.dictionary.identifiers import validate_cccd, validate_mst
from ndc.exchange.api import records
from ndc.exchange.api.context import ExchangeContext
from ndc.exchange.api.deps import CLIENT_TOKEN, Call, ContextDep, ReadCallDep, authenticate
from ndc.exchange.policy import Access
from ndc.golden.parcels import parcels_by_owner
from ndc.ledger import AccessEvent
from ndc.problems import ProblemError

CCCD = r"^[0-9]{12}$"
MST = r"^[0-9]{10}(-[0-9]{3})?$"
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_BULK = 1000
MAX_FIELDS = 100  # more than any dataset has; a ledger entry holds at most 500 names

_DENIALS = {
    "no-entitlement": "No entitlement to this dataset",
    "purpose-not-allowed": "Purpose not allowed",
    "fields-not-allowed": "Fields not allowed",
    "rule-expired": "Entitlement expired",
    "rule-not-yet-valid": "Entitlement not yet valid",
    "consent-required": "Citizen consent required",
    "covert-not-allowed": "Covert access not allowed",
    "access-not-allowed": "Only verification is allowed",
    "consent-not-yet-valid": "Consent not yet valid",
    "consent-rejected": "Consent rejected by the citizen",
    "consent-revoked": "Consent revoked by the citizen",
    "consent-expired": "Consent expired",
}

CccdPath = Annotated[str, Path(pattern=CCCD, description="12-digit personal identification number")]
MstPath = Annotated[str, Path(pattern=MST, description="10-digit tax code, branches -NNN")]
FieldsQuery = Annotated[
    str | None,
    Query(max_length=2000, description="Comma-separated field names (default: all permitted)."),
]


class VerifyIn(BaseModel):
    """Claimed attribute values to check against the golden record."""

    dataset: str = Field(pattern="^(person|enterprise)$")
    id: str = Field(max_length=14)
    attributes: dict[str, str] = Field(min_length=1, max_length=50)


class VerifyOut(BaseModel):
    dataset: str
    id: str
    results: dict[str, str]  # attribute -> "match" | "no-match"


class BulkIn(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=MAX_BULK)
    fields: list[str] | None = Field(default=None, max_length=MAX_FIELDS)


def _fields(raw: str | None) -> list[str] | None:
    if raw is None or raw == "":
        return None
    names = list(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))
    bad = [f for f in names if not _FIELD.fullmatch(f)]
    if bad or not names:
        raise ProblemError(400, "bad-fields", "Bad field list", f"not field names: {bad[:5]}")
    if len(names) > MAX_FIELDS:
        raise ProblemError(400, "bad-fields", "Bad field list", f"at most {MAX_FIELDS} fields")
    return names


def _check_id(dataset: str, value: str) -> None:
    check = validate_cccd(value) if dataset == "person" else validate_mst(value)
    if not check.valid:
        raise ProblemError(
            422, "malformed-identifier", "Malformed identifier",
            f"{value[:20]!r}: {', '.join(check.errors)}", errors=list(check.errors),
        )  # fmt: skip


def event(
    ctx: ExchangeContext,
    call: Call,
    action: str,
    subject_id: str | None,
    fields: Sequence[str],
    permit: bool,
    legal_basis: str | None,
    consent_id: str | None,
) -> AccessEvent:
    """The ledger entry of one access (fields are names, the subject a keyed pseudonym)."""
    dataset = action.split(":")[1].replace("-", "_")
    return AccessEvent(
        action=action,
        actor_member=call.member_code,
        actor_client=call.client_id,
        purpose=call.purpose,
        legal_basis=legal_basis,
        consent_ref=consent_id,
        subject_ref=ctx.subject_ref(subject_id) if subject_id else None,
        fields=tuple(f"{dataset}.{f}" for f in fields),
        decision="permit" if permit else "deny",
        hidden_until=call.covert_until,
        request_id=call.request_id,
    )


async def decide_or_deny(
    ctx: ExchangeContext,
    call: Call,
    action: str,
    dataset: str,
    subject_id: str | None,
    fields: list[str] | None,
    verify: bool = False,
) -> Any:
    """The policy decision; a denial is audited, then answered with a 403 problem."""
    decision = ctx.policy.decide(
        client_id=call.client_id,
        member_code=call.member_code,
        dataset=dataset,
        purpose=call.purpose,
        subject_id=subject_id,
        fields=fields,
        access=Access.VERIFY if verify else Access.READ,
    )
    reason = decision.reason
    if decision.permit and call.covert_until is not None and not decision.covert_allowed:
        reason = "covert-not-allowed"
    if not decision.permit or reason == "covert-not-allowed":
        denied = fields or []
        await ctx.audit([event(ctx, call, action, subject_id, denied, False, None, None)], call)
        raise ProblemError(
            403, reason, _DENIALS.get(reason, "Access denied"), f"{dataset} for purpose "
            f"{call.purpose}: {reason}", decision=reason
        )  # fmt: skip
    return decision


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
    )


def _not_found(dataset: str, entity_id: str) -> ProblemError:
    return ProblemError(404, "not-found", "Not found", f"no {dataset} {entity_id}")


async def _lookup(
    ctx: ExchangeContext, call: Call, dataset: str, entity_id: str, fields: list[str] | None
) -> Response:
    action = f"exchange:{dataset}:read"
    decision = await decide_or_deny(ctx, call, action, dataset, entity_id, fields)
    row = records.read_one(ctx.reader, dataset, entity_id)
    body = records.render(row, decision.fields, dataset) if row is not None else None
    served = list(body["fields"]) if body is not None else []  # what is disclosed, no more
    basis, consent = decision.legal_basis, decision.consent_id
    await ctx.audit([event(ctx, call, action, entity_id, served, True, basis, consent)], call)
    if body is None:
        raise _not_found(dataset, entity_id)
    body["access"] = {"purpose": call.purpose, "legal_basis": basis, "consent_id": consent,
                      "request_id": call.request_id}  # fmt: skip
    return _json(body)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["data"])

    @router.get(
        "/persons/{cccd}",
        summary="Person by CCCD (minimised, with provenance)",
        openapi_extra=CLIENT_TOKEN,
    )
    async def person(cccd: CccdPath, request: Request, fields: FieldsQuery = None) -> Response:
        call = authenticate(request)
        _check_id("person", cccd)
        return await _lookup(request.app.state.exchange, call, "person", cccd, _fields(fields))

    @router.get(
        "/enterprises/{mst}", summary="Enterprise by tax code (MST)", openapi_extra=CLIENT_TOKEN
    )
    async def enterprise(mst: MstPath, request: Request, fields: FieldsQuery = None) -> Response:
        call = authenticate(request)
        _check_id("enterprise", mst)
        return await _lookup(request.app.state.exchange, call, "enterprise", mst, _fields(fields))

    @router.get("/persons/{cccd}/land-parcels", summary="Land parcels by owner")
    async def parcels(
        cccd: CccdPath, call: ReadCallDep, ctx: ContextDep, fields: FieldsQuery = None
    ) -> Response:
        _check_id("person", cccd)
        action = "exchange:land-parcel:read"
        decision = await decide_or_deny(ctx, call, action, "land_parcel", cccd, _fields(fields))
        found = parcels_by_owner(ctx.engine, cccd)
        allowed = set(decision.fields)
        items = []
        for parcel in found:
            attrs = {}
            for name, a in parcel.attributes.items():
                if name in allowed:
                    p = a.provenance
                    attrs[name] = records.field_out(a.value, p.source_id, records.iso(p.as_of),
                                                    p.verified)  # fmt: skip
            items.append({"id": parcel.parcel_id, "fields": attrs})
        served = sorted({name for item in items for name in item["fields"]})
        basis, consent = decision.legal_basis, decision.consent_id
        await ctx.audit([event(ctx, call, action, cccd, served, True, basis, consent)], call)
        return _json({"dataset": "land_parcel", "owner": cccd, "parcels": items})

    @router.post("/verify", response_model=VerifyOut, summary="Verify attributes, disclose none")
    async def verify(body: VerifyIn, call: ReadCallDep, ctx: ContextDep) -> VerifyOut:
        _check_id(body.dataset, body.id)
        names = sorted(body.attributes)
        if any(not _FIELD.fullmatch(n) for n in names):
            raise ProblemError(400, "bad-fields", "Bad field list", "attribute names only")
        action = f"exchange:{body.dataset}:verify"
        decision = await decide_or_deny(ctx, call, action, body.dataset, body.id, names, True)
        stored = records.stored_values(records.read_one(ctx.reader, body.dataset, body.id))
        results = {
            n: "match" if records.matches(stored.get(n), body.attributes[n]) else "no-match"
            for n in names
        }
        basis, consent = decision.legal_basis, decision.consent_id
        await ctx.audit([event(ctx, call, action, body.id, names, True, basis, consent)], call)
        return VerifyOut(dataset=body.dataset, id=body.id, results=results)

    @router.post("/persons/bulk", summary=f"Up to {MAX_BULK} persons in one request")
    async def bulk(body: BulkIn, call: ReadCallDep, ctx: ContextDep) -> Response:
        return await _bulk(ctx, call, "person", body)

    @router.post("/enterprises/bulk", summary=f"Up to {MAX_BULK} enterprises in one request")
    async def bulk_enterprises(body: BulkIn, call: ReadCallDep, ctx: ContextDep) -> Response:
        return await _bulk(ctx, call, "enterprise", body)

    return router


async def _bulk(ctx: ExchangeContext, call: Call, dataset: str, body: BulkIn) -> Response:
    """Each identifier decided, audited and answered on its own; one read for all."""
    fields = body.fields
    if fields is not None and any(not _FIELD.fullmatch(f) for f in fields):
        raise ProblemError(400, "bad-fields", "Bad field list", "field names only")
    action = f"exchange:{dataset}:read"
    ids = list(dict.fromkeys(body.ids))
    valid = []
    results: dict[str, dict[str, Any]] = {}
    for i in ids:
        check = validate_cccd(i) if dataset == "person" else validate_mst(i)
        if check.valid:
            valid.append(i)
        else:
            results[i] = {"id": i[:20], "status": "malformed-identifier",
                          "errors": list(check.errors)}  # fmt: skip
    rows = records.read_many(ctx.reader, dataset, valid)
    events = []
    for i in valid:
        d = ctx.policy.decide(
            client_id=call.client_id, member_code=call.member_code, dataset=dataset,
            purpose=call.purpose, subject_id=i, fields=fields, access=Access.READ,
        )  # fmt: skip
        if not d.permit or (call.covert_until is not None and not d.covert_allowed):
            reason = d.reason if not d.permit else "covert-not-allowed"
            results[i] = {"id": i, "status": "denied", "reason": reason}
            events.append(event(ctx, call, action, i, fields or [], False, None, None))
            continue
        row = rows.get(i)
        rendered = records.render(row, d.fields, dataset) if row is not None else None
        served = list(rendered["fields"]) if rendered is not None else []
        events.append(event(ctx, call, action, i, served, True, d.legal_basis, d.consent_id))
        if rendered is None:
            results[i] = {"id": i, "status": "not-found"}
        else:
            results[i] = {"status": "found", **rendered}
    await ctx.audit(events, call)
    out = [results[i] for i in ids]
    return _json({"dataset": dataset, "purpose": call.purpose, "results": out})
