"""The SQL fast paths must give exactly what the Python normalisers give."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from ndc.pipeline import lookups as lk
from ndc.pipeline.standardize import _lookup
from ndc.standardize.dates import parse_date
from ndc.standardize.identifiers import Expected, normalize_identifier, standardize_phone
from ndc.standardize.names import standardize_name

TODAY = date(2026, 1, 15)

NAMES = [
    "Nguyễn Văn An", "NGUYỄN VĂN AN", "Trần Thị Hồng Nhung", "Lê Thị Hoà", "Lê Thị Hòa",
    "LÊ THỊ HOÀ", "Tôn Thất Thuyết", "Nguyễn Phước Bảo", "nguyễn văn an", "Nguyen Van An",
    "Phạm  Văn Đức", "Đặng Quý", "Hoàng Thị Thuỷ", "Vũ Khánh Linh", "H'Hen Niê", "An",
    "Bùi Minh Quân2", "Ngô Thị Ngọc Ánh", "ĐỖ THỊ ỨNG", "Dương Gia Khoa", "Lý Khoẻ",
    "Nguyễn Văn A", "Ngọc", "TRẦN QUÝ", "Hồ Thị Ngoan", "Mai Xuân Toàn", "Vi Minh My",
    "DAO PHUONG LAI", "nguyen hong huong", "McDonald Smith", "Ton That Thuyet", "NGUYEN V A",
    "Nguyen", "Nguye\u0302\u0303n Va\u0306n An", "NGUYE\u0302\u0303N VA\u0306N AN",
    "Le\u0302 Thi\u0323 Hoa\u0300", "Ngo\u0302 A", "Tra\u0300n Ba'o",
]  # fmt: skip
IDS = ["001190123456", "079305012345", "1190123456", "0100109106", "0100109107", "012345678",
       "999190123456", "00119012345", "001 190 123 456", "0100109106-001", "abc", "",
       "123456789", " 012345678", "0123456789"]  # fmt: skip
PHONES = ["0912345678", "0381234567", "01681234567", "+84 912 345 678", "912345678", "0212345678",
          "0123", "0961 234 567", "(+84) 32 061 7318", "(+84) 21 234 5678", "(+84) 3 2061 7318",
          "01201234567", "01991234567", "01101234567", "0168123456", "016812345678"]  # fmt: skip
DATES = ["05/03/1990", "5/3/1990", "31/02/1990", "13/25/1990", "01/01/2030", "1990", "x",
         "29/02/2000", "29/02/1900", "01/01/1799"]  # fmt: skip


def _run(values: list[str], paths: list[lk.FastPath], row: Any) -> dict[str, tuple[Any, ...]]:
    con = duckdb.connect()
    con.register("_src", pa.table({"c": pa.array(values, pa.string())}))
    con.execute("CREATE TEMP TABLE _todo AS SELECT * FROM _src")

    def fill(values_sql: str) -> str:
        return lk.fill_cache(con, "cache_test", row[0], row[1], values_sql)

    table = _lookup(con, "t", "c", paths, fill)
    rows = con.execute(f"SELECT * FROM {table}").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def _python(values: list[str], fn: Any) -> dict[str, tuple[Any, ...]]:
    return {v: tuple(fn(v)) for v in values if v is not None}


def test_names_fast_paths_agree_with_standardize_name() -> None:
    from ndc.standardize.names import NAMES_SCHEMA

    def row(raw: str) -> dict[str, Any]:
        r = standardize_name(raw)
        return {"standard": r.standard, "key": r.key, "family": r.family, "middle": r.middle,
                "given": r.given, "flags": list(r.flags)}  # fmt: skip

    got = _run(NAMES, lk.name_paths("v"), (NAMES_SCHEMA, row))
    want = _python(NAMES, lambda v: (*row(v).values(),))
    assert got == want


@pytest.mark.parametrize("expected", [None, "cccd", "cmnd", "mst", "person"])
def test_identifier_fast_paths_agree(expected: Expected | None) -> None:
    from ndc.standardize.identifiers import IDS_SCHEMA

    def row(raw: str) -> dict[str, Any]:
        r = normalize_identifier(raw, expected)
        return {"value": r.value, "kind": r.kind, "flags": list(r.flags)}

    got = _run(IDS, lk.id_paths("v", expected), (IDS_SCHEMA, row))
    assert got == _python(IDS, lambda v: (*row(v).values(),))


def test_phone_fast_paths_agree() -> None:
    from ndc.standardize.identifiers import PHONES_SCHEMA

    def row(raw: str) -> dict[str, Any]:
        r = standardize_phone(raw)
        return {"value": r.value, "e164": r.e164, "flags": list(r.flags)}

    got = _run(PHONES, lk.phone_paths("v"), (PHONES_SCHEMA, row))
    assert got == _python(PHONES, lambda v: (*row(v).values(),))


def test_date_fast_paths_agree() -> None:
    from ndc.standardize.dates import DATES_SCHEMA

    def row(raw: str) -> dict[str, Any]:
        r = parse_date(raw, "%d/%m/%Y", TODAY)
        return {"value": r.value, "precision": r.precision, "flags": list(r.flags)}

    got = _run(DATES, lk.date_paths("v", "%d/%m/%Y", TODAY), (DATES_SCHEMA, row))
    assert got == _python(DATES, lambda v: (*row(v).values(),))


def test_most_well_formed_values_take_a_fast_path() -> None:
    con = duckdb.connect()
    phone = " OR ".join(f"coalesce({p.when}, false)" for p in lk.phone_paths("v"))
    for number in ("0912345678", "(+84) 32 061 7318", "01681234567"):
        assert con.execute(f"SELECT {phone} FROM (SELECT ? AS v)", [number]).fetchall() == [(True,)]
    paths = lk.name_paths("v")
    any_path = " OR ".join(f"coalesce({p.when}, false)" for p in paths)
    common = ["Nguyễn Văn An", "TRẦN THỊ HỒNG", "Lê Thị Hòa", "Nguyen Van An", "DAO PHUONG LAI",
              "Nguye\u0302\u0303n Va\u0306n An", "NGUYE\u0302\u0303N VA\u0306N AN"]  # fmt: skip
    hits = [
        con.execute(f"SELECT {any_path} FROM (SELECT ? AS v)", [n]).fetchall()[0][0] for n in common
    ]
    assert hits == [True] * len(common)
    # A compound family name needs the Python normaliser (it splits the name differently).
    (compound,) = con.execute(f"SELECT {any_path} FROM (SELECT 'Ton That Thuyet' AS v)").fetchone()
    assert compound is False
