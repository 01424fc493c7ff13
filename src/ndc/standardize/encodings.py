"""Legacy Vietnamese text encodings: decode, encode, detect, transcode to UTF-8.

Old agency databases hold Vietnamese text in encodings that predate Unicode:

``tcvn3``
    TCVN 5712:1993 "VN3", the 8-bit font encoding of the ABC fonts (.VnTime...). Single byte.
``vni``
    VNI-Windows (VNI fonts): a base letter followed by a separate diacritic byte. Multi-byte.
``viscii``
    VISCII 1.1 (RFC 1456), single byte; Python has no codec for it.
``cp1258``
    Windows-1258 (Python codec ``cp1258``): base letters plus *combining* tone marks.
``utf-8``
    With or without a byte-order mark.

Every decode returns NFC Unicode; every encode first puts the text in NFC.

Error policy (encode): with ``errors="strict"`` (the default) a character the encoding cannot
represent raises :class:`UnicodeEncodeError` naming the encoding and the position; with
``errors="replace"`` it is written as ``?``. Decoding never fails: every byte of the TCVN3, VNI
and VISCII tables has a meaning, the five bytes cp1258 leaves undefined and invalid UTF-8 become
U+FFFD, and stray VNI/cp1258 diacritics that combine with nothing stay as combining marks.

TCVN3 and capitals: VN3 has capital forms only for Ă Â Ê Ô Ơ Ư Đ (and plain A-Z). A toned
capital (Ễ, Á...) is written with the lower-case code and shown as a capital by a capitals font,
so the bytes no longer say it was a capital. :func:`encode_legacy` therefore writes toned
capitals with the lower-case code, and :func:`decode_legacy` yields lower-case toned letters,
except that it restores capitals inside *upper-case phrases*: a run of words (separated by single
spaces) made only of capitals and toned small letters, in which some word has a capital after its
first letter ("NGUYễN VĂN Hà" -> "NGUYỄN VĂN HÀ"; "ĐứC" -> "ĐỨC"). A title-case word stays as
decoded ("Ánh" round-trips to "ánh", "Hà Nội" stays "Hà Nội"); a lone upper-case word of one
capital and toned letters is ambiguous and left title-case ("HÀ" -> "Hà").
Decoding also accepts the capital letters that the fuller TCVN 5712:1993 "VN1" repertoire places
at 0x01-0x17, 0x80-0x9F and a few high positions, and the VN1 combining tone marks at 0xB0-0xB4
(the same table as the C library's ``TCVN5712-1`` charmap); VN3 text never uses those positions.

Table sources (a table of facts, transcribed and then cross-checked position by position):

* VISCII: RFC 1456 "Conventions for Encoding the Vietnamese Language" (Viet-Std group, 1993),
  Table 1 (VISCII 1.1); cross-checked against the GNU C library ``VISCII`` charmap and two
  independent Vietnamese keyboard/converter tables (xvnkb, VBKey). Those converters write the
  six capitals that RFC 1456 puts on C0 positions (Ẳ Ẵ Ẫ Ỷ Ỹ Ỵ), and VBKey also Õ (0xA0), with
  the small letter's code; this module follows the RFC.
* TCVN3: TCVN 5712:1993 as published in the GNU C library ``TCVN5712-1`` charmap (VN1, of which
  VN3 is the subset without toned capitals); the VN3 positions cross-checked against the TCVN3
  (ABC) tables of the same two Vietnamese keyboard/converter programs.
* VNI: the VNI-Windows font layout (VNI Software Co.) as documented by Vietnamese input-method
  and converter programs; cross-checked letter by letter against the same two independent tables.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "SUPPORTED_ENCODINGS",
    "VIETNAMESE_LETTERS",
    "DetectedEncoding",
    "decode_legacy",
    "detect_encoding",
    "encode_legacy",
    "is_vietnamese_syllable",
    "iter_decoded",
    "normalize_encoding_name",
    "read_text",
    "transcode_to_utf8",
]

SUPPORTED_ENCODINGS: Final = ("utf-8", "cp1258", "tcvn3", "vni", "viscii")

_ALIASES: Final = {
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf8-sig": "utf-8",
    "windows-1258": "cp1258",
    "win1258": "cp1258",
    "tcvn": "tcvn3",
    "tcvn-3": "tcvn3",
    "abc": "tcvn3",
    "vn3": "tcvn3",
    "tcvn5712": "tcvn3",
    "vni-windows": "vni",
    "vni-win": "vni",
}


def normalize_encoding_name(encoding: str) -> str:
    """The canonical name of a supported encoding (``"UTF8"`` -> ``"utf-8"``).

    Raises LookupError for an encoding this module does not handle.
    """
    name = encoding.strip().lower().replace("_", "-")
    name = _ALIASES.get(name, name)
    if name not in SUPPORTED_ENCODINGS:
        raise LookupError(
            f"unsupported encoding {encoding!r}; expected one of {', '.join(SUPPORTED_ENCODINGS)}"
        )
    return name


# --------------------------------------------------------------------------- letters

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_TONE_MARKS: Final = (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)
_SHAPE_MARKS: Final = frozenset((_CIRCUMFLEX, _BREVE, _HORN))
_VOWELS: Final = "aăâeêioôơuưy"


def _letters() -> tuple[str, ...]:
    """The 134 non-ASCII letters of Vietnamese: 12 vowels x 6 tones x 2 cases, less a e i o u y
    and their capitals, plus đ Đ."""
    out: list[str] = []
    for case in (str.lower, str.upper):
        for vowel in _VOWELS:
            for tone in ("", *_TONE_MARKS):
                ch = unicodedata.normalize("NFC", case(vowel) + tone)
                if not ch.isascii():
                    out.append(ch)
        out.append(case("đ"))
    return tuple(out)


VIETNAMESE_LETTERS: Final = _letters()
assert len(VIETNAMESE_LETTERS) == 134


def _split(ch: str) -> tuple[str, str, str]:
    """``"ấ"`` -> (ASCII base ``"a"``, shape marks ``"\\u0302"``, tone mark ``"\\u0301"``)."""
    nfd = unicodedata.normalize("NFD", ch)
    if ch in "đĐ":
        return ch, "", ""
    shape = "".join(m for m in nfd[1:] if m in _SHAPE_MARKS)
    tone = "".join(m for m in nfd[1:] if m in _TONE_MARKS)
    return nfd[0], shape, tone


_TONED_CAPITALS: Final = frozenset(c for c in VIETNAMESE_LETTERS if c.isupper() and _split(c)[2])
_TONED_SMALL: Final = frozenset(c for c in VIETNAMESE_LETTERS if c.islower() and _split(c)[2])

# --------------------------------------------------------------------------- single-byte tables

# VISCII 1.1 (RFC 1456): ASCII except six C0 controls, plus 128 letters at 0x80-0xFF.
_VISCII_C0: Final = {0x02: "Ẳ", 0x05: "Ẵ", 0x06: "Ẫ", 0x14: "Ỷ", 0x19: "Ỹ", 0x1E: "Ỵ"}
_VISCII_HIGH: Final = (
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐ"  # 0x80
    "ỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ"  # 0x90
    "Õắằặấầẩậẽẹếềểễệố"  # 0xA0
    "ồổỗỠƠộờởịỰỨỪỬơớƯ"  # 0xB0
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳ"  # 0xC0
    "ĐứÒÓÔạỷừửÙÚỹỵÝỡư"  # 0xD0
    "àáâãảăữẫèéêẻìíĩỉ"  # 0xE0
    "đựòóôõỏọụùúũủýợỮ"  # 0xF0
)

# TCVN 5712:1993. VN3 (ABC) uses 0xA1-0xAE and the small letters of 0xB5-0xFE. The toned
# capitals (C0 positions, 0x80-0x9F, 0xAF, 0xBA, 0xBF-0xC5, 0xCD, 0xD9-0xDB, 0xE0, 0xF0, 0xFF)
# and the combining tones at 0xB0-0xB4 are VN1 only: decoded, never written.
_TCVN_C0: Final = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ",
    0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
}  # fmt: skip
_TCVN_HIGH: Final = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"  # 0x80 (VN1 capitals)
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x90 (VN1 capitals)
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"  # 0xA0
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xB0 (0xB0-0xB4: VN1 combining tones)
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # 0xC0
    "éẹềểễếệìỉỄẾỒĩíịò"  # 0xD0
    "Ổỏõóọồổỗốộờởỡớợù"  # 0xE0
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # 0xF0
)


def _single_byte_table(c0: dict[int, str], high: str) -> str:
    assert len(high) == 128
    low = "".join(c0.get(b, chr(b)) for b in range(128))
    return low + high


_VISCII_TABLE: Final = _single_byte_table(_VISCII_C0, _VISCII_HIGH)
_TCVN_TABLE: Final = _single_byte_table(_TCVN_C0, _TCVN_HIGH)
_VISCII_ENCODE: Final = codecs.charmap_build(_VISCII_TABLE)
_TCVN_ENCODE: Final = codecs.charmap_build(_TCVN_TABLE)
# VN3 writes a toned capital with the code of its small letter.
_TCVN_LOWER_TONED_CAPITALS: Final = {ord(c): c.lower() for c in _TONED_CAPITALS}

# --------------------------------------------------------------------------- VNI-Windows

# Diacritic bytes (small-letter forms; the capital-letter form is the byte minus 0x20), as the
# cp1252 characters they display as: tones after a e o u y ơ ư; circumflex (+tone) after a e o;
# breve (+tone) after a.
_VNI_TONE: Final = {"": "", _ACUTE: "ù", _GRAVE: "ø", _HOOK: "û", _TILDE: "õ", _DOT: "ï"}
_VNI_CIRCUMFLEX: Final = {"": "â", _ACUTE: "á", _GRAVE: "à", _HOOK: "å", _TILDE: "ã", _DOT: "ä"}
_VNI_BREVE: Final = {"": "ê", _ACUTE: "é", _GRAVE: "è", _HOOK: "ú", _TILDE: "ü", _DOT: "ë"}
# Letters that VNI writes as one byte of their own.
_VNI_SINGLE: Final = {
    "ơ": "ô", "ư": "ö", "đ": "ñ", "ỵ": "î",
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
}  # fmt: skip


def _vni_for(letter: str) -> str:
    """The VNI-Windows spelling of one Vietnamese letter, as cp1252-displayed characters."""
    small = letter.lower()
    if small in _VNI_SINGLE:
        out = _VNI_SINGLE[small]
    else:
        base, shape, tone = _split(small)
        if shape == _HORN:  # ơ ư + tone
            out = _VNI_SINGLE[unicodedata.normalize("NFC", base + _HORN)] + _VNI_TONE[tone]
        elif shape == _CIRCUMFLEX:
            out = base + _VNI_CIRCUMFLEX[tone]
        elif shape == _BREVE:
            out = base + _VNI_BREVE[tone]
        else:
            out = base + _VNI_TONE[tone]
    return out.upper() if letter.isupper() else out


_VNI_ENCODE: Final = {ord(c): _vni_for(c) for c in VIETNAMESE_LETTERS}


def _vni_decode_table() -> tuple[str, dict[str, str]]:
    """A 1:1 byte table for charmap_decode, and the expansions of its placeholder characters.

    Diacritic bytes become combining marks (NFC then joins them to their base letter); a byte that
    stands for two marks (circumflex + tone) becomes a private-use placeholder that is expanded
    with str.replace before NFC. Bytes with no Vietnamese meaning keep their cp1252 meaning.
    """
    table = [
        bytes([b]).decode("cp1252", errors="strict") if _cp1252_defined(b) else chr(b)
        for b in range(256)
    ]
    expansions: dict[str, str] = {}
    for tone, ch in _VNI_TONE.items():
        if tone:
            table[ord(ch)] = table[ord(ch.upper())] = tone
    for shape, marks in ((_CIRCUMFLEX, _VNI_CIRCUMFLEX), (_BREVE, _VNI_BREVE)):
        for tone, ch in marks.items():
            if not tone:
                table[ord(ch)] = table[ord(ch.upper())] = shape
                continue
            placeholder = chr(0xE000 + len(expansions))
            expansions[placeholder] = shape + tone
            table[ord(ch)] = table[ord(ch.upper())] = placeholder
    for letter, ch in _VNI_SINGLE.items():
        table[ord(ch)] = letter
        table[ord(ch.upper())] = letter.upper()
    return "".join(table), expansions


def _cp1252_defined(b: int) -> bool:
    try:
        bytes([b]).decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


_VNI_TABLE, _VNI_EXPANSIONS = _vni_decode_table()
# Characters VNI can write besides ASCII and the Vietnamese letters: those of the bytes that
# carry no Vietnamese meaning (cp1252 punctuation, NBSP, symbols, a few Latin-1 letters).
_VNI_OTHER: Final = {
    ord(ch): bytes([b])
    for b, ch in enumerate(_VNI_TABLE)
    if b >= 0x80 and unicodedata.category(ch) != "Mn" and ch not in _VNI_EXPANSIONS
    and ch not in VIETNAMESE_LETTERS
}  # fmt: skip

# --------------------------------------------------------------------------- cp1258


def _cp1258_for(letter: str) -> str:
    """A precomposed cp1258 letter where one exists, else base (with its circumflex, breve or
    horn) + combining tone mark: the form Windows-1258 can represent."""
    try:
        letter.encode("cp1258")
    except UnicodeEncodeError:
        base, shape, tone = _split(letter)
        return unicodedata.normalize("NFC", base + shape) + tone
    return letter


_CP1258_ENCODE: Final = {ord(c): _cp1258_for(c) for c in VIETNAMESE_LETTERS if _cp1258_for(c) != c}

# --------------------------------------------------------------------------- encode / decode


def encode_legacy(text: str, encoding: str, errors: str = "strict") -> bytes:
    """Encode ``text`` (any normalisation form) in a legacy Vietnamese encoding or UTF-8.

    ``errors`` is ``"strict"`` (raise :class:`UnicodeEncodeError`) or ``"replace"`` (write ``?``).
    TCVN3 writes toned capitals with the small-letter code (see the module documentation).
    """
    enc = normalize_encoding_name(encoding)
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")
    text = unicodedata.normalize("NFC", text)
    if enc == "utf-8":
        return text.encode("utf-8", errors)
    if enc == "cp1258":
        return _reraise_as(
            enc, text, lambda t: t.translate(_CP1258_ENCODE).encode("cp1258", errors)
        )
    if enc == "viscii":
        return _reraise_as(enc, text, lambda t: codecs.charmap_encode(t, errors, _VISCII_ENCODE)[0])
    if enc == "tcvn3":
        return _reraise_as(
            enc,
            text,
            lambda t: codecs.charmap_encode(
                t.translate(_TCVN_LOWER_TONED_CAPITALS), errors, _TCVN_ENCODE
            )[0],
        )
    return _encode_vni(text, errors)


def _reraise_as(enc: str, text: str, fn: Callable[[str], bytes]) -> bytes:
    try:
        return fn(text)
    except UnicodeEncodeError as exc:
        start, end = exc.start, exc.end
        if len(exc.object) != len(text):  # cp1258 expands letters: find the position in `text`
            start = next(i for i, ch in enumerate(text) if not _encodes(fn, ch))
            end = start + 1
        raise UnicodeEncodeError(enc, text, start, end, exc.reason) from None


def _encodes(fn: Callable[[str], bytes], ch: str) -> bool:
    try:
        fn(ch)
    except UnicodeEncodeError:
        return False
    return True


def _encode_vni(text: str, errors: str) -> bytes:
    out = bytearray()
    for i, ch in enumerate(text):
        code = ord(ch)
        if code < 0x80:
            out.append(code)
        elif code in _VNI_ENCODE:
            out += _VNI_ENCODE[code].encode("cp1252")
        elif code in _VNI_OTHER:
            out += _VNI_OTHER[code]
        elif errors == "replace":
            out += b"?"
        else:
            raise UnicodeEncodeError("vni", text, i, i + 1, "character not representable in VNI")
    return bytes(out)


def decode_legacy(data: bytes, encoding: str) -> str:
    """Decode bytes in a legacy Vietnamese encoding (or UTF-8, BOM optional) to NFC Unicode."""
    return _decode(data, normalize_encoding_name(encoding), first=True)


def _decode(data: bytes, enc: str, *, first: bool) -> str:
    if enc == "utf-8":
        text = data.decode("utf-8-sig" if first else "utf-8", errors="replace")
    elif enc == "cp1258":
        text = data.decode("cp1258", errors="replace")
    elif enc == "viscii":
        text = codecs.charmap_decode(data, "strict", _VISCII_TABLE)[0]
    elif enc == "tcvn3":
        text = _restore_capitals(
            unicodedata.normalize("NFC", codecs.charmap_decode(data, "strict", _TCVN_TABLE)[0])
        )
    else:
        text = codecs.charmap_decode(data, "strict", _VNI_TABLE)[0]
        for placeholder, marks in _VNI_EXPANSIONS.items():
            if placeholder in text:
                text = text.replace(placeholder, marks)
    return unicodedata.normalize("NFC", text)


_UPPER: Final = "A-Z" + "".join(sorted(c for c in VIETNAMESE_LETTERS if c.isupper()))
_LOWER: Final = "a-z" + "".join(sorted(c for c in VIETNAMESE_LETTERS if c.islower()))
_TONED: Final = "".join(sorted(_TONED_SMALL))
# Patterns start with a character class so that the regex engine can skip ahead quickly;
# "(?<![^\W\d_].)" right after the first character means "at the start of a word".
_CAPS_PHRASE: Final = re.compile(
    rf"[{_UPPER}{_TONED}](?<![^\W\d_].)[{_UPPER}{_TONED}]*(?: [{_UPPER}{_TONED}]+)*(?![^\W\d_])"
)
_TONED_WORD: Final = re.compile(
    rf"[{_TONED}](?<![^\W\d_].)[{_LOWER}]*(?P<next> [{_UPPER}]|(?![ {_LOWER}{_UPPER}0-9]))"
)
_TITLE_BEFORE: Final = re.compile(rf"(?:^|(?<![^\W\d_]))[{_UPPER}][{_LOWER}]* \Z")
_NON_INITIAL_CAPITAL: Final = re.compile(rf"[^\W\d_][{_UPPER}]")
_FIELD_START: Final = frozenset(',;\t"\n')


def _restore_capitals(text: str) -> str:
    """Restore the capitals that TCVN3 cannot write (see the module documentation).

    Upper-case phrases: a run of words made only of capitals and toned small letters, in which
    some word has a capital after its first letter, is upper-cased. Names: a word starting with a
    toned small letter is capitalised after a title-case word (when it ends the field or a
    title-case word follows), or at the start of a field when a title-case word follows.
    """

    def caps(m: re.Match[str]) -> str:
        phrase = m.group()
        return phrase.upper() if _NON_INITIAL_CAPITAL.search(phrase) else phrase

    def title(m: re.Match[str]) -> str:
        at = m.start()
        before = m.string[at - 1] if at else "\n"
        if before == " ":
            ok = _TITLE_BEFORE.search(m.string, max(0, at - 64), at) is not None
        else:
            ok = before in _FIELD_START and m["next"].startswith(" ")
        whole = m.group()
        return whole[0].upper() + whole[1:] if ok else whole

    return _TONED_WORD.sub(title, _CAPS_PHRASE.sub(caps, text))


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True, slots=True)
class DetectedEncoding:
    """The encoding found for a sample, how sure (0-1) and why."""

    encoding: str
    confidence: float
    reason: str
    bom: bool = False


_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx]"
_NUCLEI_TEXT = (
    "a ă â e ê i o ô ơ u ư y "
    "ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê ui uô uơ uy ưa ưi ươ ưu yê "
    "iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu"
)
_NUCLEI = sorted(_NUCLEI_TEXT.split(), key=len, reverse=True)
_SYLLABLE: Final = re.compile(
    rf"(?:{_INITIALS})?(?:{'|'.join(_NUCLEI)})(?P<final>ch|ng|nh|[cmnpt])?"
)
_STRIP_TONE: Final = {
    ord(c): unicodedata.normalize("NFC", _split(c)[0] + _split(c)[1])
    for c in VIETNAMESE_LETTERS
    if c.islower() and _split(c)[2]
}
_TONE_OF: Final = {ord(c): _split(c)[2] for c in VIETNAMESE_LETTERS if c.islower()}


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` (any case, NFC) is a well-formed Vietnamese syllable: initial consonant,
    vowel nucleus, final consonant, at most one tone, and a stop final (c ch p t) only with the
    acute or dot-below tone."""
    low = word.lower()
    tones = [t for t in (_TONE_OF.get(ord(c), "") for c in low) if t]
    if len(tones) > 1:
        return False
    m = _SYLLABLE.fullmatch(low.translate(_STRIP_TONE))
    if m is None:
        return False
    return not (m["final"] in ("c", "ch", "p", "t") and tones and tones[0] not in (_ACUTE, _DOT))


