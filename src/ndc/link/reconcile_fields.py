"""What a source's standardised columns mean for reconciliation (đối soát).

A source record carries, for the person or enterprise it is linked to, some of the attributes the
register masters (name, date of birth, sex, phone, commune...) under the mapping keys of its own
config (``person.full_name``, ``holder_date_of_birth``, ``subject_id``...). ``profile`` finds them
by the mapping keys the dictionary uses for each role, so a new source that follows the
dictionary's naming is reconciled without code. ``ACTIVITY`` says, per dictionary entity, which
fields tell that a record is still in force (a valid card, a licence not expired, an employment
not ended): a record of a dead person or a dissolved enterprise that is still in force is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ndc.pipeline.fields import MappedField, column_name, resolve
from ndc.sources.schemas import SourceConfig

PERSON, ENTERPRISE = "person", "enterprise"

# Mapping keys that hold each role, in order of preference. Address prefixes (transform
# ``address``) give the role ``commune`` through their ``<prefix>_commune_code`` column.
ROLE_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    PERSON: {
        "id": ("person_id", "holder_id", "subject_id", "legal_representative_id"),
        "full_name": (
            "full_name",
            "person.full_name",
            "holder_full_name",
            "subject_full_name",
            "legal_representative_name",
            "taxpayer_name",
        ),
        "date_of_birth": (
            "date_of_birth",
            "person.date_of_birth",
            "holder_date_of_birth",
            "subject_date_of_birth",
        ),
        "sex": ("sex", "person.sex", "subject_sex"),
        "ethnicity": ("ethnicity", "person.ethnicity"),
        "phone": ("phone", "person.phone"),
        "commune": ("permanent_residence", "person.permanent_residence"),
    },
    ENTERPRISE: {
        "id": ("mst", "tax_id", "holder_id", "enterprise_id"),
        "name": ("name", "taxpayer_name", "person.full_name"),
        "commune": ("address", "person.permanent_residence"),
    },
}
REFERENCE = {PERSON: "person.person_id", ENTERPRISE: "enterprise.mst"}

# Records that register a death (the civil-status register masters deaths): entity ->
# (type field, type code, date field). Their date must be the register's date of death.
DEATHS: dict[str, tuple[str, str, str]] = {
    "civil_status_event": ("event_type", "death", "event_date"),
}

# Enterprise statuses that mean the enterprise no longer exists (code list enterprise_status).
DISSOLVED = frozenset({"dissolved", "bankrupt", "certificate_revoked", "merged"})


@dataclass(frozen=True)
class Activity:
    """When a record of an entity is in force: its status is not one of ``closed`` and none of
    the ``until`` dates (end of validity) falls before the day that matters (date of death)."""

    status: str | None = None
    closed: frozenset[str] = frozenset()
    until: tuple[str, ...] = ()
    label_vi: str = ""
    label_en: str = ""


ACTIVITY: dict[str, Activity] = {
    "health_record": Activity(
        until=("card_valid_to",),
        label_vi="Thẻ BHYT còn giá trị sau ngày chết",
        label_en="Health insurance card valid after the date of death",
    ),
    "driving_licence": Activity(
        status="status",
        closed=frozenset({"expired", "revoked", "replaced", "points_exhausted"}),
        until=("expiry_date",),
        label_vi="Giấy phép lái xe còn hiệu lực sau ngày chết",
        label_en="Driving licence valid after the date of death",
    ),
    "social_insurance_participation": Activity(
        status="status",
        closed=frozenset({"deceased", "lump_sum_paid"}),
        until=("end_date",),
        label_vi="Còn tham gia BHXH sau ngày chết",
        label_en="Social insurance participation open after the date of death",
    ),
    "civil_servant_employment": Activity(
        status="status",
        closed=frozenset(
            {"transferred", "retired", "resigned", "dismissed", "streamlined", "deceased"}
        ),
        until=("end_date",),
        label_vi="Còn đang công tác sau ngày chết",
        label_en="Still in service after the date of death",
    ),
    "tax_registration": Activity(
        status="status",
        closed=frozenset({"01"}),  # tax_status 01: ceased, tax code closed
        label_vi="Mã số thuế còn hoạt động",
        label_en="Tax code still active",
    ),
    "land_parcel": Activity(
        label_vi="Giấy chứng nhận đất còn đứng tên",
        label_en="Land certificate still in the holder's name",
    ),
    "enterprise": Activity(
        status="status",
        closed=DISSOLVED,
        label_vi="Doanh nghiệp còn hoạt động, người đại diện đã chết",
        label_en="Enterprise active with a deceased legal representative",
    ),
}


@dataclass(frozen=True)
class Profile:
    """The std-table columns of one source that matter for reconciliation."""

    source_id: str
    entity: str  # dictionary entity of the source's records
    default_link: str  # person | enterprise: the link a record has when linking gave none
    columns: dict[str, dict[str, str]]  # link entity -> role -> std column
    confidence: dict[str, str]  # link entity -> address confidence column (commune role)
    employer: tuple[str, ...] = ()  # columns referencing another enterprise (an employer)
    activity: Activity | None = None
    activity_columns: dict[str, str] = field(default_factory=dict)  # status/until -> column
    death: tuple[str, str, str] | None = None  # (type column, death code, date column)


def profile(cfg: SourceConfig) -> Profile:
    """Find the columns of each role in a source (std-table names, as the pipeline writes them)."""
    fields = resolve(cfg)
    by_key = {f.key: f for f in fields}
    columns: dict[str, dict[str, str]] = {}
    confidence: dict[str, str] = {}
    for link_entity, roles in ROLE_KEYS.items():
        found: dict[str, str] = {}
        for role, keys in roles.items():
            key = next(
                (k for k in keys if k in by_key and _fits(by_key[k], role, link_entity)), None
            )
            if key is None and role == "id" and link_entity == _default_link(cfg):
                key = next(
                    (
                        f.key
                        for f in fields
                        if f.field and f.field.references == REFERENCE[link_entity]
                    ),
                    None,
                )
            if key is None:
                continue
            if role == "commune":
                found[role] = f"{column_name(key)}_commune_code"
                confidence[link_entity] = f"{column_name(key)}__confidence"
            else:
                found[role] = column_name(key)
        if "id" in found or link_entity == _default_link(cfg):
            columns[link_entity] = found
    own_id = columns.get(ENTERPRISE, {}).get("id")
    employer = tuple(
        column_name(f.key)
        for f in fields
        if f.field and f.field.references == REFERENCE[ENTERPRISE] and column_name(f.key) != own_id
    )
    activity = ACTIVITY.get(cfg.entity)
    act_cols: dict[str, str] = {}
    if activity is not None:
        for name in (activity.status, *activity.until):
            if name and name in by_key:
                act_cols[name] = column_name(name)
    death = DEATHS.get(cfg.entity)
    if death and not (death[0] in by_key and death[2] in by_key):
        death = None
    return Profile(
        cfg.id, cfg.entity, _default_link(cfg), columns, confidence, employer, activity, act_cols,
        death,
    )  # fmt: skip


def _fits(f: MappedField, role: str, link_entity: str) -> bool:
    """A commune comes from an address prefix only (a text address is not parsed); an
    identifier that references the other register's key is not this register's."""
    if role == "commune":
        return f.field is None
    if f.field is None:
        return False
    return role != "id" or f.field.references in (None, REFERENCE[link_entity])


def _default_link(cfg: SourceConfig) -> str:
    return ENTERPRISE if cfg.entity == ENTERPRISE else PERSON
