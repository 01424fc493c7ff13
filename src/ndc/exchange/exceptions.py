"""Exchange errors: terminal (the caller or an operator must change something) vs retryable.

Every authentication refusal carries a stable ``problem_type`` and HTTP ``status`` so that the
API maps it to RFC 9457 problem details without a lookup table of its own.
"""

from __future__ import annotations


class ExchangeError(Exception):
    """Base class of every exchange error."""

    problem_type = "exchange-error"
    status = 400


class RetryableExchangeError(ExchangeError):
    """Retryable: a transient failure of the serving store; try the same request again."""

    problem_type = "service-unavailable"
    status = 503


# ---- registry (terminal) --------------------------------------------------------------------


class RegistryError(ExchangeError):
    """Terminal: a registration request is invalid or conflicts with the registry."""


class NotFoundError(RegistryError, LookupError):
    problem_type = "not-found"
    status = 404


class MemberNotFound(NotFoundError):
    """No member organisation with that code."""


class ClientNotFound(NotFoundError):
    """No client system with that id."""


class KeyNotFound(NotFoundError):
    """No client key with that key id."""


class AlreadyExists(RegistryError):
    problem_type = "conflict"
    status = 409


class MemberExists(AlreadyExists):
    """A member with that code is already registered."""


class ClientExists(AlreadyExists):
    """A client with that id is already registered."""


class KeyExists(AlreadyExists):
    """That public key is already registered (key ids are thumbprints of the key)."""


class InvalidKey(RegistryError, ValueError):
    """The PEM is not a public key of a supported algorithm (Ed25519 or P-256)."""

    problem_type = "invalid-key"


# ---- token verification (terminal: the client must send a new, correct token) ---------------


class AuthenticationError(ExchangeError):
    """Terminal: the request's token is refused; retrying the same token cannot succeed."""

    problem_type = "unauthorized"
    status = 401


class MalformedToken(AuthenticationError):
    """Not a JWS compact token, no ``kid`` header, or a required claim is missing or invalid."""

    problem_type = "token-malformed"


class AlgorithmNotAllowed(AuthenticationError):
    """The header's ``alg`` is not the registered key's algorithm (``none``, HS256, ...)."""

    problem_type = "token-algorithm-not-allowed"


class UnknownKey(AuthenticationError):
    """No registered key has the header's ``kid``."""

    problem_type = "token-unknown-key"


class RevokedKey(AuthenticationError):
    """The key was revoked; revocation takes effect at once."""

    problem_type = "token-revoked-key"


class BadSignature(AuthenticationError):
    """The signature does not verify with the registered public key (forged or altered)."""

    problem_type = "token-bad-signature"


class TokenExpired(AuthenticationError):
    """``exp`` is in the past (beyond the leeway)."""

    problem_type = "token-expired"


class TokenNotYetValid(AuthenticationError):
    """``iat`` or ``nbf`` is in the future (beyond the leeway): the client's clock is wrong."""

    problem_type = "token-not-yet-valid"


class TokenLifetimeTooLong(AuthenticationError):
    """``exp - iat`` exceeds the maximum lifetime: tokens must be short-lived."""

    problem_type = "token-lifetime-too-long"


class BadAudience(AuthenticationError):
    """``aud`` is not this platform's audience."""

    problem_type = "token-bad-audience"


class BadIssuer(AuthenticationError):
    """``iss`` is not the client that owns the key."""

    problem_type = "token-bad-issuer"


class ReplayedToken(AuthenticationError):
    """The ``jti`` was already used by this client within the token's validity."""

    problem_type = "token-replayed"


class InactiveClient(AuthenticationError):
    """The client system or its member organisation is deactivated."""

    problem_type = "client-inactive"
    status = 403
