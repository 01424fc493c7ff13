"""What an attacker sends, and what every refusal must look like: tokens crafted by hand,
the admin API's bearer, and the checks shared by the security, input and limit tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from tests.exchange.api.conftest import AUDIENCE, Api

from ndc.exchange.api.context import admin_secret

PROBLEM_JSON = "application/problem+json"
# Values of the golden records: none may appear in a refusal.
SECRETS = ("Nguyễn Văn An", "Trần Thị Bình", "1990-03-15", "1985-07-02", "0912345678")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(api: Api, **override: Any) -> dict[str, Any]:
    """Valid claims of the fixture's client, with ``override`` applied (None drops a claim)."""
    now = int(time.time())
    out: dict[str, Any] = {"iss": api.client_id, "aud": AUDIENCE, "iat": now, "exp": now + 60,
                           "jti": secrets.token_urlsafe(16)}  # fmt: skip
    out.update(override)
    return {k: v for k, v in out.items() if v is not None}


def signed(api: Api, kid: str | None = None, key_pem: str | None = None, **override: Any) -> str:
    """A token signed with the client's registered key (or ``key_pem``) over ``claims``."""
    pem = key_pem or api.key.private_key_pem
    assert pem is not None
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return jwt.encode(claims(api, **override), key, algorithm="EdDSA",  # type: ignore[arg-type]
                      headers={"kid": kid or api.key.key.kid})  # fmt: skip


def raw_token(header: dict[str, Any], payload: dict[str, Any], signature: bytes) -> str:
    """A JWS assembled by hand, for what a library refuses to produce (``alg: none``, ...)."""
    h = b64url(json.dumps(header).encode())
    p = b64url(json.dumps(payload).encode())
    return f"{h}.{p}.{b64url(signature)}"


def hs256_with_public_key(api: Api) -> str:
    """The classic key-confusion forgery: HMAC keyed with the (public) verification key."""
    header = {"alg": "HS256", "typ": "JWT", "kid": api.key.key.kid}
    payload = claims(api)
    h = b64url(json.dumps(header).encode())
    p = b64url(json.dumps(payload).encode())
    secret = api.key.key.public_key_pem.encode()
    mac = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(mac)}"


def other_key_pem() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def call_headers(token: str, purpose: str = "social-insurance", **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-NDC-Purpose": purpose,
            "X-NDC-User-Id": "can.bo.01", **extra}  # fmt: skip


def admin_headers(api: Api) -> dict[str, str]:
    secret = admin_secret(api.settings)
    assert secret is not None
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(r: httpx.Response, status: int, type_: str | None = None) -> dict[str, Any]:
    """A refusal: the status, an RFC 9457 document of a stable type, and nothing disclosed."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"] == PROBLEM_JSON, r.headers["content-type"]
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["type"].startswith("https://ndc.gov.vn/problems/")
    if type_ is not None:
        assert body["type"] == f"https://ndc.gov.vn/problems/{type_}", body
    assert_discloses_nothing(r)
    return body


def assert_discloses_nothing(r: httpx.Response) -> None:
    """No record value, no stack trace, no SQL in a refusal."""
    text = r.text
    for value in SECRETS:
        assert value not in text, (value, text[:500])
    leaks = (
        "Traceback",
        'File "',
        "sqlalchemy",
        "sqlite3.",
        "psycopg",
        "OperationalError",
        "ProgrammingError",
        "IntegrityError",
        "syntax error",
    )
    for leak in leaks:
        assert leak not in text, (leak, text[:500])
