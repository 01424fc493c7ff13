"""Client authentication: short-lived JWTs signed with a registered client key.

A request carries ``Authorization: Bearer <jwt>``; the JWS header names the key (``kid``), the
claims say who signs (``iss`` = client id), for whom (``aud``), when (``iat``/``exp``, at most
:data:`MAX_LIFETIME` apart) and a unique ``jti``. Each check failing has its own exception.

The key, client and member rows are read from the store on every token, so revoking a key or
deactivating a client takes effect at once in every process. Used ``jti`` values are inserted
into the store under a primary key: a replay is refused by any process sharing the store.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError, OperationalError

from ndc.exchange.exceptions import (
    AlgorithmNotAllowed,
    BadAudience,
    BadIssuer,
    BadSignature,
    InactiveClient,
    MalformedToken,
    ReplayedToken,
    RetryableExchangeError,
    RevokedKey,
    TokenExpired,
    TokenLifetimeTooLong,
    TokenNotYetValid,
    UnknownKey,
)
from ndc.exchange.keys import PublicKey, load_public_key
from ndc.exchange.models import UsedTokenId
from ndc.exchange.schemas import KeyAlgorithm, VerifiedClient
from ndc.store.engine import placeholder

#: Default ``aud`` of tokens for this platform's exchange API.
DEFAULT_AUDIENCE = "https://ndc.gov.vn/api"
#: Longest accepted ``exp - iat`` in seconds.
MAX_LIFETIME = 300
#: Clock skew tolerated on ``iat``, ``nbf`` and ``exp`` in seconds.
LEEWAY = 30
MAX_JTI_LENGTH = 128
_REQUIRED = ["iss", "aud", "iat", "exp", "jti"]
_ALGORITHMS = frozenset(a.value for a in KeyAlgorithm)


def make_token(
    private_key_pem: str,
    kid: str,
    client_id: str,
    audience: str = DEFAULT_AUDIENCE,
    lifetime: int = 60,
    now: int | None = None,
    jti: str | None = None,
) -> str:
    """Sign a request token as a client does (the algorithm follows the key type)."""
    key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        alg = KeyAlgorithm.EDDSA
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        alg = KeyAlgorithm.ES256
    else:
        raise ValueError("use an Ed25519 or EC P-256 private key")
    iat = int(time.time()) if now is None else now
    claims = {"iss": client_id, "aud": audience, "iat": iat, "exp": iat + lifetime,
              "jti": jti or secrets.token_urlsafe(16)}  # fmt: skip
    return jwt.encode(claims, key, algorithm=alg.value, headers={"kid": kid})


#: The key, its client and member, read for every token (revocation takes effect at once).
KEY_SQL = (
    "SELECT k.algorithm, k.public_key_pem, k.revoked_at, c.id, c.active, m.code, m.active "
    "FROM exchange_client_keys k JOIN exchange_clients c ON c.id = k.client_id "
    "JOIN exchange_members m ON m.code = c.member_code WHERE k.kid = ?"
)
_SEGMENT = re.compile(r"[A-Za-z0-9_-]{2,2048}")


def _peek_header(token: str) -> dict[str, Any]:
    """The JWS header, read only to choose the key: ``jwt.decode`` then checks the whole token.

    PyJWT's own header reader validates the alphabet one character at a time in Python; it
    would run twice per request on the hot path.
    """
    head = token.split(".", 1)[0]
    if not _SEGMENT.fullmatch(head) or token.count(".") != 2:
        raise MalformedToken("not a signed JWT (three base64url segments)")
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise MalformedToken(f"not a signed JWT: {exc}") from exc
    if not isinstance(header, dict):
        raise MalformedToken("the JWS header is not a JSON object")
    return header


def insert_token_ids(cursor: Any, mark: str, items: Sequence[tuple[str, str, int]]) -> list[bool]:
    """Insert ``(client_id, jti, keep_until)`` rows on a driver cursor, in the caller's
    transaction; true for each first use (a repeat inside ``items`` counts once)."""
    accepted: set[tuple[str, str]] = set()
    for k in range(0, len(items), 300):
        chunk = items[k : k + 300]
        values = ", ".join([f"({mark}, {mark}, {mark})"] * len(chunk))
        cursor.execute(
            "INSERT INTO exchange_used_jti (client_id, jti, expires_at) "
            f"VALUES {values} ON CONFLICT DO NOTHING RETURNING client_id, jti",
            [v for row in chunk for v in row],
        )
        accepted.update((r[0], r[1]) for r in cursor.fetchall())
    out: list[bool] = []
    for client_id, jti, _ in items:
        out.append((client_id, jti) in accepted)
        accepted.discard((client_id, jti))
    return out


class TokenVerifier:
    """Verifies request tokens against the registry in the serving store."""

    def __init__(
        self,
        engine: Engine,
        audience: str = DEFAULT_AUDIENCE,
        max_lifetime: int = MAX_LIFETIME,
        leeway: int = LEEWAY,
        prune_every: float = 60.0,
        key_lookup: Callable[[str], Sequence[Any] | None] | None = None,
    ) -> None:
        """``key_lookup(kid)`` may replace the store read of the key, client and member row
        (the API passes a faster reader); it must read the store every time."""
        self.engine = engine
        self._lookup = key_lookup or self._lookup_key
        self.audience = audience
        self.max_lifetime = max_lifetime
        self.leeway = leeway
        self.prune_every = prune_every
        # kid is the key's thumbprint, so a kid always names the same public key: safe to cache.
        self._keys: dict[str, PublicKey] = {}
        self._lock = threading.Lock()
        self._last_prune = 0.0

    def verify(self, token: str, remember: bool = True) -> VerifiedClient:
        """Return who the token speaks for, or raise the specific refusal.

        ``remember=False`` skips recording the ``jti``: the caller must then record it with
        :func:`insert_token_ids` (the API's group commit does, once per batch) before
        trusting it.
        """
        header = _peek_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in _ALGORITHMS:
            raise AlgorithmNotAllowed(f"algorithm {alg!r} is not accepted; use EdDSA or ES256")
        if not isinstance(kid, str) or not kid:
            raise MalformedToken("the header has no 'kid'")
        row = self._lookup(kid)
        if row is None:
            raise UnknownKey(f"no registered key {kid!r}")
        key_alg, pem, revoked_at, client_id, client_active, member_code, member_active = row
        if revoked_at is not None:
            raise RevokedKey(f"key {kid} was revoked")
        if alg != key_alg:
            raise AlgorithmNotAllowed(f"key {kid} is a {key_alg} key, the token says {alg}")
        claims = self._decode(token, self._public_key(kid, pem), key_alg, client_id)
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise MalformedToken(f"'jti' must be a string of 1-{MAX_JTI_LENGTH} characters")
        if int(exp) - int(iat) > self.max_lifetime:
            raise TokenLifetimeTooLong(f"tokens may live at most {self.max_lifetime} s")
        if not (client_active and member_active):
            raise InactiveClient(f"client {client_id} is not active")
        if remember:
            self._remember(client_id, jti, int(exp) + self.leeway)
        return VerifiedClient(client_id=client_id, member_code=member_code, kid=kid, jti=jti,
                              expires_at=int(exp))  # fmt: skip

    def _lookup_key(self, kid: str) -> Sequence[Any] | None:
        with self.engine.connect() as conn:
            sql = KEY_SQL.replace("?", placeholder(conn.dialect))
            return conn.exec_driver_sql(sql, (kid,)).first()

    def _public_key(self, kid: str, pem: str) -> PublicKey:
        key = self._keys.get(kid)
        if key is None:
            key, _ = load_public_key(pem)
            self._keys[kid] = key
        return key

    def _decode(self, token: str, key: PublicKey, alg: str, client_id: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token, key, algorithms=[alg], audience=self.audience, issuer=client_id,
                leeway=self.leeway, options={"require": _REQUIRED},
            )  # fmt: skip
        except jwt.InvalidSignatureError as exc:
            raise BadSignature("the signature does not verify with the registered key") from exc
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenNotYetValid(f"{exc}: check the client's clock") from exc
        except jwt.InvalidAudienceError as exc:
            raise BadAudience(f"the audience must be {self.audience!r}") from exc
        except jwt.InvalidIssuerError as exc:
            raise BadIssuer(f"'iss' must be the key's client {client_id!r}") from exc
        except jwt.InvalidTokenError as exc:
            raise MalformedToken(str(exc)) from exc

    def _remember(self, client_id: str, jti: str, until: int) -> None:
        """Record the jti; a duplicate primary key means the token was already used."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(UsedTokenId).values(client_id=client_id, jti=jti, expires_at=until)
                )
        except IntegrityError as exc:
            raise ReplayedToken(f"token id {jti!r} was already used") from exc
        except OperationalError as exc:
            raise RetryableExchangeError(f"could not record the token id: {exc}") from exc
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_prune < self.prune_every:
                return
            self._last_prune = now
        self.prune()

    def prune(self) -> int:
        """Delete token ids whose tokens can no longer be accepted; returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(UsedTokenId).where(UsedTokenId.expires_at < time.time()))
        return int(result.rowcount or 0)
