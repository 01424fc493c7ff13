"""The exchange API under ``/api/v1``: data services, admin, citizen view, consents, subscriptions.

:func:`install` wires it into the app: the serving store and its tables, the shared context,
the problem-details mapping of every :class:`~ndc.exchange.exceptions.ExchangeError`, the body
size limit and the routers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import event
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ndc.dictionary.identifiers import cccd_province_codes
from ndc.exchange.api.context import ExchangeContext, admin_secret, notice_audit
from ndc.exchange.api.deps import CALL_HEADERS, AdminDep, Call, CallDep, ContextDep
from ndc.exchange.api.limits import QuotaExceeded, RateLimited
from ndc.exchange.exceptions import AuthenticationError, ExchangeError
from ndc.exchange.policy import Purpose
from ndc.problems import problem_response
from ndc.settings import Settings

__all__ = [
    "AdminDep",
    "Call",
    "CallDep",
    "ContextDep",
    "ExchangeContext",
    "QuotaExceeded",
    "RateLimited",
    "admin_secret",
    "install",
    "open_context",
]


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # An HTTPException passes through FastAPI's body parsing to the handler.
                    raise StarletteHTTPException(
                        413, f"request bodies are limited to {self.limit} bytes"
                    )
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413, "payload-too-large", "Payload too large",
            f"request bodies are limited to {self.limit} bytes", instance=scope.get("path"),
        )  # fmt: skip
        await response(scope, receive, send)


def _title(exc: ExchangeError) -> str:
    doc = (type(exc).__doc__ or type(exc).__name__).strip().splitlines()[0]
    return doc.replace("``", "").rstrip(".").split(":")[0].split(";")[0][:80]


def _no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


def open_context(settings: Settings) -> ExchangeContext:
    """The store with every table the exchange reads or writes, and the shared context."""
    from ndc.exchange.api.limits import ClientLimit, QuotaUsage
    from ndc.exchange.service import open_store
    from ndc.golden import create_tables as golden_tables
    from ndc.store.engine import Base

    engine = open_store(settings)
    if engine.dialect.name == "sqlite":
        # The request path's commits never run a WAL checkpoint (its fsync stalled a batch for
        # ~25 ms); the ledger's sequencer checkpoints off the request path instead.
        event.listen(engine, "connect", _no_autocheckpoint)
        engine.dispose()  # connections made so far were opened without it
    golden_tables(engine)
    Base.metadata.create_all(engine, tables=[ClientLimit.__table__, QuotaUsage.__table__])  # type: ignore[list-item]
    from ndc.exchange.policy import create_tables as policy_tables
    from ndc.exchange.subscriptions import create_tables as subscription_tables
    from ndc.golden.parcels import create_parcel_tables

    policy_tables(engine)
    create_parcel_tables(engine)
    subscription_tables(engine)
    return ExchangeContext(settings, engine)


def _meta_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["meta"])

    @router.get("/purposes", summary="Coded purposes (mục đích) a call may state")
    def purposes() -> list[dict[str, Any]]:
        return [
            {"code": p.value, "label_vi": p.label_vi, "label_en": p.label_en}
            for p in Purpose
        ]  # fmt: skip

    return router


def _lifespan_router(ctx: ExchangeContext) -> APIRouter:
    """Runs the webhook dispatcher for the life of the app (``NDC_SUBSCRIPTIONS_DISPATCHER``)
    and stops the group commit's writer at the end."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            if not ctx.settings.subscriptions_dispatcher:
                yield
                return
            from ndc.exchange.subscriptions import dispatching

            async with dispatching(ctx.engine, ctx.policy, on_first_send=notice_audit(ctx)):
                yield
        finally:
            await ctx.committer.aclose()

    return APIRouter(lifespan=lifespan)


def _document_call_headers(app: FastAPI) -> None:
    """Add the call headers to every client operation of the OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for path, operations in schema.get("paths", {}).items():
                if not path.startswith("/api/v1/") or path.startswith(_NO_CALL_HEADERS):
                    continue
                for operation in operations.values():
                    operation.setdefault("parameters", []).extend(CALL_HEADERS)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_NO_CALL_HEADERS = ("/api/v1/admin", "/api/v1/purposes")


def install(app: FastAPI, settings: Settings) -> ExchangeContext:
    """Mount the exchange API on ``app``; returns the context (tests use it directly)."""
    from ndc.exchange.api import admin, data, history

    ctx = open_context(settings)
    app.state.exchange = ctx
    cccd_province_codes()  # loads the admin units once, not in the first request

    @app.exception_handler(ExchangeError)
    async def _exchange_error(request: Request, exc: ExchangeError) -> JSONResponse:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, AuthenticationError) and exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="ndc"'
        return problem_response(
            exc.status, exc.problem_type, _title(exc), str(exc),
            instance=request.url.path, headers=headers or None,
        )  # fmt: skip

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.include_router(_lifespan_router(ctx))
    for router in (data.build_router(), admin.build_router(), history.build_router()):
        app.include_router(router)
    app.include_router(_meta_router())
    from ndc.exchange.policy.api import build_router as policy_router
    from ndc.exchange.subscriptions.api import build_router as subscriptions_router

    app.include_router(policy_router())
    app.include_router(subscriptions_router())
    _document_call_headers(app)
    return ctx
