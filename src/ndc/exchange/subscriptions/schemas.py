"""Subscription I/O shapes: the request, the read models and the minimised change notice."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Dataset = Literal["person", "enterprise"]


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up (too old, or the receiver is gone); can be redelivered


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubscriptionIn(_Frozen):
    """What a client asks to be told about."""

    dataset: Dataset
    callback_url: str = Field(max_length=2000, examples=["https://claims.bhxh.gov.vn/ndc-hook"])
    subjects: list[str] | None = Field(
        default=None,
        max_length=100_000,
        description="Record ids (CCCD / MST) to follow; omit for the whole dataset.",
    )
    attributes: list[str] | None = Field(
        default=None,
        max_length=200,
        description="Notify updates only when one of these attributes changed; omit for any "
        "attribute the client may read.",
    )


class SubscriptionOut(_Frozen):
    id: str
    client_id: str
    dataset: Dataset
    purpose: str
    subjects: list[str] | None
    attributes: list[str] | None
    callback_url: str
    active: bool
    inactive_reason: str | None
    created_at: datetime
    cursor: int = Field(description="The last change seq dispatched to this subscription.")


class CreatedSubscription(SubscriptionOut):
    """A new subscription with its signing secret, which is shown this once."""

    secret: str = Field(repr=False, description="Standard Webhooks secret (whsec_...).")


class ChangeNotice(_Frozen):
    """A change, minimised: which record changed and which attribute names, never values.

    The client fetches the values it needs through the (audited) records API.
    """

    id: str = Field(description="Webhook: the delivery id (= webhook-id); feed: evt_<seq>.")
    type: str = Field(examples=["golden.person.updated"])
    subscription_id: str | None = None
    seq: int
    dataset: Dataset
    subject: str
    version: int
    attributes: list[str] | None = Field(
        description="Names of the changed attributes; null for created and deleted records."
    )
    occurred_at: datetime


class ChangeFeed(_Frozen):
    events: list[ChangeNotice]
    next_cursor: int = Field(description="Pass back as ?cursor= to continue.")


class DeliveryOut(_Frozen):
    id: str
    subscription_id: str
    seq: int
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    notice: ChangeNotice


class DispatchResult(_Frozen):
    events: int  # change events read
    deliveries: int  # delivery rows created
    cursor: int  # the highest seq dispatched


class DeliverResult(_Frozen):
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0  # given up after the maximum age, or 410 Gone
    deactivated: int = 0  # subscriptions whose receiver answered 410 Gone
