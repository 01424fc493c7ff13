"""Catalogue and consent I/O shapes; texts a citizen reads carry Vietnamese labels."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ndc.exchange.policy.purposes import Access, Dataset, Purpose


class ConsentState(StrEnum):
    """Consent lifecycle: pending -> active | rejected; active -> revoked | expired."""

    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def label_vi(self) -> str:
        return _STATE_VI[self]


_STATE_VI = {
    ConsentState.PENDING: "Chờ công dân đồng ý",
    ConsentState.ACTIVE: "Đang có hiệu lực",
    ConsentState.REJECTED: "Công dân đã từ chối",
    ConsentState.REVOKED: "Công dân đã rút lại",
    ConsentState.EXPIRED: "Đã hết hạn",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RuleIn(_Frozen):
    """A new catalogue rule: for ``client_id``, or for every client of ``member_code``."""

    dataset: Dataset
    client_id: str | None = Field(default=None, max_length=80)
    member_code: str | None = Field(default=None, max_length=32)
    fields: list[str] = Field(min_length=1)
    purposes: list[Purpose] = Field(min_length=1)
    access: Access = Access.READ
    legal_basis: str = Field(min_length=3, max_length=1000)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    covert_allowed: bool = False


class RuleOut(_Frozen):
    id: str
    dataset: Dataset
    member_code: str
    client_id: str | None
    fields: list[str]
    purposes: list[Purpose]
    access: Access
    legal_basis: str
    valid_from: datetime
    valid_until: datetime | None
    covert_allowed: bool
    created_at: datetime
    revoked_at: datetime | None


class ConsentRequestIn(_Frozen):
    """What a client asks a citizen to consent to (the requester is the calling client)."""

    subject_id: str = Field(pattern=r"^\d{12}$", description="The citizen's 12-digit CCCD.")
    dataset: Dataset
    fields: list[str] = Field(min_length=1)
    purpose: Purpose
    valid_until: AwareDatetime
    valid_from: AwareDatetime | None = None
    data_life_days: int = Field(ge=1, le=3650, description="How long the data may be kept.")
    note: str | None = Field(default=None, max_length=500, description="Shown to the citizen.")
    client_only: bool = Field(
        default=False, description="Only the asking client may use it (else every client of "
        "its member).",
    )  # fmt: skip


class ConsentOut(_Frozen):
    id: str
    subject_id: str
    requester_member: str
    requester_client: str | None
    dataset: Dataset
    dataset_label_vi: str
    fields: list[str]
    purpose: Purpose
    purpose_label_vi: str
    note: str | None
    valid_from: datetime
    valid_until: datetime
    data_life_days: int
    state: ConsentState
    state_label_vi: str
    created_at: datetime
    decided_at: datetime | None
    revoked_at: datetime | None


class CitizenConsentOut(ConsentOut):
    """A consent as the citizen sees it: who asks, in Vietnamese, and which data by name."""

    requester_name_vi: str
    field_labels_vi: dict[str, str]
