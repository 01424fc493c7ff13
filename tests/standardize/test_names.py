import unicodedata

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from ndc.standardize.names import standardize_name, standardize_names_table
from ndc.standardize.text import fold_accents, set_tone_style

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Quang", "Minh", "Ngọc", "Xuân", "Thanh", ""]
GIVENS = [
    "An",
    "Hòa",
    "Thủy",
    "Khỏe",
    "Quỳnh",
    "Tuấn",
    "Hương",
    "Đạt",
    "Lộc",
    "Thúy",
    "Hoàn",
    "Huệ",
]

names = st.builds(
    lambda f, m, g: " ".join(w for w in (f, m, g) if w),
    st.sampled_from(FAMILIES),
    st.sampled_from(MIDDLES),
    st.sampled_from(GIVENS),
)
messy = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "bcghklmnpqrstvx '-.,0129", max_size=40)


def test_registry_upper_case_with_modern_tone_becomes_canonical() -> None:
    r = standardize_name("  NGUYỄN  THỊ   HOÀ ")
    assert r.standard == "Nguyễn Thị Hòa"
    assert (r.family, r.middle, r.given) == ("Nguyễn", "Thị", "Hòa")
    assert r.key == "nguyen thi hoa"
    assert {"name.case", "name.spacing", "name.tone_modern"} <= set(r.flags)


def test_nfd_input_is_flagged_and_composed() -> None:
    r = standardize_name(unicodedata.normalize("NFD", "Trần Văn Đạt"))
    assert r.standard == "Trần Văn Đạt"
    assert unicodedata.is_normalized("NFC", r.standard)
    assert "name.nfd" in r.flags


def test_unaccented_name_keeps_its_spelling_but_is_flagged() -> None:
    r = standardize_name("nguyen van an")
    assert r.standard == "Nguyen Van An"
    assert r.key == standardize_name("Nguyễn Văn An").key
    assert "name.no_accents" in r.flags


def test_digits_and_punctuation_are_removed_with_a_flag() -> None:
    r = standardize_name("Lê-Thị Bé 2!")
    assert r.standard == "Lê Thị Bé"
    assert "name.stray_chars" in r.flags


def test_minority_names_keep_their_apostrophe() -> None:
    r = standardize_name("h'hen niê")
    assert r.standard == "H'Hen Niê"
    assert r.key == "hhen nie"


def test_known_two_word_family_names_stay_together() -> None:
    r = standardize_name("Tôn Thất Thuyết")
    assert (r.family, r.middle, r.given) == ("Tôn Thất", "", "Thuyết")
    assert "name.compound_family" in r.flags
    plain = standardize_name("Tôn Nữ Thị Ninh")  # Tôn Nữ is a middle element here
    assert plain.family == "Tôn"


def test_single_word_and_empty_names() -> None:
    assert standardize_name("Thủy").given == "Thủy"
    assert "name.single_word" in standardize_name("Thủy").flags
    assert standardize_name("  ").flags == ("name.spacing", "name.empty")


@given(messy)
def test_standardisation_is_idempotent(raw: str) -> None:
    once = standardize_name(raw)
    twice = standardize_name(once.standard)
    assert twice.standard == once.standard
    assert twice.key == once.key


@given(st.text(max_size=40))
def test_key_is_always_ascii_lower_single_spaced(raw: str) -> None:
    key = standardize_name(raw).key
    assert key.isascii()
    assert key == key.lower()
    assert key == " ".join(key.split())


@given(names, st.sampled_from(["nfd", "unaccented", "modern", "upper", "spaced"]))
def test_variants_of_a_name_share_one_key(name: str, variant: str) -> None:
    written = {
        "nfd": unicodedata.normalize("NFD", name),
        "unaccented": fold_accents(name),
        "modern": set_tone_style(name, "modern"),
        "upper": name.upper(),
        "spaced": "  " + name.replace(" ", "   ") + " ",
    }[variant]
    assert standardize_name(written).key == standardize_name(name).key
    if variant != "unaccented":
        assert standardize_name(written).standard == name


def test_lookup_table_over_distinct_values() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE people (id INT, ho_ten VARCHAR)")
    con.execute(
        "INSERT INTO people VALUES (1, 'NGUYỄN VĂN AN'), (2, 'Nguyễn Văn An'), "
        "(3, 'NGUYỄN VĂN AN'), (4, NULL)"
    )
    lk = standardize_names_table(con, "people", "ho_ten")
    assert con.execute(f"SELECT count(*) FROM {lk}").fetchone() == (2,)
    rows = con.execute(
        f"SELECT p.id, n.standard, n.family, n.flags FROM people p "
        f"LEFT JOIN {lk} n ON p.ho_ten = n.raw ORDER BY p.id"
    ).fetchall()
    assert rows[0] == (1, "Nguyễn Văn An", "Nguyễn", ["name.case"])
    assert rows[1][1] == rows[2][1] == "Nguyễn Văn An"
    assert rows[3][1] is None
