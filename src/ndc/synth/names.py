"""Vocabularies of Vietnamese names, streets and enterprise names, with realistic weights.

Family-name shares follow DOMAIN.md (Nguyễn ~38%, Trần 11%, Lê 9.5% ... 14 names ~90%); the tail
shares the rest. Given-name lists are ordered from most to least frequent and weighted by a Zipf
law. Every word is in NFC with the traditional tone placement (NDC's canonical form).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ndc.standardize.text import set_tone_style

# (name, % of the population) — DOMAIN.md; Hoàng/Huỳnh and Vũ/Võ split roughly north/south.
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.1),
    ("Hoàng", 2.6),
    ("Huỳnh", 2.5),
    ("Phan", 4.5),
    ("Vũ", 2.0),
    ("Võ", 1.9),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
)
_FAMILY_TAIL = tuple(
    """
Đào Đoàn Vương Trịnh Trương Lâm Phùng Mai Tô Hà Lương Đinh Lưu Tạ Cao Châu Thái Kiều Quách
Triệu Tăng Hứa La Khúc Thân Lục Mạc Chu Đồng Nghiêm Giang Kim Âu Diệp Khổng Từ Ông Tiêu
Văn Lạc Doãn Bạch Nông Lò Chế Quan Phí Tống Vi Hầu
""".split()  # noqa: SIM905
)
# Family names of some ethnic groups (codes of the ethnicity code list).
ETHNIC_FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "03": ("Lò", "Cầm", "Lường", "Quàng", "Vi", "Hà", "Lù"),  # Thái
    "05": ("Thạch", "Danh", "Sơn", "Kim", "Lâm", "Châu", "Chau"),  # Khmer
    "08": ("Giàng", "Sùng", "Thào", "Vàng", "Lý", "Mùa", "Hờ"),  # H'Mông
}

# Middle names (one or two words) by sex, with weights for people born before / from 1990.
MIDDLE_MALE: tuple[tuple[str, float, float], ...] = (
    ("Văn", 45, 18),
    ("Đức", 8, 9),
    ("Minh", 7, 12),
    ("Quang", 6, 7),
    ("Hữu", 6, 5),
    ("Công", 4, 4),
    ("Quốc", 4, 6),
    ("Đình", 4, 3),
    ("Thanh", 3, 4),
    ("Xuân", 3, 2),
    ("Ngọc", 2, 2),
    ("Duy", 2, 4),
    ("Hoàng", 2, 4),
    ("Tuấn", 1, 3),
    ("Anh", 1, 4),
    ("Trung", 1, 2),
    ("Gia", 0.5, 5),
    ("Bảo", 0.5, 4),
    ("Thế", 2, 2),
    ("Mạnh", 1, 2),
    ("Tiến", 1, 1),
    ("Trọng", 1, 1),
    ("Nhật", 0.5, 2),
    ("Đăng", 0.5, 2),
    ("Văn Minh", 1, 0.5),
    ("Hữu Thành", 0.3, 0.2),
)
MIDDLE_FEMALE: tuple[tuple[str, float, float], ...] = (
    ("Thị", 55, 25),
    ("Ngọc", 6, 8),
    ("Thanh", 5, 5),
    ("Thu", 5, 4),
    ("Thị Thanh", 3, 1),
    ("Thị Ngọc", 2, 1),
    ("Thị Thu", 2, 1),
    ("Minh", 2, 5),
    ("Hồng", 3, 3),
    ("Phương", 2, 4),
    ("Kim", 3, 3),
    ("Mỹ", 2, 3),
    ("Bảo", 0.5, 5),
    ("Khánh", 0.5, 4),
    ("Thùy", 2, 4),
    ("Ánh", 1, 2),
    ("Xuân", 2, 1),
    ("Hoài", 1, 1),
    ("Diệu", 1, 2),
    ("Quỳnh", 1, 3),
    ("Hải", 0.5, 2),
    ("Gia", 0.2, 3),
    ("Ngọc Bảo", 0.1, 1),
    ("Tuyết", 1, 0.5),
    ("Bích", 1, 0.5),
    ("Mai", 0.5, 1),
)

GIVEN_MALE: tuple[str, ...] = tuple(
    """
