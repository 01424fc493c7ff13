"""Standard Webhooks signatures (https://www.standardwebhooks.com): sign, and verify on receipt.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``; the signature is
``v1,<base64 HMAC-SHA256>`` keyed with the base64-decoded part of the ``whsec_...`` secret.
Receivers check the timestamp too, so a captured request cannot be replayed later; and they
de-duplicate on ``webhook-id``, which stays the same on every retry of one notification.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from ndc.exchange.subscriptions.exceptions import WebhookVerificationError

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A new signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise WebhookVerificationError("the secret is not whsec_<base64>") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one request."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers plus the content type."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = 300,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a received webhook and return its JSON payload.

    Raises :class:`WebhookVerificationError` when a header is missing, the timestamp is more than
    ``tolerance`` seconds away from ``now``, or no ``v1`` signature matches (``webhook-signature``
    may carry several, space-separated, while a secret is being rotated).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    try:
        msg_id, stamp, sigs = (lower[h] for h in names)
    except KeyError as exc:
        raise WebhookVerificationError(f"missing header {exc.args[0]}") from exc
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body).encode()
    if not any(hmac.compare_digest(expected, s.encode()) for s in sigs.split()):
        raise WebhookVerificationError("no signature matches")
    try:
        payload: dict[str, Any] = json.loads(body)
    except ValueError as exc:
        raise WebhookVerificationError("the body is not JSON") from exc
    return payload
