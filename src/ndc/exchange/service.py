"""Registry of members, client systems and their keys (the first slice of the data exchange).

Functions take a SQLAlchemy ``Session`` and flush; the caller owns the transaction, so one admin
request or CLI command is one commit. Keys are identified by their JWK thumbprint; private keys
generated here are returned once and never stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import (
    ClientExists,
    ClientNotFound,
    InvalidKey,
    KeyExists,
    KeyNotFound,
    MemberExists,
    MemberNotFound,
    RegistryError,
)
from ndc.exchange.keys import generate_key_pair, load_public_key, public_pem, thumbprint
from ndc.exchange.models import Client, ClientKey, Member, UsedTokenId
from ndc.exchange.schemas import (
    ClientOut,
    IssuedKey,
    KeyAlgorithm,
    KeyOut,
    MemberKind,
    MemberOut,
)
from ndc.settings import Settings
from ndc.store.engine import Base, create_store_engine

TABLES: list[Table] = [
    Base.metadata.tables[m.__tablename__] for m in (Member, Client, ClientKey, UsedTokenId)
]
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def _now() -> datetime:
    return datetime.now(UTC)


def create_tables(engine: Engine) -> None:
    Base.metadata.create_all(engine, tables=TABLES)


def open_store(settings: Settings) -> Engine:
    """The serving-store engine with the exchange tables created."""
    if settings.database_url is None:
        settings.ensure_data_dir()
    engine = create_store_engine(settings.store_url)
    create_tables(engine)
    return engine


def _check_code(value: str, what: str) -> str:
    if not _CODE.fullmatch(value):
        raise RegistryError(f"{what} {value!r}: use 1-32 letters, digits, '.', '_' or '-'")
    return value


# ---- members -----------------------------------------------------------------------------------


def register_member(
    session: Session, code: str, name_vi: str, name_en: str, kind: MemberKind | str
) -> MemberOut:
    """Register a member organisation; ``code`` is its stable short code (e.g. ``BHXH``)."""
    _check_code(code, "member code")
    try:
        kind = MemberKind(kind)
    except ValueError as exc:
        raise RegistryError(f"kind must be one of {', '.join(MemberKind)}") from exc
    if session.get(Member, code) is not None:
        raise MemberExists(f"member {code!r} is already registered")
    row = Member(code=code, name_vi=name_vi, name_en=name_en, kind=kind.value, active=True,
                 created_at=_now())  # fmt: skip
    session.add(row)
    session.flush()
    return MemberOut.model_validate(row)


def list_members(session: Session) -> list[MemberOut]:
    rows = session.scalars(select(Member).order_by(Member.code))
    return [MemberOut.model_validate(r) for r in rows]


def set_member_active(session: Session, code: str, active: bool) -> MemberOut:
    """Deactivating a member refuses every token of its clients at once."""
    row = session.get(Member, code)
    if row is None:
        raise MemberNotFound(f"no member {code!r}")
    row.active = active
    session.flush()
    return MemberOut.model_validate(row)


# ---- clients -----------------------------------------------------------------------------------


def register_client(session: Session, member_code: str, code: str, name: str) -> ClientOut:
    """Register a client system; its id is ``<member>/<code>`` and is the tokens' ``iss``."""
    _check_code(code, "client code")
    member = session.get(Member, member_code)
    if member is None:
        raise MemberNotFound(f"no member {member_code!r}")
    client_id = f"{member_code}/{code}"
    if session.get(Client, client_id) is not None:
        raise ClientExists(f"client {client_id!r} is already registered")
    row = Client(id=client_id, member_code=member_code, name=name, active=True, created_at=_now())
    session.add(row)
    session.flush()
    return ClientOut.model_validate(row)


def list_clients(session: Session, member_code: str | None = None) -> list[ClientOut]:
    stmt = select(Client).order_by(Client.id)
    if member_code is not None:
        stmt = stmt.where(Client.member_code == member_code)
    return [ClientOut.model_validate(r) for r in session.scalars(stmt)]


def set_client_active(session: Session, client_id: str, active: bool) -> ClientOut:
    """Deactivating a client refuses its tokens at once; its keys stay for the record."""
    row = session.get(Client, client_id)
    if row is None:
        raise ClientNotFound(f"no client {client_id!r}")
    row.active = active
    session.flush()
    return ClientOut.model_validate(row)


# ---- keys --------------------------------------------------------------------------------------


def add_key(
    session: Session,
    client_id: str,
    public_key_pem: str,
    algorithm: KeyAlgorithm | str | None = None,
) -> KeyOut:
    """Register a client's public key; the algorithm is read from the key if not given."""
    if session.get(Client, client_id) is None:
        raise ClientNotFound(f"no client {client_id!r}")
    key, found = load_public_key(public_key_pem)
    if algorithm is not None and KeyAlgorithm(algorithm) is not found:
        raise InvalidKey(f"the key is a {found.value} key, not {KeyAlgorithm(algorithm).value}")
    kid = thumbprint(key)
    if session.get(ClientKey, kid) is not None:
        raise KeyExists(f"key {kid} is already registered")
    row = ClientKey(kid=kid, client_id=client_id, algorithm=found.value,
                    public_key_pem=public_pem(key), created_at=_now())  # fmt: skip
    session.add(row)
    session.flush()
    return KeyOut.model_validate(row)


def issue_key(
    session: Session, client_id: str, algorithm: KeyAlgorithm | str = KeyAlgorithm.EDDSA
) -> IssuedKey:
    """Generate a key pair, register its public half, and return the private PEM once."""
    private_pem, pub = generate_key_pair(KeyAlgorithm(algorithm))
    return IssuedKey(key=add_key(session, client_id, pub), private_key_pem=private_pem)


def rotate(
    session: Session,
    client_id: str,
    public_key_pem: str | None = None,
    algorithm: KeyAlgorithm | str = KeyAlgorithm.EDDSA,
) -> KeyOut | IssuedKey:
    """Add a new key; the old keys stay valid until :func:`revoke_key`, so clients switch over
    without downtime. With ``public_key_pem`` the client keeps its private key to itself."""
    if public_key_pem is not None:
        return add_key(session, client_id, public_key_pem)
    return issue_key(session, client_id, algorithm)


def revoke_key(session: Session, kid: str) -> KeyOut:
    """Revoke a key; every later verification refuses it (checked in the store on each token)."""
    row = session.get(ClientKey, kid)
    if row is None:
        raise KeyNotFound(f"no key {kid!r}")
    if row.revoked_at is None:
        row.revoked_at = _now()
        session.flush()
    return KeyOut.model_validate(row)


def list_keys(session: Session, client_id: str | None = None) -> list[KeyOut]:
    stmt = select(ClientKey).order_by(ClientKey.client_id, ClientKey.created_at)
    if client_id is not None:
        stmt = stmt.where(ClientKey.client_id == client_id)
    return [KeyOut.model_validate(r) for r in session.scalars(stmt)]
