"""Map free-text category values (sex, ethnicity, religion, nationality...) to code-list codes.

A code list is any mapping ``code -> (label_vi, label_en)`` (``ndc.dictionary.codelists`` provides
them). Matching tries, in order: the code itself (``"1"``, ``"01"``, ``"vn"``), a code written with
its label (``"01 - Kinh"``), the Vietnamese or English label, the accent-folded label (``"nu"``),
synonyms (``"M"``, ``"male"``, ``"Mèo"``...), and finally a close spelling (flagged ``code.fuzzy``).
Synonyms for the sex, ethnicity and religion lists come from DOMAIN.md; only codes listed there are
used, and callers may add their own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import duckdb
import pyarrow as pa

from ndc.standardize.distinct import FLAGS, build_lookup
from ndc.standardize.text import fold_accents, nfc

Method = Literal["code", "code_label", "label", "folded", "synonym", "fuzzy"]


class _Labelled(Protocol):
    @property
    def label_vi(self) -> str: ...
    @property
    def label_en(self) -> str: ...


class _CodeListObject(Protocol):
    """``ndc.dictionary.codelists.CodeList`` and anything shaped like it."""

    @property
    def name(self) -> str: ...
    @property
    def items(self) -> Mapping[str, _Labelled]: ...


CodeList = Mapping[str, tuple[str, str]] | _CodeListObject


def labels_of(code_list: CodeList) -> tuple[dict[str, tuple[str, str]], str | None]:
    """(code -> (label_vi, label_en), list name if known) from either shape of code list."""
    if isinstance(code_list, Mapping):
        return {str(k): (v[0], v[1]) for k, v in code_list.items()}, None
    labels = {c: (i.label_vi, i.label_en) for c, i in code_list.items.items()}
    return labels, code_list.name


# Flags (reason codes); docs/standardisation.md explains each.
EMPTY = "code.empty"
UNMAPPED = "code.unmapped"
ZERO_PADDED = "code.zero_padded"
FOLDED = "code.folded_match"
SYNONYM = "code.synonym"
FUZZY = "code.fuzzy"
CODE_LABEL_MISMATCH = "code.label_mismatch"

# Folded synonym -> code. Sex: code list "1" Nam, "2" Nữ (DOMAIN.md / ndc.dictionary).
SEX_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["m", "male", "man", "nam gioi", "trai", "con trai", "ong"], "1"),
    **dict.fromkeys(["f", "female", "woman", "w", "nu gioi", "gai", "con gai", "ba"], "2"),
}
# Ethnicity codes of Decision 1019/QĐ-TCTK named in DOMAIN.md; common other spellings.
ETHNICITY_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["kinh", "viet", "kinh viet", "nguoi kinh"], "01"),
    **dict.fromkeys(["tay"], "02"),
    **dict.fromkeys(["thai"], "03"),
    **dict.fromkeys(["muong"], "04"),
    **dict.fromkeys(["khmer", "kho me", "khome", "khmer krom"], "05"),
    **dict.fromkeys(["hoa", "nguoi hoa", "han"], "06"),
    **dict.fromkeys(["nung"], "07"),
    **dict.fromkeys(["hmong", "h mong", "mong", "meo"], "08"),
    **dict.fromkeys(["dao", "man"], "09"),
    **dict.fromkeys(["gia rai", "giarai", "jrai", "jarai"], "10"),
    **dict.fromkeys(["e de", "ede", "rhade"], "11"),
    **dict.fromkeys(["ba na", "bana", "bahnar"], "12"),
    **dict.fromkeys(["san chay", "cao lan", "san chi"], "13"),
}
# Religion codes of Decision 1019 (DOMAIN.md); "00" none.
RELIGION_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["khong", "khong co", "ko", "none", "no religion", "khong ton giao"], "00"),
    **dict.fromkeys(["phat", "dao phat", "phat giao", "buddhism", "buddhist"], "01"),
    **dict.fromkeys(
        ["thien chua", "thien chua giao", "cong giao", "catholic", "catholicism"], "02"
    ),
    **dict.fromkeys(["hoa hao", "phat giao hoa hao"], "03"),
    **dict.fromkeys(["hoi giao", "islam", "muslim", "dao hoi"], "04"),
    **dict.fromkeys(["cao dai", "dao cao dai"], "05"),
    **dict.fromkeys(["tin lanh", "dao tin lanh", "protestant", "protestantism"], "08"),
}
# Marital status ("1" single, "2" married, "3" divorced, "4" widowed in ndc.dictionary).
MARITAL_STATUS_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["doc than", "chua co vo", "chua co chong", "chua ket hon"], "1"),
    **dict.fromkeys(["co vo", "co chong", "da lap gia dinh", "ket hon"], "2"),
    **dict.fromkeys(["da ly hon", "ly di", "da ly di"], "3"),
    **dict.fromkeys(["goa vo", "goa chong", "goa bua", "widow", "widower"], "4"),
}
NATIONALITY_SYNONYMS: dict[str, str] = dict.fromkeys(
    ["vietnam", "vietnamese", "viet nam", "nuoc cong hoa xa hoi chu nghia viet nam"], "VN"
)
SYNONYMS: dict[str, dict[str, str]] = {
    "sex": SEX_SYNONYMS,
    "ethnicity": ETHNICITY_SYNONYMS,
    "religion": RELIGION_SYNONYMS,
    "marital_status": MARITAL_STATUS_SYNONYMS,
    "nationality": NATIONALITY_SYNONYMS,
}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CODE_LABEL = re.compile(r"^\s*([0-9A-Za-z]{1,4})\s*[-.:)/|]\s*(\S.*)$")


def _key(text: str) -> str:
    return _NON_ALNUM.sub(" ", fold_accents(nfc(text))).strip()


@dataclass(frozen=True, slots=True)
class CodeResult:
    original: str
    code: str | None
    method: Method | None
    flags: tuple[str, ...]


class CodeMatcher:
    """Index of one code list; ``match`` is then a few dictionary look-ups."""

    def __init__(self, code_list: CodeList, synonyms: Mapping[str, str] | None = None) -> None:
        """``synonyms`` default to ``SYNONYMS[name]`` for a named list (sex, ethnicity...)."""
        code_list, name = labels_of(code_list)
        if synonyms is None and name is not None:
            synonyms = SYNONYMS.get(name)
        self.codes = {c: c for c in code_list} | {c.casefold(): c for c in code_list}
        widths = {len(c) for c in code_list if c.isdigit()}
        self.width = widths.pop() if len(widths) == 1 else None
        self.labels: dict[str, str] = {}
        self.folded: dict[str, str] = {}
        for code, labels in code_list.items():
            for label in labels:
                if label:
                    self.labels.setdefault(" ".join(nfc(label).casefold().split()), code)
                    self.folded.setdefault(_key(label), code)
        self.synonyms = {_key(k): v for k, v in (synonyms or {}).items() if v in code_list}
        self.candidates = sorted(self.folded.keys() | self.synonyms.keys())

    def _code(self, text: str, flags: list[str]) -> str | None:
        if text in self.codes or text.casefold() in self.codes:
            return self.codes.get(text) or self.codes[text.casefold()]
        if self.width and text.isdigit() and len(text) < self.width:
            padded = text.zfill(self.width)
            if padded in self.codes:
                flags.append(ZERO_PADDED)
                return padded
        return None

    def _label(self, text: str, flags: list[str]) -> tuple[str, Method] | None:
        label = self.labels.get(" ".join(text.casefold().split()))
        if label:
            return label, "label"
        key = _key(text)
        if key in self.folded:
            flags.append(FOLDED)
            return self.folded[key], "folded"
        if key in self.synonyms:
            flags.append(SYNONYM)
            return self.synonyms[key], "synonym"
        bare = _key(re.sub(r"\(.*?\)", " ", text))  # "Kinh (Việt)"
        if bare and bare != key and bare in self.folded:
            flags.append(FOLDED)
            return self.folded[bare], "folded"
        return None

    def match(self, raw: str) -> CodeResult:
        text = " ".join(nfc(raw).split())
        if not text:
            return CodeResult(raw, None, None, (EMPTY,))
        flags: list[str] = []
        code = self._code(text, flags)
        if code is not None:
            return CodeResult(raw, code, "code", tuple(flags))
        found = self._label(text, flags)
        if found:
            return CodeResult(raw, found[0], found[1], tuple(flags))
        m = _CODE_LABEL.match(text)  # "01 - Kinh", "2. Nữ"
        if m:
            code = self._code(m.group(1), flags)
            if code is not None:
                by_label = self._label(m.group(2), [])
                if by_label and by_label[0] != code:
                    flags.append(CODE_LABEL_MISMATCH)
                return CodeResult(raw, code, "code_label", tuple(flags))
        close = difflib.get_close_matches(_key(text), self.candidates, n=1, cutoff=0.85)
        if close:
            code = self.folded.get(close[0]) or self.synonyms[close[0]]
            return CodeResult(raw, code, "fuzzy", (*flags, FUZZY))
        return CodeResult(raw, None, None, (*flags, UNMAPPED))


def map_code(
    raw: str, code_list: CodeList, synonyms: Mapping[str, str] | None = None
) -> CodeResult:
    """Map one value; for many values build a ``CodeMatcher`` once (``map_codes_table`` does)."""
    return CodeMatcher(code_list, synonyms).match(raw)


CODES_SCHEMA = pa.schema(
    [("raw", pa.string()), ("code", pa.string()), ("method", pa.string()), ("flags", FLAGS)]
)


def map_codes_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    code_list: CodeList,
    synonyms: Mapping[str, str] | None = None,
) -> str:
    """Lookup table (raw, code, method, flags) over distinct values of a categorical column."""
    matcher = CodeMatcher(code_list, synonyms)

    def row(raw: str) -> dict[str, object]:
        r = matcher.match(raw)
        return {"code": r.code, "method": r.method, "flags": list(r.flags)}

    return build_lookup(con, table, column, "code", CODES_SCHEMA, row)
