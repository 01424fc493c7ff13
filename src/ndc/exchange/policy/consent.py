"""Citizen consents (Law 91/2025): explicit, specific (dataset, fields, purpose), time-limited,
withdrawable at any time; silence is never consent.

A requester asks (``pending``); only the citizen's approval makes a consent ``active``. An active
consent can be revoked at once; past ``valid_until`` it reads as ``expired`` (computed on every
read by :func:`consent_state`, so a stale "active" is never reported). ``data_life_days`` is how
long the requester may keep data received under the consent.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import ClientNotFound, MemberNotFound
from ndc.exchange.models import Client, Member
from ndc.exchange.policy.catalogue import (
    as_utc,
    as_utc_opt,
    check_fields,
    parse_dataset,
    parse_purpose,
    utcnow,
)
from ndc.exchange.policy.exceptions import (
    ConsentNotFound,
    ConsentStateConflict,
    InvalidConsent,
)
from ndc.exchange.policy.models import Consent
from ndc.exchange.policy.purposes import Dataset, Purpose, field_label_vi
from ndc.exchange.policy.schemas import CitizenConsentOut, ConsentOut, ConsentState

_CCCD = re.compile(r"^\d{12}$")
MAX_DATA_LIFE_DAYS = 3650


def consent_state(row: Consent, now: datetime | None = None) -> ConsentState:
    """The state as of ``now``: pending or active past ``valid_until`` reads as expired."""
    stored = ConsentState(row.state)
    live = stored in (ConsentState.PENDING, ConsentState.ACTIVE)
    if live and as_utc(now or utcnow()) >= as_utc(row.valid_until):
        return ConsentState.EXPIRED
    return stored


def consent_out(row: Consent, now: datetime | None = None) -> ConsentOut:
    state = consent_state(row, now)
    dataset, purpose = Dataset(row.dataset), Purpose(row.purpose)
    return ConsentOut(
        id=row.id, subject_id=row.subject_id, requester_member=row.requester_member,
        requester_client=row.requester_client, dataset=dataset, dataset_label_vi=dataset.label_vi,
        fields=list(row.fields), purpose=purpose, purpose_label_vi=purpose.label_vi,
        note=row.note, valid_from=as_utc(row.valid_from), valid_until=as_utc(row.valid_until),
        data_life_days=row.data_life_days, state=state, state_label_vi=state.label_vi,
        created_at=as_utc(row.created_at), decided_at=as_utc_opt(row.decided_at),
        revoked_at=as_utc_opt(row.revoked_at),
    )  # fmt: skip


def citizen_view(session: Session, out: ConsentOut) -> CitizenConsentOut:
    """Add what the citizen needs to decide: the requester's name and the fields' labels."""
    member = session.get(Member, out.requester_member)
    return CitizenConsentOut(
        **out.model_dump(),
        requester_name_vi=member.name_vi if member else out.requester_member,
        field_labels_vi={f: field_label_vi(out.dataset, f) for f in out.fields},
    )


def _check_subject(subject_id: str) -> str:
    if not _CCCD.match(subject_id):
        raise InvalidConsent("the subject id must be a 12-digit CCCD number")
    return subject_id


def request_consent(
    session: Session,
    *,
    subject_id: str,
    requester_member: str,
    dataset: Dataset | str,
    fields: Iterable[str],
    purpose: Purpose | str,
    valid_until: datetime,
    data_life_days: int,
    requester_client: str | None = None,
    valid_from: datetime | None = None,
    note: str | None = None,
    now: datetime | None = None,
    consent_id: str | None = None,
) -> ConsentOut:
    """Record a requester's request for a citizen's consent; it permits nothing until approved.

    ``consent_id`` replays a request already validated (and recorded elsewhere) under its id.
    """
    _check_subject(subject_id)
    ds = parse_dataset(str(dataset), InvalidConsent)
    if not ds.personal:
        raise InvalidConsent(f"dataset {ds.value} is not about a citizen: consent cannot open it")
    names = check_fields(ds, fields, InvalidConsent)
    code = parse_purpose(str(purpose), InvalidConsent)
    if not code.consent_allowed:
        raise InvalidConsent(f"purpose {code.value} rests on law, never on consent")
    if not 1 <= data_life_days <= MAX_DATA_LIFE_DAYS:
        raise InvalidConsent(f"data life must be 1-{MAX_DATA_LIFE_DAYS} days")
    if session.get(Member, requester_member) is None:
        raise MemberNotFound(f"no member {requester_member!r}")
    if requester_client is not None:
        client = session.get(Client, requester_client)
        if client is None or client.member_code != requester_member:
            raise ClientNotFound(f"no client {requester_client!r} of member {requester_member}")
    for value, what in ((valid_from, "valid_from"), (valid_until, "valid_until")):
        if value is not None and value.tzinfo is None:
            raise InvalidConsent(f"{what} must carry a time zone")
    created = as_utc(now or utcnow())
    start = as_utc(valid_from) if valid_from else created
    end = as_utc(valid_until)
    if end <= max(start, created):
        raise InvalidConsent("valid_until must be in the future and after valid_from")
    row = Consent(
        id=consent_id or "c_" + secrets.token_hex(10), subject_id=subject_id,
        requester_member=requester_member, requester_client=requester_client, dataset=ds.value,
        fields=names, purpose=code.value, note=note, valid_from=start, valid_until=end,
        data_life_days=data_life_days, state=ConsentState.PENDING.value, created_at=created,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return consent_out(row, created)


def _load(session: Session, consent_id: str, subject_id: str | None) -> Consent:
    row = session.get(Consent, consent_id)
    # Another citizen's consent is reported as absent: ids must not reveal whom they concern.
    if row is None or (subject_id is not None and row.subject_id != subject_id):
        raise ConsentNotFound(f"no consent {consent_id!r}")
    return row


def _transition(
    session: Session,
    consent_id: str,
    subject_id: str | None,
    allowed_from: ConsentState,
    to: ConsentState,
    now: datetime | None,
) -> ConsentOut:
    at = as_utc(now or utcnow())
    row = _load(session, consent_id, subject_id)
    current = consent_state(row, at)
    if current is not allowed_from:
        raise ConsentStateConflict(
            f"consent {consent_id} is {current.value}; only a {allowed_from.value} consent "
            f"can become {to.value}"
        )
    row.state = to.value
    if to is ConsentState.REVOKED:
        row.revoked_at = at
    else:
        row.decided_at = at
    session.flush()
    return consent_out(row, at)


def approve_consent(
    session: Session, consent_id: str, *, subject_id: str | None = None,
    now: datetime | None = None,
) -> ConsentOut:  # fmt: skip
    """The citizen's explicit approval: pending -> active (only while not expired)."""
    return _transition(session, consent_id, subject_id, ConsentState.PENDING,
                       ConsentState.ACTIVE, now)  # fmt: skip


