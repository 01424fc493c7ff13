"""Exchange I/O shapes: member kinds, key algorithms, permissions and read models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class MemberKind(StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"
    PUBLIC_BODY = "public_body"
    ENTERPRISE = "enterprise"


class KeyAlgorithm(StrEnum):
    """JWS algorithms a client key may use; the value is the JWS ``alg`` header."""

    EDDSA = "EdDSA"  # Ed25519
    ES256 = "ES256"  # ECDSA P-256 with SHA-256


class Permission(StrEnum):
    """Admin permissions over the registry, shaped ``scope:resource:action``."""

    MEMBER_CREATE = "exchange:member:create"
    MEMBER_READ = "exchange:member:read"
    CLIENT_CREATE = "exchange:client:create"
    CLIENT_READ = "exchange:client:read"
    KEY_CREATE = "exchange:key:create"
    KEY_REVOKE = "exchange:key:revoke"
    KEY_READ = "exchange:key:read"


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class MemberOut(_Out):
    code: str
    name_vi: str
    name_en: str
    kind: MemberKind
    active: bool


class ClientOut(_Out):
    id: str
    member_code: str
    name: str
    active: bool


class KeyOut(_Out):
    kid: str
    client_id: str
    algorithm: KeyAlgorithm
    public_key_pem: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedKey(_Out):
    """A newly generated key: ``private_key_pem`` is returned once and never stored."""

    key: KeyOut
    private_key_pem: str = Field(repr=False)


class VerifiedClient(_Out):
    """Who a verified token speaks for."""

    client_id: str
    member_code: str
    kid: str
    jti: str
    expires_at: int
