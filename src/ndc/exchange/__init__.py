"""Data exchange: member organisations, their client systems, keys and request tokens.

An admin registers a member and a client and issues a key; the client signs short-lived JWTs
that :class:`TokenVerifier` checks against the registry::

    from ndc.exchange import TokenVerifier, issue_key, make_token, open_store
    ...
    verified = TokenVerifier(engine).verify(token)  # -> VerifiedClient or an AuthenticationError
"""

from __future__ import annotations

from ndc.exchange.auth import DEFAULT_AUDIENCE, MAX_LIFETIME, TokenVerifier, make_token
from ndc.exchange.exceptions import (
    AlgorithmNotAllowed,
    AuthenticationError,
    BadAudience,
    BadIssuer,
    BadSignature,
    ExchangeError,
    InactiveClient,
    MalformedToken,
    RegistryError,
    ReplayedToken,
    RetryableExchangeError,
    RevokedKey,
    TokenExpired,
    TokenLifetimeTooLong,
    TokenNotYetValid,
    UnknownKey,
)
from ndc.exchange.keys import generate_key_pair
from ndc.exchange.schemas import (
    ClientOut,
    IssuedKey,
    KeyAlgorithm,
    KeyOut,
    MemberKind,
    MemberOut,
    Permission,
    VerifiedClient,
)
from ndc.exchange.service import (
    add_key,
    issue_key,
    list_clients,
    list_keys,
    list_members,
    open_store,
    register_client,
    register_member,
    revoke_key,
    rotate,
    set_client_active,
    set_member_active,
)

__all__ = [
    "DEFAULT_AUDIENCE",
    "MAX_LIFETIME",
    "AlgorithmNotAllowed",
    "AuthenticationError",
    "BadAudience",
    "BadIssuer",
    "BadSignature",
    "ClientOut",
    "ExchangeError",
    "InactiveClient",
    "IssuedKey",
    "KeyAlgorithm",
    "KeyOut",
    "MalformedToken",
    "MemberKind",
    "MemberOut",
    "Permission",
    "RegistryError",
    "ReplayedToken",
    "RetryableExchangeError",
    "RevokedKey",
    "TokenExpired",
    "TokenLifetimeTooLong",
    "TokenNotYetValid",
    "TokenVerifier",
    "UnknownKey",
    "VerifiedClient",
    "add_key",
    "generate_key_pair",
    "issue_key",
    "list_clients",
    "list_keys",
    "list_members",
    "make_token",
    "open_store",
    "register_client",
    "register_member",
    "revoke_key",
    "rotate",
    "set_client_active",
    "set_member_active",
]
