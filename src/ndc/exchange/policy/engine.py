"""The policy decision: may this client, for this purpose, have these fields of this dataset?

Default deny. A catalogue rule (legal basis) permits when dataset, client (or its member, for a
member-wide rule), purpose, access and validity window all fit; requested fields must all be
allowed — a request is refused rather than silently trimmed. Without such a rule, a citizen's
active consent for the requester member, dataset and purpose can permit instead.

Rules are few and change rarely, so they are cached in memory for ``cache_seconds`` (a decision
from the cache costs microseconds); consents are read from the store on every decision so that a
citizen's revocation takes effect at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ndc.exchange.exceptions import RetryableExchangeError
from ndc.exchange.policy.catalogue import as_utc, as_utc_opt
from ndc.exchange.policy.consent import consent_state
from ndc.exchange.policy.models import Consent, SharingRule
from ndc.exchange.policy.purposes import Access, Dataset, Purpose
from ndc.exchange.policy.schemas import ConsentState


class Reason(StrEnum):
    """Stable decision codes (a denial's code is the API problem type)."""

    PERMITTED = "permitted"
    NO_ENTITLEMENT = "no-entitlement"
    PURPOSE_NOT_ALLOWED = "purpose-not-allowed"
    ACCESS_NOT_ALLOWED = "access-not-allowed"  # only a verify rule, and values were asked
    FIELDS_NOT_ALLOWED = "fields-not-allowed"
    RULE_NOT_YET_VALID = "rule-not-yet-valid"
    RULE_EXPIRED = "rule-expired"
    CONSENT_REQUIRED = "consent-required"  # no consent, or one the citizen has not approved
    CONSENT_NOT_YET_VALID = "consent-not-yet-valid"
    CONSENT_REJECTED = "consent-rejected"
    CONSENT_REVOKED = "consent-revoked"
    CONSENT_EXPIRED = "consent-expired"


@dataclass(frozen=True, slots=True)
class Decision:
    permit: bool
    fields: tuple[str, ...]  # allowed fields (sorted); a response carries only these
    legal_basis: str | None  # of the rule(s); None when a consent permits
    consent_id: str | None
    rule_id: str | None  # several rules together: their ids joined by ","
    reason: str
    covert_allowed: bool
    retain_until: datetime | None = None  # consent's data life: delete the data by then


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    fields: frozenset[str]
    purposes: frozenset[str]
    read: bool
    legal_basis: str
    valid_from: datetime
    valid_until: datetime | None
    covert: bool


@dataclass(frozen=True, slots=True)
class _Snapshot:
    loaded_at: float
    by_client: dict[tuple[str, str], tuple[_Rule, ...]]  # (dataset, client_id)
    by_member: dict[tuple[str, str], tuple[_Rule, ...]]  # (dataset, member_code), member-wide


_COVERT_PURPOSES = frozenset(p.value for p in Purpose if p.covert_allowed)
_CONSENT_PURPOSES = frozenset(p.value for p in Purpose if p.consent_allowed)
_PERSONAL = frozenset(d.value for d in Dataset if d.personal)
_CONSENT_REASONS = {  # a consent that does not permit, most telling first
    ConsentState.PENDING: Reason.CONSENT_REQUIRED,
    ConsentState.REVOKED: Reason.CONSENT_REVOKED,
    ConsentState.EXPIRED: Reason.CONSENT_EXPIRED,
    ConsentState.REJECTED: Reason.CONSENT_REJECTED,
}
_ORDER = [Reason.FIELDS_NOT_ALLOWED, Reason.CONSENT_NOT_YET_VALID, *_CONSENT_REASONS.values()]


def _deny(reason: Reason) -> Decision:
    return Decision(False, (), None, None, None, reason.value, False)


class PolicyEngine:
    """Thread-safe decisions over the catalogue (cached) and consents (read each time)."""

    def __init__(self, engine: Engine, cache_seconds: float = 1.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._snap: _Snapshot | None = None

    def invalidate(self) -> None:
        """Forget the cached rules (after a change made in this process)."""
        self._snap = None

    def decide(
        self,
        *,
        client_id: str,
        member_code: str,
        dataset: str,
        purpose: str,
        subject_id: str | None,
        fields: Sequence[str] | None = None,
        access: Access = Access.READ,
        now: datetime | None = None,
    ) -> Decision:
        at = datetime.now(UTC) if now is None else as_utc(now)
        snap = self._snapshot()
        rules = snap.by_client.get((dataset, client_id), ()) + snap.by_member.get(
            (dataset, member_code), ()
        )
        wanted = None if fields is None else frozenset(fields)
        read = access != Access.VERIFY  # anything but an explicit verify asks for values
        matching: list[_Rule] = []
        window: Reason | None = None
        verify_only = other_purpose = False
        for r in rules:
            if purpose not in r.purposes:
                other_purpose = True
            elif read and not r.read:
                verify_only = True
            elif at < r.valid_from:
                window = window or Reason.RULE_NOT_YET_VALID
            elif r.valid_until is not None and at >= r.valid_until:
                window = Reason.RULE_EXPIRED
            else:
                matching.append(r)
        if matching:
            decision = _by_rules(matching, wanted, purpose)
            if decision is not None:
                return decision
        consent_reason: Reason | None = None
        if subject_id is not None and dataset in _PERSONAL and purpose in _CONSENT_PURPOSES:
            decision, consent_reason = self._by_consent(
                subject_id, client_id, member_code, dataset, purpose, wanted, at
            )
            if decision is not None:
                return decision
        if matching:
            return _deny(Reason.FIELDS_NOT_ALLOWED)
        if window is not None:
            return _deny(window)
        if consent_reason is not None:
            return _deny(consent_reason)
        if verify_only:
            return _deny(Reason.ACCESS_NOT_ALLOWED)
        if other_purpose:
            return _deny(Reason.PURPOSE_NOT_ALLOWED)
        if subject_id is not None and dataset in _PERSONAL and purpose in _CONSENT_PURPOSES:
            return _deny(Reason.CONSENT_REQUIRED)
        return _deny(Reason.NO_ENTITLEMENT)

    def _by_consent(
        self,
        subject_id: str,
        client_id: str,
        member_code: str,
        dataset: str,
        purpose: str,
        wanted: frozenset[str] | None,
        at: datetime,
    ) -> tuple[Decision | None, Reason | None]:
        stmt = (
            select(Consent)
            .where(Consent.subject_id == subject_id, Consent.requester_member == member_code,
                   Consent.dataset == dataset, Consent.purpose == purpose)
            .order_by(Consent.created_at.desc())
        )  # fmt: skip
        try:
            with Session(self.engine) as session:
                rows = session.scalars(stmt).all()
        except OperationalError as exc:
            raise RetryableExchangeError(f"could not read consents: {exc}") from exc
        found: list[Reason] = []
        for c in rows:
            if c.requester_client is not None and c.requester_client != client_id:
                continue
            state = consent_state(c, at)
            if state is not ConsentState.ACTIVE:
                found.append(_CONSENT_REASONS[state])
            elif at < as_utc(c.valid_from):
                found.append(Reason.CONSENT_NOT_YET_VALID)
            elif wanted is not None and not wanted <= set(c.fields):
                found.append(Reason.FIELDS_NOT_ALLOWED)
            else:
                allowed = tuple(sorted(c.fields if wanted is None else wanted))
                retain = at + timedelta(days=c.data_life_days)
                return Decision(True, allowed, None, c.id, None, Reason.PERMITTED.value, False,
                                retain), None  # fmt: skip
        return None, min(found, key=_ORDER.index) if found else None

    def _snapshot(self) -> _Snapshot:
        snap = self._snap
        if snap is not None and time.monotonic() - snap.loaded_at < self.cache_seconds:
            return snap
        with self._lock:
            snap = self._snap
            if snap is None or time.monotonic() - snap.loaded_at >= self.cache_seconds:
                snap = self._load()
                self._snap = snap
            return snap

    def _load(self) -> _Snapshot:
        loaded_at = time.monotonic()
        try:
            with Session(self.engine) as session:
                rows = session.scalars(
                    select(SharingRule).where(SharingRule.revoked_at.is_(None))
                    .order_by(SharingRule.id)
                ).all()  # fmt: skip
        except OperationalError as exc:
            raise RetryableExchangeError(f"could not read the sharing catalogue: {exc}") from exc
        by_client: dict[tuple[str, str], list[_Rule]] = {}
        by_member: dict[tuple[str, str], list[_Rule]] = {}
        for r in rows:
            rule = _Rule(
                r.id, frozenset(r.fields), frozenset(r.purposes), r.access == Access.READ.value,
                r.legal_basis, as_utc(r.valid_from), as_utc_opt(r.valid_until), r.covert_allowed,
            )  # fmt: skip
            if r.client_id is None:
                by_member.setdefault((r.dataset, r.member_code), []).append(rule)
            else:
                by_client.setdefault((r.dataset, r.client_id), []).append(rule)
        return _Snapshot(
            loaded_at,
            {k: tuple(v) for k, v in by_client.items()},
            {k: tuple(v) for k, v in by_member.items()},
        )


def _by_rules(rules: list[_Rule], wanted: frozenset[str] | None, purpose: str) -> Decision | None:
    """Permit from the matching rules, or None if they do not cover every requested field."""
    if wanted is None:
        used = rules
        allowed: frozenset[str] = frozenset().union(*(r.fields for r in rules))
    else:
        single = next((r for r in rules if wanted <= r.fields), None)
        if single is not None:
            used = [single]
        else:  # several rules together may cover the request
            used = [r for r in rules if wanted & r.fields]
            if not wanted <= frozenset().union(*(r.fields for r in used)):
                return None
        allowed = wanted
    bases = list(dict.fromkeys(r.legal_basis for r in used))
    covert = purpose in _COVERT_PURPOSES and all(r.covert for r in used)
    return Decision(True, tuple(sorted(allowed)), "; ".join(bases), None,
                    ",".join(r.id for r in used), Reason.PERMITTED.value, covert)  # fmt: skip
