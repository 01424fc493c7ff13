"""Legacy Vietnamese encodings: tables, round-trips, detection and file transcoding."""

from __future__ import annotations

import codecs
import random
import unicodedata
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndc.standardize import encodings as enc
from ndc.standardize.encodings import (
    SUPPORTED_ENCODINGS,
    VIETNAMESE_LETTERS,
    decode_legacy,
    detect_encoding,
    encode_legacy,
    is_vietnamese_syllable,
    normalize_encoding_name,
    read_text,
    transcode_to_utf8,
)

LEGACY = ("tcvn3", "vni", "viscii", "cp1258")
TONED = frozenset(
    c
    for c in VIETNAMESE_LETTERS
    if any(m in unicodedata.normalize("NFD", c) for m in "\u0300\u0301\u0303\u0309\u0323")
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------- tables


def test_the_repertoire_is_the_134_vietnamese_letters() -> None:
    assert len(VIETNAMESE_LETTERS) == len(set(VIETNAMESE_LETTERS)) == 134
    assert all(unicodedata.is_normalized("NFC", c) and not c.isascii() for c in VIETNAMESE_LETTERS)
    assert {"đ", "Đ", "ễ", "Ễ", "ự", "Ự", "ỵ", "Ỵ", "ă", "Ơ"} <= set(VIETNAMESE_LETTERS)


@pytest.mark.parametrize("encoding", ["vni", "viscii", "cp1258"])
def test_every_letter_has_its_own_code(encoding: str) -> None:
    codes = {encode_legacy(c, encoding) for c in VIETNAMESE_LETTERS}
    assert len(codes) == 134


def test_viscii_puts_every_letter_on_one_byte_as_rfc_1456() -> None:
    codes = [encode_legacy(c, "viscii") for c in VIETNAMESE_LETTERS]
    assert all(len(c) == 1 for c in codes)
    # Spot checks against RFC 1456 Table 1: the six letters on C0 positions and a few others.
    expected = {
        "Ẳ": 0x02, "Ẵ": 0x05, "Ẫ": 0x06, "Ỷ": 0x14, "Ỹ": 0x19, "Ỵ": 0x1E,
        "Ạ": 0x80, "Õ": 0xA0, "ồ": 0xB0, "Đ": 0xD0, "ạ": 0xD5, "ư": 0xDF, "đ": 0xF0, "Ữ": 0xFF,
    }  # fmt: skip
    for letter, byte in expected.items():
        assert encode_legacy(letter, "viscii") == bytes([byte]), letter


def test_tcvn3_small_letters_and_seven_capitals_are_single_bytes() -> None:
    small = [c for c in VIETNAMESE_LETTERS if c.islower()]
    codes = {encode_legacy(c, "tcvn3") for c in small} | {
        encode_legacy(c, "tcvn3") for c in "ĂÂÊÔƠƯĐ"
    }
    assert len(codes) == 67 + 7 and all(len(c) == 1 for c in codes)
    expected = {"Ă": 0xA1, "Đ": 0xA7, "ă": 0xA8, "đ": 0xAE, "à": 0xB5, "á": 0xB8, "ễ": 0xD4}
    expected |= {"ự": 0xF9, "ỵ": 0xFE, "ơ": 0xAC, "ư": 0xAD}
    for letter, byte in expected.items():
        assert encode_legacy(letter, "tcvn3") == bytes([byte]), letter
    # VN3 has no toned capitals: they are written with the small letter's code.
    assert encode_legacy("Ễ", "tcvn3") == encode_legacy("ễ", "tcvn3")


def test_vni_writes_base_letter_plus_diacritic_byte() -> None:
    assert encode_legacy("Xin chào các bạn", "vni") == b"Xin cha\xf8o ca\xf9c ba\xefn"
    assert encode_legacy("Nguyễn", "vni") == b"Nguye\xe3n"
    assert encode_legacy("Trần Văn Đức", "vni") == b"Tra\xe0n Va\xean \xd1\xf6\xf9c"
    assert encode_legacy("NGUYỄN", "vni") == b"NGUYE\xc3N"
    assert encode_legacy("ơ ư ỉ ỵ Ỵ", "vni") == b"\xf4 \xf6 \xe6 \xee \xce"


def test_cp1258_uses_base_letter_and_combining_tone() -> None:
    assert encode_legacy("Nguyễn", "cp1258") == b"Nguy\xea\xden"
    assert encode_legacy("ấ", "cp1258") == b"\xe2\xec"  # â + combining acute
    assert encode_legacy("á", "cp1258") == b"\xe1"  # precomposed where cp1258 has it
    assert decode_legacy(b"Nguy\xea\xden", "cp1258") == "Nguyễn"


# --------------------------------------------------------------------------- round trips

ALPHABET = "".join(VIETNAMESE_LETTERS) + (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.-/"
)
texts = st.text(alphabet=ALPHABET, max_size=60)
Form = Literal["NFC", "NFD"]
forms: st.SearchStrategy[Form] = st.sampled_from(("NFC", "NFD"))


@pytest.mark.parametrize("encoding", ["vni", "viscii", "cp1258", "utf-8"])
@given(text=texts, form=forms)
@settings(deadline=None)
def test_round_trip_gives_back_the_nfc_text(encoding: str, text: str, form: Form) -> None:
    source = unicodedata.normalize(form, text)
    assert decode_legacy(encode_legacy(source, encoding), encoding) == nfc(text)


@given(text=texts, form=forms)
@settings(deadline=None)
def test_tcvn3_round_trip_keeps_everything_but_the_case_of_toned_capitals(
    text: str, form: Form
) -> None:
    data = encode_legacy(unicodedata.normalize(form, text), "tcvn3")
    back = decode_legacy(data, "tcvn3")
    want = nfc(text)
    assert len(back) == len(want)
    for got, original in zip(back, want, strict=True):
        if original in TONED:
            assert got.lower() == original.lower()
        else:
            assert got == original
    assert encode_legacy(back, "tcvn3") == data


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("Nguyễn Thị Hồng Nhung", "Nguyễn Thị Hồng Nhung"),
        ("NGUYỄN VĂN AN", "NGUYỄN VĂN AN"),
        ("LÊ THỊ HÀ", "LÊ THỊ HÀ"),
        ("ĐỨC", "ĐỨC"),
        ("Võ Văn Ánh", "Võ Văn Ánh"),  # after a title-case word, at the end of the field
        ("Nguyễn Ánh Dương, Hà Nội", "Nguyễn Ánh Dương, Hà Nội"),
        ("Ấp Bình Thạnh", "Ấp Bình Thạnh"),  # start of field, before a title-case word
        ("Nhà ở xã hội", "Nhà ở xã hội"),  # a lower-case word stays lower-case
        # What the bytes cannot tell: documented losses.
        ("Ánh", "ánh"),
        ("HÀ", "Hà"),
    ],
)
def test_tcvn3_restores_capitals_where_the_context_tells(text: str, back: str) -> None:
    assert decode_legacy(encode_legacy(text, "tcvn3"), "tcvn3") == back


