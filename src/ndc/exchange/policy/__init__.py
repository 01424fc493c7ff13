"""Sharing policy of the data exchange: the catalogue, citizen consents and the decision.

An admin grants catalogue rules (Decree 278/2025: which client may use which fields of which
dataset, for which purposes, on which legal basis); a citizen approves or revokes consents (Law
91/2025); :class:`PolicyEngine` decides each request, denying by default::

    from ndc.exchange.policy import PolicyEngine, Purpose, grant_rule
    with Session(engine) as s, s.begin():
        grant_rule(s, dataset="person", client_id="BHXH/claims", fields=["full_name"],
                   purposes=[Purpose.SOCIAL_INSURANCE], legal_basis="Nghị định 278/2025/NĐ-CP")
    decision = PolicyEngine(engine).decide(client_id="BHXH/claims", member_code="BHXH",
                                           dataset="person", purpose="social-insurance",
                                           subject_id="001090000001", fields=["full_name"])
"""

from __future__ import annotations

from ndc.exchange.policy.catalogue import (
    create_tables,
    get_rule,
    grant_rule,
    list_rules,
    revoke_rule,
)
from ndc.exchange.policy.consent import (
    approve_consent,
    citizen_view,
    consent_state,
    get_consent,
    list_consents,
    reject_consent,
    request_consent,
    revoke_consent,
)
from ndc.exchange.policy.engine import Decision, PolicyEngine, Reason
from ndc.exchange.policy.exceptions import (
    ConsentNotFound,
    ConsentStateConflict,
    InvalidConsent,
    InvalidRule,
    NotEntitled,
    PolicyError,
    RuleNotFound,
)
from ndc.exchange.policy.purposes import Access, Dataset, Purpose
from ndc.exchange.policy.schemas import (
    CitizenConsentOut,
    ConsentOut,
    ConsentRequestIn,
    ConsentState,
    RuleIn,
    RuleOut,
)

__all__ = [
    "Access",
    "CitizenConsentOut",
    "ConsentNotFound",
    "ConsentOut",
    "ConsentRequestIn",
    "ConsentState",
    "ConsentStateConflict",
    "Dataset",
    "Decision",
    "InvalidConsent",
    "InvalidRule",
    "NotEntitled",
    "PolicyEngine",
    "PolicyError",
    "Purpose",
    "Reason",
    "RuleIn",
    "RuleNotFound",
    "RuleOut",
    "approve_consent",
    "citizen_view",
    "consent_state",
    "create_tables",
    "get_consent",
    "get_rule",
    "grant_rule",
    "list_consents",
    "list_rules",
    "reject_consent",
    "request_consent",
    "revoke_consent",
    "revoke_rule",
]
