"""Where the ledger's secrets come from: settings, key files in the data directory, or demo.

Order of precedence for each secret: the ``NDC_`` setting, then the file written by
``ndc ledger init`` in ``<data_dir>/ledger/``, then (demo mode only) a key derived
deterministically from the demo seed. Outside demo mode a missing secret is an error, never
a silent default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ndc.ledger.exceptions import LedgerConfigError
from ndc.ledger.note import NoteError, Signer, Verifier
from ndc.settings import Settings

DEFAULT_ORIGIN = "ndc.gov.vn/ledger"
DEMO_ORIGIN = "demo.ndc.gov.vn/ledger"
LOG_KEY_FILE = "log.key"
PSEUDONYM_KEY_FILE = "pseudonym.key"
WITNESSES_FILE = "witnesses.vkeys"


def ledger_dir(settings: Settings) -> Path:
    return settings.data_dir / "ledger"


@dataclass(frozen=True)
class LedgerKeys:
    signer: Signer
    pseudonym_key: bytes
    witnesses: tuple[Verifier, ...]

    @property
    def origin(self) -> str:
        return self.signer.name

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier


def _parse_signer(value: str, origin: str) -> Signer:
    value = value.strip()
    try:
        if value.startswith("PRIVATE+KEY+"):
            return Signer.parse(value)
        return Signer(origin, bytes.fromhex(value))
    except (NoteError, ValueError) as exc:
        raise LedgerConfigError(
            "the ledger signing key must be 64 hex digits or a PRIVATE+KEY+... string"
        ) from exc


def load_signer(settings: Settings) -> Signer:
    if settings.ledger_key_seed is not None:
        return _parse_signer(settings.ledger_key_seed.get_secret_value(), DEFAULT_ORIGIN)
    path = ledger_dir(settings) / LOG_KEY_FILE
    if path.exists():
        return _parse_signer(path.read_text(), DEFAULT_ORIGIN)
    if settings.demo:
        return Signer(DEMO_ORIGIN, settings.demo_secret("ledger-key"))
    raise LedgerConfigError(
        "no ledger signing key: set NDC_LEDGER_KEY_SEED or run `ndc ledger init` "
        f"(writes {path}); only demo mode derives a key"
    )


def load_pseudonym_key(settings: Settings) -> bytes:
    if settings.pseudonym_key is not None:
        raw = settings.pseudonym_key.get_secret_value().encode()
    elif (path := ledger_dir(settings) / PSEUDONYM_KEY_FILE).exists():
        raw = path.read_text().strip().encode()
    elif settings.demo:
        return settings.demo_secret("pseudonym-key")
    else:
        raise LedgerConfigError(
            "no pseudonym key: set NDC_PSEUDONYM_KEY or run `ndc ledger init`; "
            "only demo mode derives one"
        )
    if len(raw) < 32:
        raise LedgerConfigError("the pseudonym key must be at least 32 characters")
    return raw


def load_witnesses(settings: Settings) -> tuple[Verifier, ...]:
    """Trusted witness (cosigner) keys, one vkey a line in ``witnesses.vkeys``."""
    path = ledger_dir(settings) / WITNESSES_FILE
    if not path.exists():
        return ()
    out = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            try:
                out.append(Verifier.parse(line))
            except NoteError as exc:
                raise LedgerConfigError(f"{path}: {exc}") from exc
    return tuple(out)


def load_keys(settings: Settings) -> LedgerKeys:
    return LedgerKeys(load_signer(settings), load_pseudonym_key(settings), load_witnesses(settings))


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")


def init_keys(settings: Settings, origin: str = DEFAULT_ORIGIN) -> tuple[Path, Path]:
    """Create the log key and pseudonym key files (mode 0600); refuse to overwrite."""
    directory = ledger_dir(settings)
    log_path, pseudo_path = directory / LOG_KEY_FILE, directory / PSEUDONYM_KEY_FILE
    for path in (log_path, pseudo_path):
        if path.exists():
            raise LedgerConfigError(f"{path} exists; refusing to replace a ledger key")
    _write_secret(log_path, Signer(origin, secrets.token_bytes(32)).skey)
    _write_secret(pseudo_path, secrets.token_hex(32))
    return log_path, pseudo_path


def add_witness(settings: Settings, vkey: str) -> Verifier:
    """Trust a witness's cosigner key (``name+id+key`` with alg 0x04)."""
    verifier = Verifier.parse(vkey)
    path = ledger_dir(settings) / WITNESSES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(verifier.vkey + "\n")
    return verifier


def pseudonymize(key: bytes, identifier: str) -> str:
    """Keyed pseudonym of a person or business identifier: hex HMAC-SHA256, domain-separated."""
    return hmac.new(
        key, b"ndc-subject/v1\n" + identifier.strip().encode(), hashlib.sha256
    ).hexdigest()
