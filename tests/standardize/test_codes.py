import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ndc.standardize.codes import (
    ETHNICITY_SYNONYMS,
    SEX_SYNONYMS,
    CodeMatcher,
    map_code,
    map_codes_table,
)
from ndc.standardize.text import fold_accents

SEX = {"1": ("Nam", "Male"), "2": ("Nữ", "Female"), "0": ("Chưa xác định", "Unknown")}
ETHNICITY = {
    "01": ("Kinh", "Kinh"),
    "02": ("Tày", "Tay"),
    "03": ("Thái", "Thai"),
    "04": ("Mường", "Muong"),
    "05": ("Khmer", "Khmer"),
    "06": ("Hoa", "Hoa"),
    "08": ("H'Mông", "Hmong"),
    "11": ("Ê Đê", "Ede"),
}
RELIGION = {
    "00": ("Không", "None"),
    "01": ("Phật giáo", "Buddhism"),
    "02": ("Công giáo", "Catholic"),
}
LISTS = [SEX, ETHNICITY, RELIGION]


@pytest.mark.parametrize(
    ("raw", "code", "method"),
    [
        ("Nam", "1", "label"),
        ("NỮ", "2", "label"),
        ("nu", "2", "folded"),
        ("M", "1", "synonym"),
        ("female", "2", "label"),
        ("F", "2", "synonym"),
        ("2", "2", "code"),
        ("Nữ giới", "2", "synonym"),
    ],
)
def test_sex_spellings(raw: str, code: str, method: str) -> None:
    r = map_code(raw, SEX, SEX_SYNONYMS)
    assert (r.code, r.method) == (code, method)


@pytest.mark.parametrize(
    ("raw", "code", "flag"),
    [
        ("1", "01", "code.zero_padded"),
        ("Kinh (Việt)", "01", "code.synonym"),
        ("Mèo", "08", "code.synonym"),
        ("Ê-đê", "11", "code.folded_match"),
        ("01 - Kinh", "01", None),
        ("01 - Tày", "01", "code.label_mismatch"),
        ("Mườngg", "04", "code.fuzzy"),
    ],
)
def test_ethnicity_spellings(raw: str, code: str, flag: str | None) -> None:
    r = map_code(raw, ETHNICITY, ETHNICITY_SYNONYMS)
    assert r.code == code
    assert flag is None or flag in r.flags


def test_unknown_and_empty_values_are_flagged_not_guessed() -> None:
    assert map_code("Sao Hỏa", ETHNICITY).flags == ("code.unmapped",)
    assert map_code("  ", SEX).flags == ("code.empty",)
    assert map_code("x", SEX, SEX_SYNONYMS).code is None


def test_code_list_objects_bring_their_synonyms() -> None:
    from ndc.dictionary.codelists import code_list

    assert map_code("male", code_list("sex")).code == "1"
    assert map_code("Mèo", code_list("ethnicity")).code == "08"
    assert map_code("vn", code_list("nationality")).code == "VN"


@given(st.sampled_from(LISTS).flatmap(lambda cl: st.tuples(st.just(cl), st.sampled_from(list(cl)))))
def test_every_code_and_label_spelling_maps_back(
    pair: tuple[dict[str, tuple[str, str]], str],
) -> None:
    code_list, code = pair
    matcher = CodeMatcher(code_list)
    vi, en = code_list[code]
    for written in (code, vi, en, vi.upper(), fold_accents(vi), f"  {vi.lower()}  "):
        assert matcher.match(written).code == code, written


def test_lookup_table() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('Nam'), ('nữ'), ('M'), ('?')) v(gt)")
    lk = map_codes_table(con, "t", "gt", SEX, SEX_SYNONYMS)
    rows = dict(con.execute(f"SELECT raw, code FROM {lk}").fetchall())
    assert rows == {"Nam": "1", "nữ": "2", "M": "1", "?": None}