def reject_consent(
    session: Session, consent_id: str, *, subject_id: str | None = None,
    now: datetime | None = None,
) -> ConsentOut:  # fmt: skip
    """The citizen's refusal: pending -> rejected."""
    return _transition(session, consent_id, subject_id, ConsentState.PENDING,
                       ConsentState.REJECTED, now)  # fmt: skip


def revoke_consent(
    session: Session, consent_id: str, *, subject_id: str | None = None,
    now: datetime | None = None,
) -> ConsentOut:  # fmt: skip
    """The citizen withdraws: active -> revoked, effective for the next decision."""
    return _transition(session, consent_id, subject_id, ConsentState.ACTIVE,
                       ConsentState.REVOKED, now)  # fmt: skip


def get_consent(
    session: Session,
    consent_id: str,
    *,
    subject_id: str | None = None,
    requester_member: str | None = None,
    now: datetime | None = None,
) -> ConsentOut:
    """One consent; with ``subject_id`` / ``requester_member`` only if it is theirs."""
    row = _load(session, consent_id, subject_id)
    if requester_member is not None and row.requester_member != requester_member:
        raise ConsentNotFound(f"no consent {consent_id!r}")
    return consent_out(row, now)


def list_consents(
    session: Session,
    *,
    subject_id: str | None = None,
    requester: str | None = None,
    state: ConsentState | str | None = None,
    now: datetime | None = None,
) -> list[ConsentOut]:
    """Consents, newest first, of a citizen and/or a requester member; ``state`` as computed."""
    stmt = select(Consent).order_by(Consent.created_at.desc(), Consent.id)
    if subject_id is not None:
        stmt = stmt.where(Consent.subject_id == _check_subject(subject_id))
    if requester is not None:
        stmt = stmt.where(Consent.requester_member == requester)
    at = as_utc(now or utcnow())
    out = [consent_out(r, at) for r in session.scalars(stmt)]
    if state is not None:
        wanted = ConsentState(state)
        out = [c for c in out if c.state is wanted]
    return out


def data_retention_until(received_at: datetime, data_life_days: int) -> datetime:
    """When data received under a consent must be deleted by the requester."""
    return as_utc(received_at) + timedelta(days=data_life_days)
