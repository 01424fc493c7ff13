"""Request dependencies of the exchange API: the authenticated call, the context, the admin.

Every data request states who acts and why, in the spirit of X-Road's ``X-Road-UserId`` and
``X-Road-Issue``: ``X-NDC-Purpose`` (a coded purpose), ``X-NDC-User-Id`` (the acting official,
or the citizen when the portal acts for one), ``X-NDC-Case-Ref`` (the case or dossier) and, for
lawful covert investigations only, ``X-NDC-Covert-Until``.
"""

# No `from __future__ import annotations`: FastAPI must see the real types of the dependencies.

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ndc.exchange.api.context import ExchangeContext
from ndc.exchange.exceptions import AuthenticationError, ExchangeError
from ndc.exchange.policy import Purpose

_bearer = HTTPBearer(auto_error=False, description="A client token (JWT, EdDSA or ES256).")
_admin_bearer = HTTPBearer(auto_error=False, description="The admin API token.")
_USER_ID = re.compile(r"^[\w.@:-]{1,100}$")
_CASE_REF = re.compile(r"^[\w./:#-]{1,100}$")
_REQUEST_ID = re.compile(r"^[\w.:-]{1,100}$")


class MissingCredentials(AuthenticationError):
    """No bearer token: every exchange call is made by a registered client."""

    problem_type = "unauthorized"


class BadApiKey(AuthenticationError):
    """The demo API key is not valid (or the platform is not in demo mode)."""

    problem_type = "bad-api-key"


class BadHeader(ExchangeError):
    """A required call header is missing or malformed."""

    problem_type = "bad-call-header"
    status = 400


class UnknownPurpose(BadHeader):
    """``X-NDC-Purpose`` is not one of the coded purposes."""

    problem_type = "unknown-purpose"


class AdminRequired(ExchangeError):
    """The admin API needs the admin token."""

    problem_type = "admin-required"
    status = 401


@dataclass
class Call:
    """One authenticated request and what it states about itself.

    ``pending`` is the token id still to be consumed: read endpoints hand it to
    ``ExchangeContext.audit`` with their entries (one durable write per request); endpoints
    with side effects take :data:`CallDep`, which consumes it before the handler runs.
    """

    client_id: str
    member_code: str
    purpose: str
    user_id: str
    case_ref: str | None
    request_id: str
    covert_until: datetime | None
    pending: tuple[str, str, int] | None = None

    def take_pending(self) -> tuple[str, str, int] | None:
        pending, self.pending = self.pending, None
        return pending


async def context(request: Request) -> ExchangeContext:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request.
    ctx: ExchangeContext = request.app.state.exchange
    return ctx


ContextDep = Annotated[ExchangeContext, Depends(context)]


_PURPOSES = frozenset(p.value for p in Purpose)


def _covert(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise BadHeader("X-NDC-Covert-Until must be a date (YYYY-MM-DD)") from exc
    until = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if until <= datetime.now(UTC):
        raise BadHeader("X-NDC-Covert-Until must be in the future")
    return until


def _header(name: str, description: str, required: bool = False) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": 100}
    return {"name": name, "in": "header", "required": required, "description": description,
            "schema": schema}  # fmt: skip


#: The call headers as OpenAPI parameters. :func:`read_call` reads them straight from the
#: request (FastAPI's per-parameter machinery cost more than the rest of the request); the app
#: adds these to every client operation's documentation instead.
CALL_HEADERS = [
    _header("X-NDC-Purpose", "Coded purpose (mục đích), see GET /api/v1/purposes.", True),
    _header("X-NDC-User-Id", "The acting official's user id (for the portal: the citizen).", True),
    _header("X-NDC-Case-Ref", "Case or dossier reference (hồ sơ)."),
    _header("X-NDC-Covert-Until", "Covert investigations only: hide from the citizen until."),
    _header("X-Request-Id", "Your request id, echoed in the ledger entry."),
    _header("X-API-Key", "Demo mode only, instead of a client token."),
]


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def read_call(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Call:
    """Authenticate the client, apply its rate limit, check the headers (token not consumed).

    ``credentials`` is declared so that the OpenAPI document shows the token scheme;
    :func:`authenticate` reads the header itself.
    """
    return authenticate(request)


#: For the hot read routes, which call :func:`authenticate` themselves: FastAPI's dependency
#: resolution cost about a tenth of such a request. The client token scheme stays documented.
CLIENT_TOKEN: dict[str, Any] = {"security": [{"HTTPBearer": []}]}


def authenticate(request: Request) -> Call:
    """:func:`read_call` without FastAPI's dependency machinery."""
    ctx: ExchangeContext = request.app.state.exchange
    headers = request.headers
    token = _bearer_token(request)
    purpose = headers.get("x-ndc-purpose")
    user_id = headers.get("x-ndc-user-id")
    case_ref = headers.get("x-ndc-case-ref")
    covert_until = headers.get("x-ndc-covert-until")
    request_id = headers.get("x-request-id")
    api_key = headers.get("x-api-key")
    pending: tuple[str, str, int] | None = None
    if token is not None:
        client = ctx.verifier.verify(token, remember=False)
        client_id, member_code = client.client_id, client.member_code
        pending = (client_id, client.jti, client.expires_at + ctx.verifier.leeway)
    elif api_key is not None and ctx.settings.demo:
        found = ctx.api_key_client(api_key)
        if found is None:
            raise BadApiKey("the API key is not valid (API keys work in demo mode only)")
        client_id, member_code = found
    else:
        raise MissingCredentials("send 'Authorization: Bearer <client token>'")
    ctx.limiter.check(client_id)
    if not purpose:
        raise BadHeader("X-NDC-Purpose is required: say why the data is needed")
    if purpose not in _PURPOSES:
        raise UnknownPurpose(f"unknown purpose {purpose[:60]!r}; see GET /api/v1/purposes")
    if not user_id or not _USER_ID.fullmatch(user_id):
        raise BadHeader("X-NDC-User-Id is required: 1-100 letters, digits or . _ @ : -")
    if case_ref is not None and not _CASE_REF.fullmatch(case_ref):
        raise BadHeader("X-NDC-Case-Ref: 1-100 letters, digits or . / : # _ -")
    if request_id is None or not _REQUEST_ID.fullmatch(request_id):
        request_id = secrets.token_hex(8)
    until = _covert(covert_until)
    return Call(
        client_id=client_id,
        member_code=member_code,
        purpose=purpose,
        user_id=user_id,
        case_ref=case_ref,
        request_id=request_id,
        covert_until=until,
        pending=pending,
    )


ReadCallDep = Annotated[Call, Depends(read_call)]


async def current_call(ctx: ContextDep, call: ReadCallDep) -> Call:
    """:func:`read_call`, then the token consumed before the handler runs (side effects)."""
    await ctx.audit([], call)
    return call


CallDep = Annotated[Call, Depends(current_call)]


def require_admin(
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)],
) -> str:
    """The admin token (``NDC_ADMIN_TOKEN``; demo mode derives one)."""
    if credentials is None or not ctx.admin_ok(credentials.credentials):
        raise AdminRequired("send 'Authorization: Bearer <admin token>'")
    return "admin"


AdminDep = Annotated[str, Depends(require_admin)]
