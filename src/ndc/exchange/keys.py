"""Client key material: generate pairs, validate public PEMs, and compute key ids.

The key id is the RFC 7638 JWK thumbprint, so the same public key always gets the same ``kid``
and a client can compute it without asking the platform.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ndc.exchange.exceptions import InvalidKey
from ndc.exchange.schemas import KeyAlgorithm

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key_pair(algorithm: KeyAlgorithm = KeyAlgorithm.EDDSA) -> tuple[str, str]:
    """A fresh ``(private_pem, public_pem)`` pair (PKCS#8 and SubjectPublicKeyInfo)."""
    private: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    if algorithm is KeyAlgorithm.EDDSA:
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, public_pem(private.public_key())


def public_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: str) -> tuple[PublicKey, KeyAlgorithm]:
    """Parse a public key PEM and tell its algorithm; refuse private keys and other curves."""
    if "PRIVATE KEY" in pem:
        raise InvalidKey("that is a private key: register the public key only")
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeEncodeError) as exc:
        raise InvalidKey(f"not a PEM public key: {exc}") from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key, KeyAlgorithm.EDDSA
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key, KeyAlgorithm.ES256
    raise InvalidKey("unsupported key type: use Ed25519 (EdDSA) or EC P-256 (ES256)")


def thumbprint(key: PublicKey) -> str:
    """RFC 7638 JWK SHA-256 thumbprint, base64url without padding (43 characters)."""
    members: dict[str, str]
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    else:
        nums = key.public_numbers()
        members = {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(nums.x.to_bytes(32, "big")),
            "y": _b64url(nums.y.to_bytes(32, "big")),
        }
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())