def test_tcvn3_decodes_vn1_capitals_and_combining_tones() -> None:
    assert decode_legacy(b"\x80\x01", "tcvn3") == "ÀÚ"
    assert decode_legacy(b"a\xb3", "tcvn3") == "á"  # a + VN1 combining acute


def test_decode_returns_nfc_and_drops_the_utf8_bom() -> None:
    nfd = unicodedata.normalize("NFD", "Hoàng Thuỷ Tiên")
    assert decode_legacy(codecs.BOM_UTF8 + nfd.encode(), "utf-8") == "Hoàng Thuỷ Tiên"
    for encoding in LEGACY:
        assert unicodedata.is_normalized("NFC", decode_legacy(bytes(range(256)), encoding))


@pytest.mark.parametrize("encoding", LEGACY)
def test_unrepresentable_characters_raise_or_are_replaced(encoding: str) -> None:
    with pytest.raises(UnicodeEncodeError) as caught:
        encode_legacy("Hà 北京", encoding)
    assert caught.value.encoding == encoding
    assert caught.value.start == 3
    assert encode_legacy("Hà 北", encoding, errors="replace").endswith(b" ?")


def test_viscii_cannot_carry_the_control_bytes_it_reuses_for_letters() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_legacy("a\x02b", "viscii")


def test_encoding_names_and_aliases() -> None:
    assert normalize_encoding_name("UTF8") == "utf-8"
    assert normalize_encoding_name("Windows-1258") == "cp1258"
    assert normalize_encoding_name("ABC") == "tcvn3"
    assert normalize_encoding_name("VNI_Windows") == "vni"
    with pytest.raises(LookupError):
        normalize_encoding_name("latin-1")


# --------------------------------------------------------------------------- syllables


