"""Catalogue, consent and policy errors, each with a stable ``problem_type`` and HTTP ``status``.

All are terminal: the caller (or the citizen, or an admin) must change something; retrying the
same request cannot succeed.
"""

from __future__ import annotations

from ndc.exchange.exceptions import NotFoundError, RegistryError


class PolicyError(RegistryError):
    """Base class of catalogue and consent errors."""


class InvalidRule(PolicyError, ValueError):
    """A catalogue rule is malformed; unknown dataset, field or purpose, bad window..."""

    problem_type = "invalid-rule"
    status = 422


class RuleNotFound(NotFoundError, PolicyError):
    """No catalogue rule with that id."""

    problem_type = "rule-not-found"


class InvalidConsent(PolicyError, ValueError):
    """A consent request is malformed; subject id, dataset, fields, purpose, window, data life."""

    problem_type = "invalid-consent"
    status = 422


class ConsentNotFound(NotFoundError, PolicyError):
    """No consent with that id (or not one of this citizen's / this requester's)."""

    problem_type = "consent-not-found"


class ConsentStateConflict(PolicyError):
    """The consent's state does not allow this step.

    For example approving a revoked consent, or revoking one that has expired.
    """

    problem_type = "consent-state-conflict"
    status = 409


class NotEntitled(PolicyError):
    """Forbidden for this caller; ``reason`` (the problem type) is the stable denial code."""

    problem_type = "forbidden"
    status = 403

    def __init__(self, message: str, reason: str = "forbidden") -> None:
        super().__init__(message)
        self.reason = reason
        self.problem_type = reason