Anh Hùng Dũng Tuấn Nam Hải Minh Long Sơn Thắng Hiếu Cường Huy Trung Phong Thành Việt Quang
Đức Tùng Hoàng Bình Khánh Hưng Tú Vinh Phúc Tâm Hòa Lâm Hiệp Toàn Linh Tiến Quân Đạt Duy
Khoa Thịnh Lợi Hào Kiên Mạnh Lộc Tài Tân Thái Trí Vũ Hậu Hiển Công Chiến Định Đông Giang
Hà Hạnh Hậu Hoan Khải Khang Khôi Lực Luân Lương Nghĩa Ngọc Nguyên Nhân Nhật Phát Phú Phước
Quốc Quý Sang Sáng Thanh Thiện Thông Thuận Thức Tín Trọng Trường Tuyên Uy Văn Vĩnh Vương
Vỹ Xuân Bảo Bằng Cảnh Chính Chung Công Cương Danh Dân Diệu Doanh Dương Điền Điệp Đoàn Được
Hạ Hân Hiền Hoà Hồng Huấn Hướng Kha Khiêm Kỳ Lạc Lãm Liêm Lĩnh Luận Mẫn Mậu Nghị Ngân Nhã
Ninh Pháp Quảng Quyết Sỹ Tạo Thạch Thể Thiêm Thọ Thuỵ Tiệp Trác Triều Tường Ưng Vạn Vượng
Yên Khoát Phương Bách Đăng
""".split()  # noqa: SIM905
)
GIVEN_FEMALE: tuple[str, ...] = tuple(
    """
Linh Hương Trang Anh Hà Lan Mai Hoa Thảo Hằng Ngọc Phương Huyền Nhung Thủy Thu Yến Dung
Hạnh Hiền Loan Nga Oanh Quỳnh Vân Vy Nhi My Trâm Giang Hồng Huệ Liên Ly Ngân Thanh Thúy
Tâm Trinh Uyên Xuân Chi Diễm Duyên Hải Hậu Hoài Hòa Khánh Kiều Lệ Liễu Loan Mơ Na Nguyệt
Nhàn Nhiên Nhung Phượng Quyên Sen Sương Tuyết Thơ Thư Thương Tiên Trà Tú Tuyền Vi Xoan Yên
An Ánh Bích Cúc Diệp Diệu Đào Điệp Gấm Hân Hiên Hòe Huế Hường Khuê Lam Lài Lành Lụa Lựu
Mận Minh Mỹ Nương Nữ Phấn Phúc Quế Quyết Sa Thắm Thêu Thoa Thoan Thục Thuận Thuý Thủy Tiến
Tình Trúc Tươi Ước Vàng Vui Xuyến Yêu Ngà Ngoan Nhạn Nhị Phụng Quý Sinh Tâm Thái Thắm Thi
Thịnh Thuần Châu Băng Cầm Đan Kim
""".split()  # noqa: SIM905
)

STREETS: tuple[str, ...] = tuple(
    """\
Lê Lợi|Trần Hưng Đạo|Nguyễn Huệ|Hai Bà Trưng|Lý Thường Kiệt|Quang Trung|Lê Duẩn|
Nguyễn Trãi|Điện Biên Phủ|Hùng Vương|Trần Phú|Nguyễn Du|Phan Đình Phùng|Lê Lai|Bà Triệu|
Nguyễn Văn Cừ|Lạc Long Quân|Âu Cơ|Võ Văn Kiệt|Phạm Văn Đồng|Nguyễn Thị Minh Khai|
Cách Mạng Tháng Tám|Ba Tháng Hai|Nguyễn Đình Chiểu|Lê Thánh Tông|Trường Chinh|Giải Phóng|
Kim Mã|Cầu Giấy|Xuân Thủy|Tôn Đức Thắng|Hoàng Văn Thụ|Lý Tự Trọng|Chu Văn An|Ngô Quyền|
Đinh Tiên Hoàng|Lê Hồng Phong|Phan Chu Trinh|Trần Quốc Toản|Nguyễn Chí Thanh|Láng Hạ|
Tây Sơn|Bạch Đằng|Nguyễn Thái Học|Hàm Nghi|Pasteur|Yersin|Lý Thái Tổ|Tô Hiến Thành|
Võ Thị Sáu|Nguyễn Văn Linh|Huỳnh Tấn Phát|Nguyễn Hữu Thọ|Kha Vạn Cân|Lê Văn Sỹ|Cộng Hòa|
Trần Não|Phan Xích Long|Hoàng Diệu
""".replace("\n", "")
    .strip()
    .split("|")
)

ENTERPRISE_TYPES: tuple[tuple[str, str, float], ...] = (
    # code, name prefix, weight
    ("TNHH1TV", "Công ty TNHH một thành viên", 0.30),
    ("TNHH2TV", "Công ty TNHH", 0.38),
    ("CP", "Công ty Cổ phần", 0.22),
    ("DNTN", "Doanh nghiệp tư nhân", 0.09),
    ("HD", "Công ty Hợp danh", 0.01),
)
ENTERPRISE_SECTORS: tuple[str, ...] = tuple(
    """\