@pytest.mark.parametrize(
    "word",
    ["nguyễn", "NGUYỄN", "thuỷ", "thủy", "hoà", "hòa", "quốc", "giữa", "khuya", "người", "Đức"],
)
def test_vietnamese_syllables_are_recognised(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize("word", ["nguyờịn", "bàt", "NguyÔn", "Nguyeăn", "ThÃ nh", "xyz"])
def test_mojibake_is_not_a_syllable(word: str) -> None:
    assert not is_vietnamese_syllable(word)


# --------------------------------------------------------------------------- detection

FAMILY = str.split("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
MIDDLE = str.split("Văn Thị Hữu Đức Quang Minh Ngọc Xuân Thanh Hồng Thuỷ Kim")
GIVEN = str.split("Nhung Đức An Tiên Hương Dũng Hùng Tuấn Lan Hà Phương Thắng Khoa Quỳnh Yến Ánh")
ADDRESSES = [
    "Phường Bến Thành, Thành phố Hồ Chí Minh",
    "Xã Tân Hiệp, Huyện Hóc Môn",
    "Số 12 đường Nguyễn Trãi, Quận 5",
    "Thị trấn Đông Anh, Hà Nội",
    "Phường Quỳnh Lôi, Quận Hai Bà Trưng",
    "Ấp 3, Xã Phước Vĩnh An, Huyện Củ Chi",
]


def sample_csv(seed: int, rows: int = 200, upper_share: float = 0.2) -> str:
    rng = random.Random(seed)
    lines = ["id,ho_ten,dia_chi"]
    for i in range(rows):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        if rng.random() < upper_share:
            name = name.upper()
        lines.append(f'{i},{name},"{rng.choice(ADDRESSES)}"')
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_detects_each_encoding_on_name_and_address_samples(encoding: str, seed: int) -> None:
    found = detect_encoding(encode_legacy(sample_csv(seed), encoding))
    assert found.encoding == encoding, found
    assert found.confidence >= 0.9


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_detects_upper_case_only_samples(encoding: str) -> None:
    found = detect_encoding(encode_legacy(sample_csv(4, upper_share=1.0), encoding))
    assert found.encoding == encoding, found


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_detects_short_samples(encoding: str) -> None:
    found = detect_encoding(encode_legacy(sample_csv(5, rows=10), encoding))
    assert found.encoding == encoding, found


def test_utf8_bom_ascii_and_truncated_samples() -> None:
    text = sample_csv(6)
    with_bom = detect_encoding(codecs.BOM_UTF8 + text.encode())
    assert (with_bom.encoding, with_bom.bom) == ("utf-8", True)
    assert detect_encoding(b"id,name\n1,Nguyen Van An\n").encoding == "utf-8"
    cut = "Nguyễn".encode()[:-2]  # sample cut inside "ễ"
    assert detect_encoding(text.encode() + cut).encoding == "utf-8"


def test_detection_explains_itself() -> None:
    found = detect_encoding(encode_legacy(sample_csv(7), "vni"))
    assert "vni" in found.reason and "%" in found.reason


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_read_text_detects_and_decodes(tmp_path: Path, encoding: str) -> None:
    text = sample_csv(8)
    path = tmp_path / "people.csv"
    path.write_bytes(encode_legacy(text, encoding))
    got, found = read_text(path)
    assert found.encoding == encoding
    if encoding != "tcvn3":
        assert got == text
    else:
        assert got.casefold() == text.casefold()


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_transcode_in_small_chunks_equals_whole_file_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    # Chunks of 7 bytes split VNI letters, cp1258 tone marks and UTF-8 sequences mid-character
    # unless chunking respects line ends.
    monkeypatch.setattr(enc, "_CHUNK_BYTES", 7)
    data = encode_legacy(sample_csv(9, rows=40), encoding)
    if encoding == "utf-8":
        data = codecs.BOM_UTF8 + data
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(data)
    found = transcode_to_utf8(src, dst, encoding=None)
    assert found.encoding == encoding
    assert dst.read_bytes() == decode_legacy(data, encoding).encode("utf-8")
    assert not dst.read_bytes().startswith(codecs.BOM_UTF8)
    assert not (tmp_path / "out.csv.part").exists()


def test_detection_looks_past_an_all_ascii_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enc, "SAMPLE_BYTES", 1024)
    head = "".join(f"{i},Nguyen Van An,Ha Noi\n" for i in range(200))
    path = tmp_path / "late.csv"
    path.write_bytes(head.encode() + encode_legacy(sample_csv(10), "tcvn3"))
    _, found = read_text(path)
    assert found.encoding == "tcvn3"


def test_an_explicit_encoding_skips_detection(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(encode_legacy("Trần Văn Đức\n", "viscii"))
    text, found = read_text(path, encoding="VISCII")
    assert (text, found.encoding, found.confidence) == ("Trần Văn Đức\n", "viscii", 1.0)
