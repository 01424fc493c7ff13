"""Token verification: each refusal a client can meet, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ndc.exchange import (
    AlgorithmNotAllowed,
    AuthenticationError,
    BadAudience,
    BadIssuer,
    BadSignature,
    InactiveClient,
    IssuedKey,
    KeyAlgorithm,
    MalformedToken,
    ReplayedToken,
    RevokedKey,
    TokenExpired,
    TokenLifetimeTooLong,
    TokenNotYetValid,
    TokenVerifier,
    UnknownKey,
    generate_key_pair,
    issue_key,
    make_token,
    revoke_key,
    rotate,
    set_client_active,
)
from ndc.exchange.models import UsedTokenId

from .conftest import Registered


def _token(r: Registered, **kw: Any) -> str:
    return make_token(r.key.private_key_pem, r.key.key.kid, r.client_id, **kw)


def test_valid_token_accepted(registered: Registered) -> None:
    v = registered.verifier.verify(_token(registered))
    assert (v.client_id, v.member_code, v.kid) == ("BHXH/claims", "BHXH", registered.key.key.kid)


def test_es256_key_accepted(registered: Registered) -> None:
    with Session(registered.engine) as s, s.begin():
        es = issue_key(s, registered.client_id, KeyAlgorithm.ES256)
    token = make_token(es.private_key_pem, es.key.kid, registered.client_id)
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert registered.verifier.verify(token).kid == es.key.kid


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda r: _token(r, now=int(time.time()) - 400), TokenExpired),
        (lambda r: _token(r, now=int(time.time()) + 120), TokenNotYetValid),
        (lambda r: _token(r, audience="https://other.example/api"), BadAudience),
        (lambda r: _token(r, lifetime=3600), TokenLifetimeTooLong),
        (lambda r: make_token(r.key.private_key_pem, r.key.key.kid, "BHXH/other"), BadIssuer),
        (lambda r: make_token(r.key.private_key_pem, "no-such-kid", r.client_id), UnknownKey),
        # Signed by another key but claiming the registered key's kid: a forgery.
        (
            lambda r: make_token(generate_key_pair()[0], r.key.key.kid, r.client_id),
            BadSignature,
        ),
        (lambda r: "not.a.token", MalformedToken),
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "audience",
        "too-long",
        "issuer",
        "unknown-kid",
        "forged",
        "garbage",
    ],
)
def test_refusals(
    registered: Registered, make: Callable[[Registered], str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        registered.verifier.verify(make(registered))


def test_small_clock_skew_tolerated(registered: Registered) -> None:
    assert registered.verifier.verify(_token(registered, now=int(time.time()) + 10))


def _b64(data: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(r: Registered) -> dict[str, object]:
    now = int(time.time())
    return {"iss": r.client_id, "aud": "https://ndc.gov.vn/api", "iat": now, "exp": now + 60,
            "jti": "j-" + str(now)}  # fmt: skip


def test_alg_none_refused(registered: Registered) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": registered.key.key.kid}
    token = f"{_b64(header)}.{_b64(_claims(registered))}."
    with pytest.raises(AlgorithmNotAllowed):
        registered.verifier.verify(token)


def test_hs256_with_public_key_as_secret_refused(registered: Registered) -> None:
    # The classic algorithm-confusion attack: HMAC keyed with the (public) PEM text.
    secret = registered.key.key.public_key_pem.encode()
    header = {"alg": "HS256", "typ": "JWT", "kid": registered.key.key.kid}
    signing_input = f"{_b64(header)}.{_b64(_claims(registered))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(AlgorithmNotAllowed):
        registered.verifier.verify(token)


def test_missing_jti_refused(registered: Registered) -> None:
    claims = _claims(registered)
    del claims["jti"]
    token = jwt.encode(claims, _private(registered), algorithm="EdDSA",
                       headers={"kid": registered.key.key.kid})  # fmt: skip
    with pytest.raises(MalformedToken, match="jti"):
        registered.verifier.verify(token)


def _private(r: Registered) -> Ed25519PrivateKey:
    key = load_pem_private_key(r.key.private_key_pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def test_replayed_jti_refused_across_verifiers(registered: Registered) -> None:
    token = _token(registered)
    registered.verifier.verify(token)
    with pytest.raises(ReplayedToken):
        registered.verifier.verify(token)
    # Another process (another verifier over the same store) refuses it too.
    with pytest.raises(ReplayedToken):
        TokenVerifier(registered.engine).verify(token)
    # A new token with a fresh jti passes.
    assert registered.verifier.verify(_token(registered))


def test_revoked_key_refused_at_once(registered: Registered) -> None:
    verifier = registered.verifier
    assert verifier.verify(_token(registered))  # warms the key cache
    with Session(registered.engine) as s, s.begin():
        revoke_key(s, registered.key.key.kid)
    with pytest.raises(RevokedKey):
        verifier.verify(_token(registered))


def test_rotation_both_keys_valid_until_old_revoked(registered: Registered) -> None:
    old = registered.key
    with Session(registered.engine) as s, s.begin():
        new = rotate(s, registered.client_id)
    assert isinstance(new, IssuedKey) and new.key.kid != old.key.kid

    def with_new() -> str:
        return make_token(new.private_key_pem, new.key.kid, registered.client_id)

    assert registered.verifier.verify(_token(registered)).kid == old.key.kid
    assert registered.verifier.verify(with_new()).kid == new.key.kid
    with Session(registered.engine) as s, s.begin():
        revoke_key(s, old.key.kid)
    with pytest.raises(RevokedKey):
        registered.verifier.verify(_token(registered))
    assert registered.verifier.verify(with_new()).kid == new.key.kid


def test_inactive_client_refused(registered: Registered) -> None:
    with Session(registered.engine) as s, s.begin():
        set_client_active(s, registered.client_id, False)
    with pytest.raises(InactiveClient):
        registered.verifier.verify(_token(registered))


def test_every_refusal_is_terminal_with_a_problem_type() -> None:
    for cls in (AlgorithmNotAllowed, BadAudience, BadSignature, InactiveClient, ReplayedToken,
                RevokedKey, TokenExpired, TokenNotYetValid, UnknownKey):  # fmt: skip
        assert issubclass(cls, AuthenticationError)
        assert cls.problem_type.startswith(("token-", "client-"))


def test_prune_removes_only_expired_token_ids(registered: Registered) -> None:
    registered.verifier.verify(_token(registered))
    with Session(registered.engine) as s, s.begin():
        s.add(UsedTokenId(client_id=registered.client_id, jti="old", expires_at=1))
    assert registered.verifier.prune() == 1
    with Session(registered.engine) as s:
        assert s.scalar(select(func.count()).select_from(UsedTokenId)) == 1


def test_concurrent_replay_accepted_exactly_once(registered: Registered) -> None:
    token = _token(registered)
    verifiers = [TokenVerifier(registered.engine) for _ in range(6)]

    def attempt(v: TokenVerifier) -> str:
        try:
            v.verify(token)
        except ReplayedToken:
            return "replay"
        return "ok"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(attempt, verifiers))
    assert outcomes == ["ok"] + ["replay"] * 5