_TOKEN: Final = re.compile(r"[^\s,;:.!?()\[\]{}\"'|/\\<>=+*&#@%$\-]+")
_CANDIDATES: Final = ("tcvn3", "vni", "cp1258", "viscii", "utf-8")


def _score(text: str) -> tuple[float, int]:
    """Share of tokens with a non-ASCII character that are Vietnamese syllables, and their count."""
    seen: dict[str, bool] = {}
    valid = total = 0
    for token in _TOKEN.findall(text):
        if token.isascii():
            continue
        total += 1
        ok = seen.get(token)
        if ok is None:
            ok = seen[token] = is_vietnamese_syllable(token)
        valid += ok
    return (valid / total if total else 0.0), total


def detect_encoding(data: bytes) -> DetectedEncoding:
    """Tell UTF-8 (with or without BOM), cp1258, TCVN3, VNI and VISCII apart on a text sample.

    Valid UTF-8 with non-ASCII characters wins outright. Otherwise the sample is decoded with each
    candidate and the one whose words look most Vietnamese (share of words with non-ASCII letters
    that are well-formed syllables) wins; confidence falls when the runner-up is close or the
    sample has few such words. An all-ASCII sample is reported as UTF-8.
    """
    if data.startswith(codecs.BOM_UTF8):
        return DetectedEncoding("utf-8", 1.0, "UTF-8 byte-order mark", bom=True)
    if data.isascii():
        return DetectedEncoding("utf-8", 1.0, "ASCII only: no non-ASCII byte in the sample")
    try:
        # final=False: a sample cut inside a multi-byte character is still valid UTF-8.
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return DetectedEncoding("utf-8", 1.0, "valid UTF-8 with non-ASCII characters")
    scored = []
    for enc in _CANDIDATES:
        share, words = _score(_decode(data, enc, first=True))
        scored.append((share, enc, words))
    scored.sort(key=lambda s: (-s[0], _CANDIDATES.index(s[1])))
    (best, enc, words), (second, runner_up, _) = scored[0], scored[1]
    confidence = best * min(1.0, (best - second) / 0.3) * min(1.0, words / 20)
    reason = (
        f"{best:.0%} of {words} words with non-ASCII letters are Vietnamese syllables as {enc} "
        f"(next: {runner_up} {second:.0%})"
    )
    return DetectedEncoding(enc, round(max(confidence, 0.0), 3), reason)


