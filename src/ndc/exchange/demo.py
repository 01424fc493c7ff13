"""Demo registry of the exchange: realistic agencies, their systems, keys and catalogue rules.

``ndc demo`` calls :func:`setup_demo_exchange` so that the API can be tried at once: each client
gets an Ed25519 key whose private half is written under ``<data_dir>/exchange/keys`` (demo mode
only; a real agency keeps its private key to itself). The setup is idempotent: it adds only what
is missing, so running the demo again leaves the registry, the catalogue and the keys as they are.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ndc.exchange import service
from ndc.exchange.api.context import admin_secret, demo_api_key
from ndc.exchange.auth import make_token
from ndc.exchange.exceptions import ExchangeError
from ndc.exchange.keys import public_pem, thumbprint
from ndc.exchange.models import Client, ClientKey, Member
from ndc.exchange.policy import catalogue
from ndc.exchange.policy.purposes import Purpose
from ndc.exchange.schemas import MemberKind
from ndc.settings import Settings

P = Purpose
PERSON_BASIC = ("full_name", "date_of_birth", "sex")
RESIDENCE = (
    "permanent_residence_street", "permanent_residence_commune_code",
    "permanent_residence_province_code", "current_residence_street",
    "current_residence_commune_code", "current_residence_province_code",
)  # fmt: skip


class DemoModeRequired(ExchangeError):
    """Demo members, keys on disk and API keys exist only in demo mode (``NDC_DEMO=true``)."""

    problem_type = "demo-mode-required"
    status = 409


@dataclass(frozen=True)
class _Member:
    code: str
    name_vi: str
    name_en: str
    kind: MemberKind


@dataclass(frozen=True)
class _Client:
    member: str
    code: str
    name: str


@dataclass(frozen=True)
class _Rule:
    client_id: str
    dataset: str
    purposes: tuple[Purpose, ...]
    fields: tuple[str, ...]
    legal_basis: str
    covert: bool = False


MEMBERS = (
    _Member("BCA", "Bộ Công an", "Ministry of Public Security", MemberKind.MINISTRY),
    _Member("BHXH", "Bảo hiểm xã hội Việt Nam", "Vietnam Social Security", MemberKind.PUBLIC_BODY),
    _Member("HN", "Ủy ban nhân dân Thành phố Hà Nội", "Hanoi People's Committee",
            MemberKind.PROVINCE),
    _Member("VPCP", "Văn phòng Chính phủ", "Government Office (National Public Service Portal)",
            MemberKind.MINISTRY),
    _Member("VCB", "Ngân hàng TMCP Ngoại thương Việt Nam", "Vietcombank", MemberKind.ENTERPRISE),
)  # fmt: skip
CLIENTS = (
    _Client("BCA", "c06", "Cục Cảnh sát QLHC về TTXH (C06): quản lý cư trú, điều tra"),
    _Client("BHXH", "claims", "Hệ thống giải quyết chế độ BHXH, BHYT"),
    _Client("HN", "one-stop", "Bộ phận một cửa Hà Nội (Hệ thống giải quyết TTHC)"),
    _Client("VPCP", "portal", "Cổng Dịch vụ công quốc gia"),
    _Client("VCB", "ekyc", "Vietcombank eKYC và thẩm định tín dụng"),
)
RULES = (
    _Rule("BCA/c06", "person", (P.RESIDENCE_MANAGEMENT,),
          (*PERSON_BASIC, *RESIDENCE, "household_id", "household_relationship", "marital_status"),
          "Luật Cư trú 2020 (68/2020/QH14); Luật Căn cước 2023 (26/2023/QH15)"),
    _Rule("BCA/c06", "person", (P.CRIMINAL_INVESTIGATION,),
          (*PERSON_BASIC, *RESIDENCE, "phone", "father_id", "mother_id", "spouse_id"),
          "Bộ luật Tố tụng hình sự 2015 (101/2015/QH13), Điều 88", covert=True),
    _Rule("BHXH/claims", "person", (P.SOCIAL_INSURANCE,), (*PERSON_BASIC, *RESIDENCE),
          "Luật Bảo hiểm xã hội 2024 (41/2024/QH15); Nghị định 278/2025/NĐ-CP"),
    _Rule("BHXH/claims", "person", (P.HEALTH_INSURANCE,), (*PERSON_BASIC, *RESIDENCE),
          "Luật Bảo hiểm y tế (25/2008/QH12, sửa đổi 51/2024/QH15); Nghị định 278/2025/NĐ-CP"),
    _Rule("HN/one-stop", "person", (P.ADMINISTRATIVE_PROCEDURE,),
          (*PERSON_BASIC, *RESIDENCE, "marital_status"),
          "Nghị định 278/2025/NĐ-CP; Luật Căn cước 2023 (26/2023/QH15)"),
    _Rule("HN/one-stop", "enterprise", (P.ADMINISTRATIVE_PROCEDURE,),
          ("mst", "name", "enterprise_type", "status", "registration_date", "address_street",
           "address_commune_code", "address_province_code", "legal_representative_name"),
          "Luật Doanh nghiệp 2020 (59/2020/QH14); Nghị định 278/2025/NĐ-CP"),
    _Rule("HN/one-stop", "land_parcel", (P.ADMINISTRATIVE_PROCEDURE,),
          ("parcel_id", "map_sheet_number", "parcel_number", "commune_code", "address",
           "area_m2", "land_use_type", "land_use_term", "certificate_number",
           "mortgage_registered"),
          "Luật Đất đai 2024 (31/2024/QH15); Nghị định 278/2025/NĐ-CP"),
    _Rule("VPCP/portal", "access_history", (P.CITIZEN_SELF_SERVICE,), ("entries",),
          "Luật Bảo vệ dữ liệu cá nhân 2025 (91/2025/QH15); Nghị định 278/2025/NĐ-CP"),
)  # fmt: skip
#: The bank has no rule on purpose: its reads need the citizen's consent.
NO_RULE_CLIENT = "VCB/ekyc"


@dataclass(frozen=True)
class DemoClient:
    """A demo client with its key: the private PEM file, its key id and its demo API key."""

    id: str
    member_code: str
    name: str
    kid: str
    key_path: Path
    api_key: str
    purposes: tuple[str, ...]

    def private_key_pem(self) -> str:
        return self.key_path.read_text(encoding="ascii")


@dataclass(frozen=True)
class DemoExchange:
    """The demo registry as set up: clients with their keys, the admin token, what was added."""

    clients: tuple[DemoClient, ...]
    admin_token: str | None
    audience: str
    added: tuple[str, ...]  # what this run registered (empty when nothing was missing)

    def client(self, client_id: str) -> DemoClient:
        for c in self.clients:
            if c.id == client_id:
                return c
        raise KeyError(client_id)

    def token(self, client_id: str) -> str:
        """A fresh single-use token of a demo client, signed with its key file."""
        c = self.client(client_id)
        return make_token(c.private_key_pem(), c.kid, c.id, audience=self.audience)


def keys_dir(settings: Settings) -> Path:
    return settings.data_dir / "exchange" / "keys"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (created 0600, then renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    tmp.replace(path)


def _key_of(pem_path: Path) -> tuple[str, str] | None:
    """``(kid, public_pem)`` of a private key file, or None if it is not a usable key."""
    try:
        key = serialization.load_pem_private_key(pem_path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError):
        return None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        return None
    public = key.public_key()
    return thumbprint(public), public_pem(public)


def _ensure_key(session: Session, client_id: str, folder: Path, added: list[str]) -> str:
    """The client's key id; a key pair is issued (and its files written) only when missing.

    A key file whose public half is not registered (a fresh store) is registered again; a file
    whose key was revoked, or that is unreadable, is replaced by a newly issued key.
    """
    stem = client_id.replace("/", "_")
    pem_path, kid_path = folder / f"{stem}.pem", folder / f"{stem}.kid"
    found = _key_of(pem_path) if pem_path.exists() else None
    if found is not None:
        kid, pub = found
        row = session.get(ClientKey, kid)
        if row is None:
            service.add_key(session, client_id, pub)
            added.append(f"key {client_id} (registered from {pem_path.name})")
        if row is None or (row.client_id == client_id and row.revoked_at is None):
            if not kid_path.exists() or kid_path.read_text(encoding="ascii").strip() != kid:
                kid_path.write_text(kid + "\n", encoding="ascii")
            return kid
    issued = service.issue_key(session, client_id)
    _write_private(pem_path, issued.private_key_pem)  # before the commit: never a key without it
    kid_path.write_text(issued.key.kid + "\n", encoding="ascii")
    added.append(f"key {client_id}")
    return issued.key.kid


def _ensure_rule(session: Session, rule: _Rule, added: list[str]) -> None:
    fields, purposes = sorted(set(rule.fields)), sorted(p.value for p in rule.purposes)
    for r in catalogue.list_rules(session, client_id=rule.client_id, dataset=rule.dataset):
        if (sorted(r.fields), sorted(p.value for p in r.purposes), r.covert_allowed,
                r.legal_basis) == (fields, purposes, rule.covert, rule.legal_basis):  # fmt: skip
            return
    catalogue.grant_rule(session, dataset=rule.dataset, client_id=rule.client_id, fields=fields,
                         purposes=purposes, legal_basis=rule.legal_basis,
                         covert_allowed=rule.covert)  # fmt: skip
    added.append(f"rule {rule.client_id} {rule.dataset} ({', '.join(purposes)})")


@contextmanager
def _engine(settings: Settings, engine: Engine | None) -> Iterator[Engine]:
    if engine is not None:
        yield engine
        return
    own = service.open_store(settings)
    try:
        yield own
    finally:
        own.dispose()


def setup_demo_exchange(settings: Settings, engine: Engine | None = None) -> DemoExchange:
    """Register the demo members, clients, keys and catalogue rules that are missing.

    One transaction; key files are written only for keys issued here. Refused outside demo mode.
    """
    if not settings.demo:
        raise DemoModeRequired("the demo exchange is set up in demo mode only (NDC_DEMO=true)")
    folder = keys_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    added: list[str] = []
    kids: dict[str, str] = {}
    with _engine(settings, engine) as eng:
        catalogue.create_tables(eng)
        with Session(eng) as session, session.begin():
            for m in MEMBERS:
                if session.get(Member, m.code) is None:
                    service.register_member(session, m.code, m.name_vi, m.name_en, m.kind)
                    added.append(f"member {m.code}")
            for c in CLIENTS:
                client_id = f"{c.member}/{c.code}"
                if session.get(Client, client_id) is None:
                    service.register_client(session, c.member, c.code, c.name)
                    added.append(f"client {client_id}")
                kids[client_id] = _ensure_key(session, client_id, folder, added)
            for rule in RULES:
                _ensure_rule(session, rule, added)
    clients = []
    for c in CLIENTS:
        client_id = f"{c.member}/{c.code}"
        purposes = tuple(dict.fromkeys(p.value for r in RULES if r.client_id == client_id
                                       for p in r.purposes))  # fmt: skip
        clients.append(DemoClient(
            id=client_id, member_code=c.member, name=c.name, kid=kids[client_id],
            key_path=folder / f"{c.member}_{c.code}.pem",
            api_key=demo_api_key(settings, client_id), purposes=purposes,
        ))  # fmt: skip
    return DemoExchange(tuple(clients), admin_secret(settings), settings.exchange_audience,
                        tuple(added))  # fmt: skip


# ---- the demo's walk-through: one call through the real app, and how to try it ---------------


@dataclass(frozen=True)
class DemoCall:
    """What one in-process read through the app showed (for ``ndc demo`` to print)."""

    cccd: str
    status: int
    body: dict[str, Any]
    denied_status: int
    denied_type: str
    ledger_size: int
    ledger_added: int


def published_person(engine: Engine) -> str | None:
    """A CCCD with a published golden record (the smallest, so the demo is reproducible)."""
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT MIN(entity_id) FROM golden_records WHERE entity = 'person'")
        ).scalar()
    return None if found is None else str(found)


def call_headers(purpose: str, user_id: str, case_ref: str | None = None) -> dict[str, str]:
    headers = {"X-NDC-Purpose": purpose, "X-NDC-User-Id": user_id}
    if case_ref is not None:
        headers["X-NDC-Case-Ref"] = case_ref
    return headers


def demo_call(settings: Settings, demo: DemoExchange) -> DemoCall | None:
    """Read a published person as ``BHXH/claims`` through the real app (no server), then the
    same person as the bank, which has no rule and no consent; None if nothing is published."""
    import httpx

    from ndc.web import create_app

    app = create_app(settings)
    ctx = app.state.exchange
    cccd = published_person(ctx.engine)
    if cccd is None:
        return None
    ledger = ctx.ledger
    ledger.integrate()
    before = ledger.size

    async def calls() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ndc") as http:
            ok = await http.get(f"/api/v1/persons/{cccd}", headers={
                "Authorization": f"Bearer {demo.token('BHXH/claims')}",
                **call_headers(P.SOCIAL_INSURANCE, "can.bo.bhxh.01", "HS-BHXH-2026-000123"),
            })  # fmt: skip
            denied = await http.get(f"/api/v1/persons/{cccd}", headers={
                "Authorization": f"Bearer {demo.token(NO_RULE_CLIENT)}",
                **call_headers(P.CREDIT_ASSESSMENT, "nv.tindung.07", "HSVAY-2026-0042"),
            })  # fmt: skip
        return ok, denied

    ok, denied = asyncio.run(calls())
    ledger.integrate()
    return DemoCall(
        cccd=cccd, status=ok.status_code, body=ok.json(), denied_status=denied.status_code,
        denied_type=str(denied.json().get("type", "")).rsplit("/", 1)[-1],
        ledger_size=ledger.size, ledger_added=ledger.size - before,
    )  # fmt: skip


def print_demo_exchange(demo: DemoExchange, call: DemoCall | None, console: Console) -> None:
    """What was registered, one real call and its audit, and how to try the API."""
    added = f"{len(demo.added)} added by this run" if demo.added else "already set up"
    console.print(f"{len(MEMBERS)} members, {len(demo.clients)} client systems, {len(RULES)} "
                  f"catalogue rules ({added})")  # fmt: skip
    table = Table("client", "purposes (catalogue rules)", "demo API key (X-API-Key)")
    for c in demo.clients:
        purposes = ", ".join(c.purposes) or "[i]none: a citizen's consent is needed[/i]"
        table.add_row(c.id, purposes, c.api_key)
    table.columns[2].no_wrap = True
    console.print(table)
    folder = demo.clients[0].key_path.parent
    console.print(f"private keys (Ed25519, mode 0600) and key ids: {folder}/<member>_<code>.pem "
                  "and .kid", highlight=False)  # fmt: skip
    console.print(f"admin token (Authorization: Bearer): {demo.admin_token}")
    if call is None:
        console.print("[yellow]no person is published yet: nothing to read[/yellow]")
        return
    shown = ", ".join(f"{k}={v['value']}" for k, v in call.body.get("fields", {}).items())
    console.print(f"GET /api/v1/persons/{call.cccd} as BHXH/claims (social-insurance): "
                  f"{call.status}; only the permitted fields: {shown}")  # fmt: skip
    console.print(f"the same as {NO_RULE_CLIENT} (credit-assessment): {call.denied_status} "
                  f"{call.denied_type}; ledger: {call.ledger_size:,} entries "
                  f"(+{call.ledger_added} for these two calls)")  # fmt: skip
    key = demo.client("BHXH/claims").api_key
    console.print("try it: [bold]NDC_DEMO=true ndc serve[/bold] (docs at http://127.0.0.1:8000/docs)"
                  ", then", highlight=False)  # fmt: skip
    console.print(f"  curl -H 'X-API-Key: {key}' -H 'X-NDC-Purpose: social-insurance' "
                  f"-H 'X-NDC-User-Id: can.bo.bhxh.01' "
                  f"http://127.0.0.1:8000/api/v1/persons/{call.cccd}", highlight=False,
                  soft_wrap=True)  # fmt: skip
    console.print("  (tokens instead of API keys, consent, subscriptions: docs/api-guide.md)")


def run_exchange_demo(settings: Settings, console: Console) -> DemoExchange:
    """``ndc demo``'s exchange step: set up (idempotent), call once in-process, print."""
    demo = setup_demo_exchange(settings)
    print_demo_exchange(demo, demo_call(settings, demo), console)
    return demo
