"""Tamper-evident transparency log of every access (RFC 9162 tree, C2SP checkpoints and tiles).

Later capabilities log an access with one call::

    from ndc.ledger import AccessEvent, append
    append(AccessEvent(action="exchange:person:read", actor_member="BCA", actor_client="c06",
                       purpose="residence check", legal_basis="Law 59/2019",
                       subject_ref=subject_ref(national_id), fields=("person.address",)))
"""

from __future__ import annotations

import hashlib
import threading

from ndc.ledger.exceptions import (
    EntryError,
    IntegrationConflict,
    LedgerConfigError,
    LedgerError,
    NotFoundError,
)
from ndc.ledger.keys import pseudonymize
from ndc.ledger.note import Checkpoint, Signer, Verifier
from ndc.ledger.schemas import AccessEvent
from ndc.ledger.sequencer import Sequencer
from ndc.ledger.service import HistoryItem, Ledger
from ndc.ledger.verify import VerifyReport, verify
from ndc.settings import Settings, get_settings

__all__ = [
    "AccessEvent",
    "Checkpoint",
    "EntryError",
    "HistoryItem",
    "IntegrationConflict",
    "Ledger",
    "LedgerConfigError",
    "LedgerError",
    "NotFoundError",
    "Sequencer",
    "Signer",
    "Verifier",
    "VerifyReport",
    "append",
    "get_ledger",
    "pseudonymize",
    "subject_ref",
    "verify",
]

_registry: dict[tuple[str, str], tuple[Ledger, Sequencer]] = {}
_registry_lock = threading.Lock()


def get_ledger(settings: Settings | None = None, start: bool = True) -> Ledger:
    """The process-wide ledger for ``settings``; ``start`` runs its background sequencer."""
    settings = settings or get_settings()
    key = (settings.store_url, str(settings.data_dir.resolve()))
    with _registry_lock:
        if key not in _registry:
            ledger = Ledger(settings)
            store = hashlib.sha256(settings.store_url.encode()).hexdigest()[:16]
            lock = settings.data_dir / "ledger" / f"sequencer-{store}.lock"
            _registry[key] = (ledger, Sequencer(ledger, leader_file=lock))
        ledger, sequencer = _registry[key]
    if start:
        sequencer.start()
    return ledger


def sequencer_for(ledger: Ledger) -> Sequencer | None:
    with _registry_lock:
        for lg, seq in _registry.values():
            if lg is ledger:
                return seq
    return None


def append(event: AccessEvent, settings: Settings | None = None) -> int:
    """Log one access event in the process-wide ledger; returns its queue id immediately."""
    return get_ledger(settings).append(event)


def subject_ref(identifier: str, settings: Settings | None = None) -> str:
    """The pseudonymous subject reference for an identifier, with the configured key."""
    return get_ledger(settings, start=False).subject_ref(identifier)
