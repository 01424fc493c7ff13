"""Admin API of the registry: members, client systems, keys and client limits (admin token)."""

# No `from __future__ import annotations`: FastAPI must see the real types of the parameters.

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ndc.exchange import service
from ndc.exchange.api.deps import AdminDep, ContextDep
from ndc.exchange.api.limits import ClientLimit
from ndc.exchange.exceptions import ClientNotFound
from ndc.exchange.schemas import ClientOut, IssuedKey, KeyAlgorithm, KeyOut, MemberKind, MemberOut

T = TypeVar("T")
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]


class MemberIn(BaseModel):
    code: str = Field(max_length=32)
    name_vi: str = Field(min_length=1, max_length=255)
    name_en: str = Field(min_length=1, max_length=255)
    kind: MemberKind


class ClientIn(BaseModel):
    code: str = Field(max_length=32)
    name: str = Field(min_length=1, max_length=255)


class KeyIn(BaseModel):
    """Register a public key (``public_key_pem``) or, without one, have a key pair issued."""

    public_key_pem: str | None = Field(default=None, max_length=4000)
    algorithm: KeyAlgorithm = KeyAlgorithm.EDDSA


class ActiveIn(BaseModel):
    active: bool


class LimitIn(BaseModel):
    rate_per_second: float | None = Field(default=None, gt=0, le=1_000_000)
    burst: int | None = Field(default=None, ge=1, le=1_000_000)
    daily_quota: int | None = Field(default=None, ge=1)


@contextmanager
def _tx(ctx: ContextDep) -> Iterator[Session]:
    with Session(ctx.engine) as session, session.begin():
        yield session


def _run(ctx: ContextDep, action: Callable[[Session], T]) -> T:
    with _tx(ctx) as session:
        return action(session)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

    @router.post("/members", status_code=201, response_model=MemberOut)
    def add_member(body: MemberIn, _: AdminDep, ctx: ContextDep) -> MemberOut:
        return _run(ctx, lambda s: service.register_member(
            s, body.code, body.name_vi, body.name_en, body.kind))  # fmt: skip

    @router.get("/members", response_model=list[MemberOut])
    def members(_: AdminDep, ctx: ContextDep) -> list[MemberOut]:
        return _run(ctx, service.list_members)

    @router.patch("/members/{code}", response_model=MemberOut)
    def member_active(code: Code, body: ActiveIn, _: AdminDep, ctx: ContextDep) -> MemberOut:
        return _run(ctx, lambda s: service.set_member_active(s, code, body.active))

    @router.post("/members/{code}/clients", status_code=201, response_model=ClientOut)
    def add_client(code: Code, body: ClientIn, _: AdminDep, ctx: ContextDep) -> ClientOut:
        return _run(ctx, lambda s: service.register_client(s, code, body.code, body.name))

    @router.get("/clients", response_model=list[ClientOut])
    def clients(_: AdminDep, ctx: ContextDep, member: str | None = None) -> list[ClientOut]:
        return _run(ctx, lambda s: service.list_clients(s, member))

    @router.patch("/clients/{member}/{code}", response_model=ClientOut)
    def client_active(
        member: Code, code: Code, body: ActiveIn, _: AdminDep, ctx: ContextDep
    ) -> ClientOut:
        return _run(ctx, lambda s: service.set_client_active(s, f"{member}/{code}", body.active))

    @router.post(
        "/clients/{member}/{code}/keys", status_code=201, response_model=KeyOut | IssuedKey
    )
    def add_key(
        member: Code, code: Code, body: KeyIn, _: AdminDep, ctx: ContextDep
    ) -> KeyOut | IssuedKey:
        cid = f"{member}/{code}"
        return _run(ctx, lambda s: service.rotate(s, cid, body.public_key_pem, body.algorithm))

    @router.get("/keys", response_model=list[KeyOut])
    def keys(_: AdminDep, ctx: ContextDep, client: str | None = None) -> list[KeyOut]:
        return _run(ctx, lambda s: service.list_keys(s, client))

    @router.delete("/keys/{kid}", response_model=KeyOut)
    def revoke(
        kid: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")], _: AdminDep, ctx: ContextDep
    ) -> KeyOut:
        return _run(ctx, lambda s: service.revoke_key(s, kid))

    @router.put("/clients/{member}/{code}/limits", response_model=LimitIn)
    def limits(member: Code, code: Code, body: LimitIn, _: AdminDep, ctx: ContextDep) -> LimitIn:
        cid = f"{member}/{code}"

        def write(s: Session) -> LimitIn:
            if not any(c.id == cid for c in service.list_clients(s, member)):
                raise ClientNotFound(f"no client {cid!r}")
            row = s.get(ClientLimit, cid) or ClientLimit(client_id=cid)
            row.rate_per_second, row.burst = body.rate_per_second, body.burst
            row.daily_quota = body.daily_quota
            s.add(row)
            return body

        return _run(ctx, write)

    return router