Thương mại|Dịch vụ|Thương mại và Dịch vụ|Xây dựng|Đầu tư|Sản xuất|Vận tải|Công nghệ|
Thực phẩm|Du lịch|Tư vấn|Nông nghiệp|Bất động sản|Kỹ thuật|Xuất nhập khẩu|In ấn|Giáo dục|
Thiết bị Y tế|May mặc|Điện tử|Cơ khí|Nội thất|Logistics|Phần mềm|Dược phẩm
""".replace("\n", "")
    .strip()
    .split("|")
)
BRAND_WORDS: tuple[str, ...] = tuple(
    """
Minh Phát Thành Hưng Thịnh An Phú Gia Tân Việt Hoàng Long Quang Đại Nam Bắc Hải Sơn Tiến
Đạt Lộc Vạn Kim Ngọc Sao Bình Hòa Trường Thái Nhật Phong Khang Tài Đức Tín Mỹ Á Âu Toàn
Cầu Hồng Bảo Vinh Quốc Trí Xanh Mới Sáng Lạc Hà Phương Đông Tây
""".split()  # noqa: SIM905
)

AGENCIES: tuple[str, ...] = (
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Xây dựng",
    "Sở Tư pháp",
    "Sở Nông nghiệp và Môi trường",
    "Ủy ban nhân dân xã",
    "Ủy ban nhân dân phường",
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Thanh tra tỉnh",
    "Sở Công Thương",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
)
POSITIONS: tuple[str, ...] = (
    "Chuyên viên",
    "Chuyên viên chính",
    "Chuyên viên cao cấp",
    "Cán sự",
    "Phó Trưởng phòng",
    "Trưởng phòng",
    "Phó Giám đốc",
    "Giám đốc",
    "Kế toán viên",
    "Thanh tra viên",
)


def zipf_weights(n: int, s: float = 1.0) -> np.ndarray:
    w: np.ndarray = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    out: np.ndarray = w / w.sum()
    return out


def _canonical(words: tuple[str, ...]) -> tuple[str, ...]:
    """Traditional tone placement; drop repeats while keeping the frequency order."""
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(set_tone_style(w, "traditional"), None)
    return tuple(seen)


@lru_cache(maxsize=1)
def family_vocab() -> tuple[tuple[str, ...], np.ndarray]:
    names = [n for n, _ in FAMILY_NAMES]
    weights = [w for _, w in FAMILY_NAMES]
    tail = [n for n in _FAMILY_TAIL if n not in names]
    tail_w = zipf_weights(len(tail), 0.7) * (100.0 - sum(weights))
    p = np.array(weights + list(tail_w), dtype=np.float64)
    return _canonical(tuple(names + tail)), p / p.sum()


@lru_cache(maxsize=2)
def middle_vocab(female: bool) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    table = MIDDLE_FEMALE if female else MIDDLE_MALE
    words = tuple(set_tone_style(w, "traditional") for w, _, _ in table)
    old = np.array([a for _, a, _ in table], dtype=np.float64)
    new = np.array([b for _, _, b in table], dtype=np.float64)
    return words, old / old.sum(), new / new.sum()


@lru_cache(maxsize=2)
def given_vocab(female: bool) -> tuple[tuple[str, ...], np.ndarray]:
    words = _canonical(GIVEN_FEMALE if female else GIVEN_MALE)
    return words, zipf_weights(len(words), 0.9)
