import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from ndc.standardize.text import fold_accents, nfc, set_tone_style

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
words = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "bcghklmnpqrstvx ", max_size=30)


def test_traditional_and_modern_placement_of_open_oa_oe_uy() -> None:
    assert set_tone_style("Hoà Thuỷ khoẻ", "traditional") == "Hòa Thủy khỏe"
    assert set_tone_style("Hòa Thủy khỏe", "modern") == "Hoà Thuỷ khoẻ"


def test_closed_syllables_and_marked_vowels_are_unchanged() -> None:
    for word in ["hoàn", "Toàn", "Nguyễn", "người", "thuở", "Quỳnh", "giữa", "quý", "Tuấn"]:
        assert set_tone_style(word, "traditional") == word
        assert set_tone_style(word, "modern") == word


def test_official_unit_name_keeps_its_form() -> None:
    assert set_tone_style("Thanh Hoá") == "Thanh Hóa"


def test_fold_maps_d_stroke_and_drops_marks() -> None:
    assert fold_accents("Đặng Thị Hồng Nhung") == "dang thi hong nhung"


@given(words)
def test_tone_styles_round_trip_and_keep_the_folded_key(text: str) -> None:
    trad = set_tone_style(text, "traditional")
    assert set_tone_style(set_tone_style(trad, "modern"), "traditional") == trad
    assert fold_accents(trad) == fold_accents(text)


@given(words)
def test_nfd_input_gives_the_same_result_as_nfc(text: str) -> None:
    decomposed = unicodedata.normalize("NFD", text)
    assert set_tone_style(decomposed) == set_tone_style(nfc(text))
    assert fold_accents(decomposed) == fold_accents(text)
    assert fold_accents(text).isascii()
