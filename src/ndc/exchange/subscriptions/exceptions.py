"""Subscription errors: terminal ones the client must fix, mapped to RFC 9457 problem types."""

from __future__ import annotations

from ndc.exchange.exceptions import ExchangeError, NotFoundError


class SubscriptionError(ExchangeError):
    """Terminal: the subscription request is invalid; sending it again cannot succeed."""

    problem_type = "subscription-invalid"
    status = 422


class InvalidCallback(SubscriptionError):
    """The callback URL is not https (plain http is allowed to loopback addresses only)."""

    problem_type = "subscription-invalid-callback"


class TooManySubscriptions(SubscriptionError):
    """The client already has the maximum number of live subscriptions; delete one first."""

    problem_type = "subscription-limit"
    status = 409


class SubscriptionNotFound(NotFoundError):
    """No live subscription with that id belongs to the calling client."""


class DeliveryNotFound(NotFoundError):
    """No delivery with that id in that subscription."""


class SubscriptionInactive(ExchangeError):
    """The subscription was deleted or deactivated (its receiver answered 410 Gone)."""

    problem_type = "subscription-inactive"
    status = 409


class NotEntitled(ExchangeError):
    """The client may not read the dataset for the stated purpose; ``problem_type`` is the
    policy's denial code (``no-entitlement``, ``purpose-not-allowed``, ...)."""

    status = 403

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.problem_type = reason


class WebhookVerificationError(ValueError):
    """A received webhook is not authentic or too old: the receiver must reject it."""
