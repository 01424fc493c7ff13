"""Standard Webhooks signatures: receivers accept genuine requests and nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ndc.exchange.subscriptions import (
    WebhookVerificationError,
    generate_secret,
    verify_webhook,
)
from ndc.exchange.subscriptions.signing import webhook_headers

BODY = b'{"id":"msg_1","type":"golden.person.updated","seq":7}'
NOW = 1_780_000_000


def test_genuine_request_verifies_and_returns_the_payload() -> None:
    secret = generate_secret()
    headers = webhook_headers(secret, "msg_1", NOW, BODY)
    assert verify_webhook(secret, headers, BODY, now=NOW + 10)["seq"] == 7
    upper = {k.title(): v for k, v in headers.items()}  # header names are case-insensitive
    assert verify_webhook(secret, upper, BODY, now=NOW)["id"] == "msg_1"


def test_signature_is_the_spec_hmac_of_id_timestamp_body() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    expected = hmac.new(b"k" * 32, b"msg_1.%d." % NOW + BODY, hashlib.sha256).digest()
    sig = webhook_headers(secret, "msg_1", NOW, BODY)["webhook-signature"]
    assert sig == "v1," + base64.b64encode(expected).decode()


@pytest.mark.parametrize("what", ["body", "secret", "timestamp", "id", "stale", "missing"])
def test_altered_or_stale_requests_are_refused(what: str) -> None:
    secret = generate_secret()
    headers = webhook_headers(secret, "msg_1", NOW, BODY)
    body, key, now = BODY, secret, NOW
    if what == "body":
        body = BODY.replace(b"7", b"8")
    elif what == "secret":
        key = generate_secret()
    elif what == "timestamp":  # replaying the signature with a fresh timestamp
        headers["webhook-timestamp"] = str(NOW + 60)
    elif what == "id":
        headers["webhook-id"] = "msg_2"
    elif what == "stale":
        now = NOW + 301
    else:
        del headers["webhook-signature"]
    with pytest.raises(WebhookVerificationError):
        verify_webhook(key, headers, body, tolerance=300, now=now)


def test_any_of_several_signatures_may_match_during_secret_rotation() -> None:
    old, new = generate_secret(), generate_secret()
    sig_old = webhook_headers(old, "msg_1", NOW, BODY)["webhook-signature"]
    headers = webhook_headers(new, "msg_1", NOW, BODY)
    headers["webhook-signature"] = f"{sig_old} {headers['webhook-signature']}"
    assert verify_webhook(old, headers, BODY, now=NOW)["seq"] == 7
    assert verify_webhook(new, headers, BODY, now=NOW)["seq"] == 7


def test_secrets_are_random_and_standard_shaped() -> None:
    a, b = generate_secret(), generate_secret()
    assert a != b and a.startswith("whsec_")
    assert len(base64.b64decode(a.removeprefix("whsec_"))) == 32
