"""The access event (what later capabilities log) and the JSON shapes of the ledger API."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_ENTRY_BYTES = 65_535  # entry bundles length-prefix entries with a uint16

_FIELD_NAME = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
_SUBJECT_REF = r"^[0-9a-f]{64}$"
# One encoder for every entry: json.dumps would build a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# The string quoting that encoder uses (C accelerated): JSON string literal, non-ASCII kept.
_quote: Callable[[str], str] = json.encoder.encode_basestring


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return value.astimezone(UTC)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class AccessEvent(BaseModel):
    """One read or write of data, as the ledger records it.

    ``subject_ref`` is a keyed pseudonym (``Ledger.subject_ref``), never an identifier;
    ``fields`` are field *names* (``person.address``), never values: the log is public and
    permanent, so it must not hold personal data in clear.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str = Field(
        pattern=r"^[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*){2}$",
        max_length=100,
        description="scope:resource:action, e.g. exchange:person:read",
    )
    actor_member: str = Field(min_length=1, max_length=100, description="Agency (member) code.")
    actor_client: str = Field(min_length=1, max_length=200, description="Client system id.")
    purpose: str = Field(min_length=1, max_length=500)
    legal_basis: str | None = Field(default=None, max_length=500)
    consent_ref: str | None = Field(default=None, max_length=200)
    subject_ref: str | None = Field(default=None, pattern=_SUBJECT_REF)
    fields: tuple[str, ...] = Field(default=(), max_length=500)
    decision: Literal["permit", "deny"] = "permit"
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    hidden_until: datetime | None = Field(
        default=None, description="Covert investigations: hidden from the subject until then."
    )
    request_id: str | None = Field(default=None, max_length=100)

    @field_validator("time", "hidden_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for name in value:
            if len(name) > 100 or not re.match(_FIELD_NAME, name):
                raise ValueError(f"field {name[:30]!r} is not a field name (values never go in)")
        return value

    @model_validator(mode="after")
    def _basis(self) -> AccessEvent:
        if self.decision == "permit" and not (self.legal_basis or self.consent_ref):
            raise ValueError("a permitted access needs a legal basis or a consent reference")
        return self

    def to_entry(self) -> bytes:
        """Canonical bytes of the log entry: sorted-key compact UTF-8 JSON, version 1.

        Written out by hand in sorted key order (the hot path of every append); a property
        test checks it byte for byte against ``json`` with ``sort_keys=True``.
        """
        q = _quote
        parts = [
            '{"action":',
            q(self.action),
            ',"actor":{"client":',
            q(self.actor_client),
            ',"member":',
            q(self.actor_member),
            "}",
        ]
        if self.consent_ref is not None:
            parts += (',"consent_ref":', q(self.consent_ref))
        parts += (',"decision":', q(self.decision), ',"fields":[', ",".join(map(q, self.fields)))
        parts.append("]")
        if self.hidden_until is not None:
            parts += (',"hidden_until":"', _rfc3339(self.hidden_until), '"')
        if self.legal_basis is not None:
            parts += (',"legal_basis":', q(self.legal_basis))
        parts += (',"purpose":', q(self.purpose))
        if self.request_id is not None:
            parts += (',"request_id":', q(self.request_id))
        if self.subject_ref is not None:
            parts += (',"subject":', q(self.subject_ref))
        parts += (',"time":"', _rfc3339(self.time), '","v":1}')
        data = "".join(parts).encode()
        if len(data) > MAX_ENTRY_BYTES:
            raise ValueError(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
        return data

    def to_entry_reference(self) -> bytes:
        """The same bytes through the generic encoder: the definition ``to_entry`` must match."""
        doc: dict[str, Any] = {
            "v": 1,
            "action": self.action,
            "actor": {"member": self.actor_member, "client": self.actor_client},
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "consent_ref": self.consent_ref,
            "subject": self.subject_ref,
            "fields": list(self.fields),
            "decision": self.decision,
            "time": _rfc3339(self.time),
            "hidden_until": _rfc3339(self.hidden_until) if self.hidden_until else None,
            "request_id": self.request_id,
        }
        doc = {k: v for k, v in doc.items() if v is not None}
        return _CANONICAL.encode(doc).encode()

    @classmethod
    def from_entry(cls, data: bytes) -> AccessEvent:
        doc = json.loads(data)
        if doc.pop("v", None) != 1:
            raise ValueError("unknown entry version")
        actor = doc.pop("actor")
        doc["subject_ref"] = doc.pop("subject", None)
        return cls(actor_member=actor["member"], actor_client=actor["client"], **doc)


class CheckpointOut(BaseModel):
    origin: str
    size: int
    root_hash: str = Field(description="base64")
    note: str = Field(description="The signed note, as served at /log/checkpoint.")


class InclusionProofOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str = Field(description="base64 of SHA-256(0x00 || entry)")
    root_hash: str
    proof: list[str] = Field(description="base64 hashes, leaf side first (RFC 9162 §2.1.3)")


class EntryOut(InclusionProofOut):
    entry: dict[str, Any]
    entry_b64: str
    checkpoint: str


class ConsistencyProofOut(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="base64 hashes (RFC 9162 §2.1.4)")


class StatsOut(BaseModel):
    origin: str
    size: int
    pending: int
    checkpoints: int
    tiles: int
    root_hash: str
    vkey: str
