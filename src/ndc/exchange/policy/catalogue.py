"""The sharing catalogue: which client (or member) may use which fields of which dataset, for
which purposes, on which legal basis, and when. Anything not granted here is denied.

Functions take a ``Session`` and flush; the caller commits (one admin request = one commit).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import ClientNotFound, MemberNotFound
from ndc.exchange.models import Client, Member
from ndc.exchange.policy.exceptions import InvalidRule, RuleNotFound
from ndc.exchange.policy.models import Consent, SharingRule
from ndc.exchange.policy.purposes import Access, Dataset, Purpose
from ndc.exchange.policy.schemas import RuleOut
from ndc.exchange.service import create_tables as create_registry_tables
from ndc.store.engine import Base

TABLES: list[Table] = [Base.metadata.tables[m.__tablename__] for m in (SharingRule, Consent)]


def create_tables(engine: Engine) -> None:
    """Create the registry tables (referenced by foreign keys) and the catalogue and consents."""
    create_registry_tables(engine)
    Base.metadata.create_all(engine, tables=TABLES)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: everything is stored in UTC, so attach UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc_opt(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def parse_dataset(value: str, error: type[ValueError] = InvalidRule) -> Dataset:
    try:
        return Dataset(value)
    except ValueError as exc:
        raise error(f"unknown dataset {value!r}; use one of {', '.join(Dataset)}") from exc


def parse_purpose(value: str, error: type[ValueError] = InvalidRule) -> Purpose:
    try:
        return Purpose(value)
    except ValueError as exc:
        raise error(f"unknown purpose {value!r}; use one of {', '.join(Purpose)}") from exc


def check_fields(
    dataset: Dataset, fields: Iterable[str], error: type[ValueError] = InvalidRule
) -> list[str]:
    """Sorted, de-duplicated field names, all of them fields of ``dataset``."""
    names = sorted(set(fields))
    if not names:
        raise error("name at least one field")
    unknown = [f for f in names if f not in dataset.fields]
    if unknown:
        raise error(f"{dataset.value} has no field(s) {', '.join(unknown)}")
    return names


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidRule(f"{what} must carry a time zone (e.g. 2026-01-01T00:00:00+07:00)")
    return as_utc_opt(value)


def rule_out(row: SharingRule) -> RuleOut:
    return RuleOut(
        id=row.id, dataset=Dataset(row.dataset), member_code=row.member_code,
        client_id=row.client_id, fields=list(row.fields),
        purposes=[Purpose(p) for p in row.purposes],
        access=Access(row.access), legal_basis=row.legal_basis, valid_from=as_utc(row.valid_from),
        valid_until=as_utc_opt(row.valid_until), covert_allowed=row.covert_allowed,
        created_at=as_utc(row.created_at), revoked_at=as_utc_opt(row.revoked_at),
    )  # fmt: skip


def grant_rule(
    session: Session,
    *,
    dataset: Dataset | str,
    fields: Iterable[str],
    purposes: Iterable[Purpose | str],
    legal_basis: str,
    client_id: str | None = None,
    member_code: str | None = None,
    access: Access | str = Access.READ,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    covert_allowed: bool = False,
    now: datetime | None = None,
) -> RuleOut:
    """Add a catalogue rule for one client, or (``member_code``) for every client of a member."""
    ds = parse_dataset(str(dataset))
    names = check_fields(ds, fields)
    codes = sorted({parse_purpose(str(p)) for p in purposes})
    if not codes:
        raise InvalidRule("name at least one purpose")
    try:
        acc = Access(access)
    except ValueError as exc:
        raise InvalidRule(f"access must be one of {', '.join(Access)}") from exc
    basis = legal_basis.strip()
    if len(basis) < 3:
        raise InvalidRule("a rule needs its legal basis (e.g. 'Nghị định 278/2025/NĐ-CP')")
    if (client_id is None) == (member_code is None):
        raise InvalidRule("give either a client id or a member code (for all its clients)")
    if client_id is not None:
        client = session.get(Client, client_id)
        if client is None:
            raise ClientNotFound(f"no client {client_id!r}")
        member_code = client.member_code
    elif session.get(Member, member_code) is None:
        raise MemberNotFound(f"no member {member_code!r}")
    assert member_code is not None
    created = as_utc(now or utcnow())
    start = _aware(valid_from, "valid_from") or created
    end = _aware(valid_until, "valid_until")
    if end is not None and end <= start:
        raise InvalidRule("valid_until must be after valid_from")
    if covert_allowed and not any(p.covert_allowed for p in codes):
        covert = ", ".join(p.value for p in Purpose if p.covert_allowed)
        raise InvalidRule(f"covert access is only for the purposes {covert}")
    row = SharingRule(
        id="r_" + secrets.token_hex(6), dataset=ds.value, member_code=member_code,
        client_id=client_id, fields=names, purposes=[p.value for p in codes], access=acc.value,
        legal_basis=basis, valid_from=start, valid_until=end, covert_allowed=covert_allowed,
        created_at=created,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return rule_out(row)


def revoke_rule(session: Session, rule_id: str, now: datetime | None = None) -> RuleOut:
    """Revoke a rule (kept for the record); decisions stop using it within the cache time."""
    row = session.get(SharingRule, rule_id)
    if row is None:
        raise RuleNotFound(f"no catalogue rule {rule_id!r}")
    if row.revoked_at is None:
        row.revoked_at = as_utc(now or utcnow())
        session.flush()
    return rule_out(row)


def get_rule(session: Session, rule_id: str) -> RuleOut:
    row = session.get(SharingRule, rule_id)
    if row is None:
        raise RuleNotFound(f"no catalogue rule {rule_id!r}")
    return rule_out(row)


def list_rules(
    session: Session,
    *,
    client_id: str | None = None,
    member_code: str | None = None,
    dataset: str | None = None,
    include_revoked: bool = False,
) -> list[RuleOut]:
    """Rules, oldest first; ``member_code`` selects a member's client and member-wide rules."""
    stmt = select(SharingRule).order_by(SharingRule.created_at, SharingRule.id)
    if client_id is not None:
        stmt = stmt.where(SharingRule.client_id == client_id)
    if member_code is not None:
        stmt = stmt.where(SharingRule.member_code == member_code)
    if dataset is not None:
        stmt = stmt.where(SharingRule.dataset == dataset)
    if not include_revoked:
        stmt = stmt.where(SharingRule.revoked_at.is_(None))
    return [rule_out(r) for r in session.scalars(stmt)]