# --------------------------------------------------------------------------- files

SAMPLE_BYTES: Final = 256 * 1024
_CHUNK_BYTES: Final = 4 * 1024 * 1024


def _sample(path: Path) -> bytes:
    """The first 256 KB cut at a line end; if that is all ASCII, lines with non-ASCII bytes from
    further on (up to 256 KB of them)."""
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
        rest_exists = len(head) == SAMPLE_BYTES
        if rest_exists and b"\n" in head:
            head = head[: head.rindex(b"\n") + 1]
        if not head.isascii() or not rest_exists:
            return head
        f.seek(len(head))
        found: list[bytes] = []
        size = 0
        for line in f:
            if not line.isascii():
                found.append(line)
                size += len(line)
                if size >= SAMPLE_BYTES:
                    break
        return head + b"".join(found)


def _resolve(path: Path, encoding: str | None) -> DetectedEncoding:
    if encoding is not None:
        return DetectedEncoding(normalize_encoding_name(encoding), 1.0, "given by the caller")
    return detect_encoding(_sample(path))


def iter_decoded(path: str | os.PathLike[str], encoding: str) -> Iterator[str]:
    """Decode a file in chunks of whole lines (so no VNI letter or cp1258 tone mark is split)."""
    enc = normalize_encoding_name(encoding)
    first = True
    carry = b""
    with Path(path).open("rb") as f:
        while block := f.read(_CHUNK_BYTES):
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield _decode(block[:cut], enc, first=first)
            first = False
    if carry:
        yield _decode(carry, enc, first=first)


def read_text(
    path: str | os.PathLike[str], encoding: str | None = None
) -> tuple[str, DetectedEncoding]:
    """Read a whole text file as NFC Unicode, detecting its encoding when none is given."""
    p = Path(path)
    detected = _resolve(p, encoding)
    return "".join(iter_decoded(p, detected.encoding)), detected


def transcode_to_utf8(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], encoding: str | None = None
) -> DetectedEncoding:
    """Write ``src`` to ``dst`` as NFC UTF-8 without BOM, in chunks; returns the source encoding.

    ``dst`` is written next to itself under a temporary name and renamed when complete.
    """
    source, target = Path(src), Path(dst)
    detected = _resolve(source, encoding)
    partial = target.with_name(target.name + ".part")
    with partial.open("w", encoding="utf-8", newline="") as out:
        for chunk in iter_decoded(source, detected.encoding):
            out.write(chunk)
    partial.replace(target)
    return detected
