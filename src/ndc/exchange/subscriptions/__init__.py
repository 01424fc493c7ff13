"""Change subscriptions ("tell us once"): clients are told when golden records change.

Push: a client subscribes to a dataset (optionally some subjects and attributes) with an https
callback; :func:`dispatch` turns new change events into deliveries and :func:`deliver_due` POSTs
them as Standard Webhooks (signed, same ``webhook-id`` on every retry, back-off, give-up after
three days); :class:`Dispatcher` runs both in a background thread. Pull: :func:`feed` pages the
same notices by cursor. Notices carry record ids and attribute names, never values::

    created = create_subscription(session, "BHXH/claims", SubscriptionIn(dataset="person",
        callback_url="https://claims.bhxh.gov.vn/hook"), purpose="social-insurance")
    dispatch(engine); deliver_due(engine, new_http_client())
    payload = verify_webhook(created.secret, request.headers, request.body)  # on the receiver
"""

from __future__ import annotations

from ndc.exchange.subscriptions.changes import dispatch, feed
from ndc.exchange.subscriptions.delivery import (
    RetryPolicy,
    backoff,
    deliver_due,
    new_http_client,
    next_due,
)
from ndc.exchange.subscriptions.dispatcher import Dispatcher, dispatching
from ndc.exchange.subscriptions.entitlement import readable_fields
from ndc.exchange.subscriptions.exceptions import (
    DeliveryNotFound,
    InvalidCallback,
    NotEntitled,
    SubscriptionError,
    SubscriptionInactive,
    SubscriptionNotFound,
    TooManySubscriptions,
    WebhookVerificationError,
)
from ndc.exchange.subscriptions.models import Delivery, Subscription
from ndc.exchange.subscriptions.schemas import (
    ChangeFeed,
    ChangeNotice,
    CreatedSubscription,
    DeliverResult,
    DeliveryOut,
    DeliveryStatus,
    DispatchResult,
    SubscriptionIn,
    SubscriptionOut,
)
from ndc.exchange.subscriptions.service import (
    check_callback,
    create_subscription,
    create_tables,
    delete_subscription,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    purge_deliveries,
    redeliver,
)
from ndc.exchange.subscriptions.signing import generate_secret, sign, verify_webhook

__all__ = [
    "ChangeFeed",
    "ChangeNotice",
    "CreatedSubscription",
    "DeliverResult",
    "Delivery",
    "DeliveryNotFound",
    "DeliveryOut",
    "DeliveryStatus",
    "DispatchResult",
    "Dispatcher",
    "InvalidCallback",
    "NotEntitled",
    "RetryPolicy",
    "Subscription",
    "SubscriptionError",
    "SubscriptionIn",
    "SubscriptionInactive",
    "SubscriptionNotFound",
    "SubscriptionOut",
    "TooManySubscriptions",
    "WebhookVerificationError",
    "backoff",
    "check_callback",
    "create_subscription",
    "create_tables",
    "delete_subscription",
    "deliver_due",
    "dispatch",
    "dispatching",
    "feed",
    "generate_secret",
    "get_subscription",
    "list_deliveries",
    "list_subscriptions",
    "new_http_client",
    "next_due",
    "purge_deliveries",
    "readable_fields",
    "redeliver",
    "sign",
    "verify_webhook",
]
