"""Coded purposes of processing, access kinds and the datasets the exchange shares.

Every exchange request states one purpose (header ``X-NDC-Purpose``); catalogue rules and citizen
consents name the purposes they cover, so the purpose is what ties a request to its legal ground
(Decree 278/2025 on mandatory sharing; Law 91/2025 on personal data: purpose limitation). The
list is short on purpose: a code that is too fine-grained is chosen at random by callers.

=========================  ==========================================  ======  =======
code                       label (vi)                                  covert  consent
=========================  ==========================================  ======  =======
administrative-procedure   Giải quyết thủ tục hành chính               no      yes
social-insurance           Bảo hiểm xã hội                             no      yes
health-insurance           Bảo hiểm y tế                               no      yes
tax-administration         Quản lý thuế                                no      yes
residence-management       Quản lý cư trú                              no      yes
law-enforcement            Thực thi pháp luật                          no      no
criminal-investigation     Điều tra hình sự                            yes     no
statistics                 Thống kê nhà nước                           no      yes
credit-assessment          Thẩm định tín dụng                          no      yes
employment-verification    Xác minh thông tin người lao động           no      yes
citizen-self-service       Công dân tự tra cứu dữ liệu của mình        no      no
=========================  ==========================================  ======  =======

*covert*: a rule for this purpose may let the access stay hidden from the citizen's history for a
while (lawful investigations). *consent*: a citizen's consent can be the ground for this purpose;
enforcement and investigation rest on law, never on consent.
"""

from __future__ import annotations

from enum import StrEnum

from ndc.dictionary import entity


class Purpose(StrEnum):
    """A coded purpose of processing, with Vietnamese and English labels."""

    ADMINISTRATIVE_PROCEDURE = "administrative-procedure"
    SOCIAL_INSURANCE = "social-insurance"
    HEALTH_INSURANCE = "health-insurance"
    TAX_ADMINISTRATION = "tax-administration"
    RESIDENCE_MANAGEMENT = "residence-management"
    LAW_ENFORCEMENT = "law-enforcement"
    CRIMINAL_INVESTIGATION = "criminal-investigation"
    STATISTICS = "statistics"
    CREDIT_ASSESSMENT = "credit-assessment"
    EMPLOYMENT_VERIFICATION = "employment-verification"
    CITIZEN_SELF_SERVICE = "citizen-self-service"

    @property
    def label_vi(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]

    @property
    def covert_allowed(self) -> bool:
        """Whether a rule for this purpose may hide the access from the citizen for a while."""
        return self is Purpose.CRIMINAL_INVESTIGATION

    @property
    def consent_allowed(self) -> bool:
        """Whether a citizen's consent can be the ground of processing for this purpose."""
        return self not in _NO_CONSENT


_LABELS: dict[Purpose, tuple[str, str]] = {
    Purpose.ADMINISTRATIVE_PROCEDURE: (
        "Giải quyết thủ tục hành chính",
        "Handling an administrative procedure",
    ),
    Purpose.SOCIAL_INSURANCE: ("Bảo hiểm xã hội", "Social insurance"),
    Purpose.HEALTH_INSURANCE: ("Bảo hiểm y tế", "Health insurance"),
    Purpose.TAX_ADMINISTRATION: ("Quản lý thuế", "Tax administration"),
    Purpose.RESIDENCE_MANAGEMENT: ("Quản lý cư trú", "Residence management"),
    Purpose.LAW_ENFORCEMENT: ("Thực thi pháp luật", "Law enforcement"),
    Purpose.CRIMINAL_INVESTIGATION: ("Điều tra hình sự", "Criminal investigation"),
    Purpose.STATISTICS: ("Thống kê nhà nước", "Official statistics"),
    Purpose.CREDIT_ASSESSMENT: ("Thẩm định tín dụng", "Credit assessment"),
    Purpose.EMPLOYMENT_VERIFICATION: (
        "Xác minh thông tin người lao động",
        "Employment verification",
    ),
    Purpose.CITIZEN_SELF_SERVICE: (
        "Công dân tự tra cứu dữ liệu của mình",
        "Citizen self-service",
    ),
}
_NO_CONSENT = frozenset(
    {Purpose.LAW_ENFORCEMENT, Purpose.CRIMINAL_INVESTIGATION, Purpose.CITIZEN_SELF_SERVICE}
)


class Access(StrEnum):
    """What a rule lets a client do; ``read`` implies ``verify``."""

    READ = "read"  # receive the values
    VERIFY = "verify"  # only learn whether given values match the record


class Dataset(StrEnum):
    """Datasets the exchange shares (the policy ``dataset`` codes)."""

    PERSON = "person"
    ENTERPRISE = "enterprise"
    LAND_PARCEL = "land_parcel"
    ACCESS_HISTORY = "access_history"

    @property
    def label_vi(self) -> str:
        if self is Dataset.ACCESS_HISTORY:
            return "Lịch sử truy cập dữ liệu cá nhân"
        return entity(self.value).label_vi

    @property
    def label_en(self) -> str:
        if self is Dataset.ACCESS_HISTORY:
            return "Personal data access history"
        return entity(self.value).label_en

    @property
    def fields(self) -> frozenset[str]:
        """Field names a rule or consent may name for this dataset."""
        if self is Dataset.ACCESS_HISTORY:
            return ACCESS_HISTORY_FIELDS
        return frozenset(f.name for f in entity(self.value).fields)

    @property
    def personal(self) -> bool:
        """Data about one citizen, so a citizen's consent can open it."""
        return self in (Dataset.PERSON, Dataset.LAND_PARCEL)


#: ``access_history`` has one pseudo-field: the entries of the history.
ACCESS_HISTORY_FIELDS = frozenset({"entries"})


def field_label_vi(dataset: Dataset, field: str) -> str:
    """Vietnamese label of a field, for texts citizens read (the code when it has none)."""
    if dataset is Dataset.ACCESS_HISTORY:
        return "Các lần truy cập" if field == "entries" else field
    for f in entity(dataset.value).fields:
        if f.name == field:
            return f.label_vi
    return field
