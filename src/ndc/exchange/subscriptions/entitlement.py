"""The one place a subscription asks the sharing policy whether a client may read a dataset.

Typed structurally so that this package needs only ``decide()`` of the policy engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ndc.exchange.subscriptions.exceptions import NotEntitled


class DecisionLike(Protocol):
    @property
    def permit(self) -> bool: ...
    @property
    def fields(self) -> tuple[str, ...]: ...
    @property
    def reason(self) -> str: ...


class PolicyLike(Protocol):
    def decide(
        self,
        *,
        client_id: str,
        member_code: str,
        dataset: str,
        purpose: str,
        subject_id: str | None,
        fields: Sequence[str] | None = None,
    ) -> DecisionLike: ...


def readable_fields(
    policy: PolicyLike,
    *,
    client_id: str,
    member_code: str,
    dataset: str,
    purpose: str,
    fields: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """The fields the client may read of ``dataset`` for ``purpose`` (dataset-wide, no
    subject); raises :class:`NotEntitled` with the policy's denial code otherwise."""
    decision = policy.decide(
        client_id=client_id,
        member_code=member_code,
        dataset=dataset,
        purpose=purpose,
        subject_id=None,
        fields=fields,
    )
    if not decision.permit:
        raise NotEntitled(
            decision.reason,
            f"client {client_id!r} may not read {dataset!r} for purpose {purpose!r}",
        )
    return decision.fields
