"""C2SP signed notes, tlog-checkpoint bodies and tlog-cosignature/v1 (Ed25519).

Key strings use the Go ``golang.org/x/mod/sumdb/note`` encodings so that the log's keys work
with the ecosystem's tools: verifier key ``<name>+<hex key id>+<base64(type || public key)>``,
signer key ``PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ndc.ledger.merkle import HASH_SIZE

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed: never trusted, never partly accepted."""


def _b64d(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"invalid base64 {text[:20]!r}") from exc


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} is empty or has spaces or '+'")


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4] (signed-note, tlog-cosignature)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: log key (alg 0x01) or witness cosigner key (alg 0x04)."""

    name: str
    alg: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public_key)

    @property
    def vkey(self) -> str:
        body = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{body}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse ``name+hexid+base64key``; the id must match the key (no mix-and-match)."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise NoteError(f"malformed verifier key {vkey[:40]!r}")
        name, hexid, body = parts
        _check_name(name)
        raw = _b64d(body)
        if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError("verifier key is not an Ed25519 note or cosignature key")
        verifier = cls(name, raw[0], raw[1:])
        if verifier.key_id.hex() != hexid.lower():
            raise NoteError("verifier key id does not match its key")
        return verifier

    def check(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 signing key with its note name (``alg`` 0x01 for the log, 0x04 for a witness)."""

    name: str
    seed: bytes = field(repr=False)
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("an Ed25519 seed is 32 bytes")

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.alg, _raw_public(self.private_key.public_key()))

    @property
    def skey(self) -> str:
        body = base64.b64encode(bytes([self.alg]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{body}"

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("malformed private key string")
        raw = _b64d(parts[4])
        if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError("private key is not an Ed25519 note or cosignature key")
        signer = cls(parts[2], raw[1:], raw[0])
        if signer.verifier.key_id.hex() != parts[3].lower():
            raise NoteError("private key id does not match its key")
        return signer

    def sign_line(self, text: str) -> str:
        """A note signature line over ``text`` (log signature)."""
        sig = self.private_key.sign(text.encode())
        return signature_line(self.name, self.verifier.key_id + sig)

    def cosign_line(self, text: str, timestamp: int | None = None) -> str:
        """A tlog-cosignature/v1 line over checkpoint ``text`` at ``timestamp`` (now by default)."""
        ts = int(time.time()) if timestamp is None else timestamp
        sig = self.private_key.sign(cosignature_message(text, ts))
        return signature_line(self.name, self.verifier.key_id + struct.pack(">Q", ts) + sig)


def signature_line(name: str, blob: bytes) -> str:
    return f"{EM_DASH} {name} {base64.b64encode(blob).decode()}\n"


def cosignature_message(text: str, timestamp: int) -> bytes:
    """``cosignature/v1\\ntime <t>\\n`` followed by the whole checkpoint body."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    blob: bytes  # everything after the key id

    @property
    def line(self) -> str:
        return signature_line(self.name, self.key_id + self.blob)


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)


def parse_note(data: str) -> Note:
    """Split a signed note into text and signature lines (nothing is verified here)."""
    if any(ord(c) < 0x20 and c != "\n" for c in data):
        raise NoteError("note contains control characters")
    if not data.endswith("\n"):
        raise NoteError("note does not end with a newline")
    cut = data.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no blank line before its signatures")
    text, sig_block = data[: cut + 1], data[cut + 2 :]
    signatures: list[Signature] = []
    for line in sig_block.splitlines():
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise NoteError(f"malformed signature line {line[:40]!r}")
        name, _, b64 = line[len(prefix) :].rpartition(" ")
        _check_name(name)
        raw = _b64d(b64)
        if len(raw) < 5:
            raise NoteError("signature is too short")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("note has no signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("note has too many signatures")
    return Note(text, tuple(signatures))


@dataclass(frozen=True)
class SignatureCheck:
    """Outcome for one signature line: ``valid`` is None when the key is unknown (ignored)."""

    name: str
    key_id: str
    kind: str  # "log", "cosignature" or "unknown"
    valid: bool | None
    timestamp: int | None = None


def check_signatures(note: Note, verifiers: Sequence[Verifier]) -> list[SignatureCheck]:
    """Verify every signature by a known (name, key id); unknown ones are reported, not trusted."""
    known = {(v.name, v.key_id): v for v in verifiers}
    results: list[SignatureCheck] = []
    for sig in note.signatures:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            results.append(SignatureCheck(sig.name, sig.key_id.hex(), "unknown", None))
        elif v.alg == ALG_COSIGNATURE_V1:
            ok, ts = False, None
            if len(sig.blob) == 72:
                ts = struct.unpack(">Q", sig.blob[:8])[0]
                ok = ts < 2**63 and v.check(cosignature_message(note.text, ts), sig.blob[8:])
            results.append(SignatureCheck(sig.name, sig.key_id.hex(), "cosignature", ok, ts))
        else:
            ok = len(sig.blob) == 64 and v.check(note.text.encode(), sig.blob)
            results.append(SignatureCheck(sig.name, sig.key_id.hex(), "log", ok))
    return results


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("checkpoint body needs at least three non-empty lines")
        origin, size_s, root_b64 = lines[0], lines[1], lines[2]
        if not size_s.isdigit() or (size_s.startswith("0") and size_s != "0"):
            raise NoteError(f"bad tree size {size_s!r}")
        root_hash = _b64d(root_b64)
        if len(root_hash) != HASH_SIZE:
            raise NoteError("root hash is not 32 bytes")
        return cls(origin, int(size_s), root_hash, tuple(lines[3:-1]))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The checkpoint as a signed note with the log's signature."""
    text = checkpoint.body()
    return text + "\n" + signer.sign_line(text)


def open_checkpoint(
    data: str, log: Verifier, witnesses: Sequence[Verifier] = ()
) -> tuple[Checkpoint, list[SignatureCheck]]:
    """Parse and verify: the log's signature must be present and valid, every known one valid."""
    note = parse_note(data)
    checks = check_signatures(note, [log, *witnesses])
    if not any(c.kind == "log" and c.valid for c in checks):
        raise NoteError(f"checkpoint carries no valid signature by {log.name}")
    bad = [c for c in checks if c.valid is False]
    if bad:
        raise NoteError(f"invalid signature by {bad[0].name}")
    return Checkpoint.parse(note.text), checks
