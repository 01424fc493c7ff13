"""Vietnamese and English labels of the reconciliation reports (columns, fields, kinds).

The CSV files keep the stable codes (for machines); the workbook and the HTML page show these
labels (for the agencies' staff), Vietnamese first.
"""

from __future__ import annotations

from ndc.dictionary.codelists import code_list

Label = tuple[str, str]  # (vi, en)

KIND_TITLES: dict[str, Label] = {
    "field_discrepancies": ("Sai lệch so với dữ liệu gốc", "Values differing from the register"),
    "wrong_identifiers": ("Số định danh nghi sai", "Identifiers that look wrong"),
    "deceased_active": ("Người đã chết còn hiệu lực", "Deceased but still active"),
    "dissolved_active": ("Doanh nghiệp đã giải thể còn hoạt động", "Dissolved but still active"),
}
SHEETS: dict[str, str] = {  # XLSX sheet names: at most 31 characters
    "summary": "Tổng hợp",
    "field_discrepancies": "Sai lệch thông tin",
    "wrong_identifiers": "Số định danh sai",
    "deceased_active": "Đã chết còn hiệu lực",
    "dissolved_active": "DN giải thể còn hoạt động",
}
COLUMNS: dict[str, Label] = {
    "source_id": ("Nguồn", "Source"),
    "record_key": ("Mã hồ sơ", "Record key"),
    "entity": ("Đối tượng", "Entity"),
    "target_id": ("Mã trong CSDL gốc", "Register identifier"),
    "field": ("Trường thông tin", "Field"),
    "kind": ("Loại", "Kind"),
    "source_value": ("Giá trị của cơ quan", "Agency value"),
    "master_value": ("Giá trị trong CSDL gốc", "Register value"),
    "source_raw": ("Nguyên văn trong nguồn", "As written in the source"),
    "method": ("Phương pháp liên kết", "Link method"),
    "match_probability": ("Xác suất khớp", "Match probability"),
    "identifier": ("Số định danh trong hồ sơ", "Identifier in the record"),
    "identifier_raw": ("Nguyên văn", "As written"),
    "likely_id": ("Số định danh đúng (dự kiến)", "Likely correct identifier"),
    "full_name": ("Họ tên (CSDL gốc)", "Name (register)"),
    "person_id": ("Số định danh cá nhân", "Personal ID"),
    "date_of_birth": ("Ngày sinh", "Date of birth"),
    "date_of_death": ("Ngày chết", "Date of death"),
    "status": ("Trạng thái trong nguồn", "Status in the source"),
    "valid_until": ("Hiệu lực đến", "Valid until"),
    "rule": ("Quy tắc", "Rule"),
    "role": ("Vai trò", "Role"),
    "enterprise_id": ("Mã số doanh nghiệp", "Enterprise ID (MST)"),
    "enterprise_name": ("Tên doanh nghiệp (CSDL gốc)", "Enterprise name (register)"),
    "register_status": ("Tình trạng trong CSDL đăng ký DN", "Status in the business register"),
}
VALUES: dict[str, Label] = {
    "person": ("Công dân", "Person"),
    "enterprise": ("Doanh nghiệp", "Enterprise"),
    "full_name": ("Họ tên", "Full name"),
    "name": ("Tên doanh nghiệp", "Enterprise name"),
    "date_of_birth": ("Ngày sinh", "Date of birth"),
    "sex": ("Giới tính", "Sex"),
    "ethnicity": ("Dân tộc", "Ethnicity"),
    "date_of_death": ("Ngày chết", "Date of death"),
    "death_not_in_register": ("CSDL gốc chưa ghi nhận đã chết", "Death not in the register"),
    "phone": ("Số điện thoại", "Phone"),
    "commune": ("Xã/phường cư trú", "Commune of residence"),
    "different": ("Khác CSDL gốc", "Differs from the register"),
    "accents_missing": ("Viết không dấu", "Written without diacritics"),
    "register_accents_missing": ("CSDL gốc viết không dấu", "Register written without diacritics"),
    "accents_differ": ("Sai dấu", "Different diacritics"),
    "year_only": ("Chỉ có năm sinh", "Year only"),
    "month_only": ("Chỉ có tháng và năm", "Month and year only"),
    "day_month_swapped": ("Đảo ngày và tháng", "Day and month swapped"),
    "uncertain_mapping": ("Địa chỉ cũ, quy đổi chưa chắc chắn", "Old address, uncertain mapping"),
    "missing": ("Thiếu số định danh", "Identifier missing"),
    "unreadable": ("Số định danh không đọc được", "Identifier unreadable"),
    "old_cmnd": ("Dùng số CMND cũ", "Old CMND number used"),
    "digits_wrong": ("Sai một hoặc hai chữ số", "One or two digits wrong"),
    "digit_missing": ("Thiếu một chữ số", "One digit missing"),
    "self": ("Doanh nghiệp của hồ sơ", "The record's enterprise"),
    "employer": ("Đơn vị sử dụng lao động", "Employer"),
    "linked": ("Đã khớp", "Matched"),
    "review": ("Chờ xem xét", "Ambiguous (review)"),
    "unmatched": ("Chưa khớp", "Unmatched"),
    "master": ("Bản ghi gốc", "Register row"),
    "deterministic": ("Tất định", "Deterministic"),
    "probabilistic": ("Xác suất", "Probabilistic"),
    "reviewer": ("Người duyệt", "Reviewer"),
}
for _code, _item in code_list("enterprise_status").items.items():
    VALUES.setdefault(_code, (_item.label_vi, _item.label_en))

TRANSLATED = frozenset({"entity", "field", "kind", "role", "register_status", "method"})


def label(value: str, lang: str = "vi") -> str:
    """The label of a code in the reports; the code itself when it has none."""
    pair = VALUES.get(value)
    return value if pair is None else pair[0 if lang == "vi" else 1]


def both(value: str) -> str:
    """'Vietnamese / English' label of a code (the code when it has none)."""
    pair = VALUES.get(value)
    return value if pair is None else f"{pair[0]} / {pair[1]}"
