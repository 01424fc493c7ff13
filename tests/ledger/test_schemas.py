"""The hand-written canonical entry encoding is byte for byte the generic sorted-key JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ndc.ledger.schemas import AccessEvent

_text = st.text(min_size=1, max_size=40)  # any Unicode: quotes, controls, Vietnamese, emoji
_name = st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z][a-z0-9_]{0,8}){0,2}", fullmatch=True)
_time = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    action=st.from_regex(r"[a-z][a-z0-9_-]{0,6}(:[a-z][a-z0-9_-]{0,6}){2}", fullmatch=True),
    member=_text,
    client=_text,
    purpose=_text,
    legal_basis=st.none() | _text,
    consent_ref=st.none() | _text,
    subject=st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    fields=st.lists(_name, max_size=4).map(tuple),
    decision=st.sampled_from(["permit", "deny"]),
    time=_time,
    hidden=st.none() | st.integers(0, 10_000),
    request_id=st.none() | _text,
)
def test_fast_entry_encoding_is_the_canonical_json(
    action: str,
    member: str,
    client: str,
    purpose: str,
    legal_basis: str | None,
    consent_ref: str | None,
    subject: str | None,
    fields: tuple[str, ...],
    decision: str,
    time: datetime,
    hidden: int | None,
    request_id: str | None,
) -> None:
    if decision == "permit" and not (legal_basis or consent_ref):
        legal_basis = "Law 25/2008/QH12"
    event = AccessEvent.model_validate(
        {
            "action": action,
            "actor_member": member,
            "actor_client": client,
            "purpose": purpose,
            "legal_basis": legal_basis,
            "consent_ref": consent_ref,
            "subject_ref": subject,
            "fields": fields,
            "decision": decision,
            "time": time,
            "hidden_until": None if hidden is None else time + timedelta(days=hidden),
            "request_id": request_id,
        }
    )
    assert event.to_entry() == event.to_entry_reference()
    assert AccessEvent.from_entry(event.to_entry()) == event
