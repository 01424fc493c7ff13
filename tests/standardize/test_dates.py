from datetime import date

import duckdb
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ndc.standardize.dates import infer_order, parse_date, parse_dates_table, pivot_year

TODAY = date(2025, 7, 1)


def fmt(d: date, style: str) -> str:
    return {
        "dd/mm/yyyy": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "d/m/yyyy": f"{d.day}/{d.month}/{d.year}",
        "dd-mm-yyyy": f"{d.day:02d}-{d.month:02d}-{d.year}",
        "dd.mm.yyyy": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "yyyy-mm-dd": d.isoformat(),
        "yyyy/mm/dd": f"{d.year}/{d.month:02d}/{d.day:02d}",
        "yyyymmdd": d.strftime("%Y%m%d"),
        "iso datetime": f"{d.isoformat()}T08:30:00+07:00",
        "datetime": f"{d.isoformat()} 08:30:00",
        "vi long": f"ngày {d.day} tháng {d.month} năm {d.year}",
        "vi short": f"{d.day:02d} tháng {d.month:02d}, {d.year}",
        "vi caps": f"Ngày {d.day:02d} Tháng {d.month:02d} Năm {d.year}",
        "english": d.strftime("%d %B %Y"),
    }[style]


STYLES = [
    "dd/mm/yyyy",
    "d/m/yyyy",
    "dd-mm-yyyy",
    "dd.mm.yyyy",
    "yyyy-mm-dd",
    "yyyy/mm/dd",
    "yyyymmdd",
    "iso datetime",
    "datetime",
    "vi long",
    "vi short",
    "vi caps",
    "english",
]
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@given(dates, st.sampled_from(STYLES))
def test_every_supported_format_round_trips(d: date, style: str) -> None:
    r = parse_date(fmt(d, style), today=TODAY)
    assert (r.value, r.precision) == (d, "day")
    assert "date.swapped_day_month" not in r.flags


@given(dates)
def test_two_digit_years_use_the_pivot(d: date) -> None:
    assume(pivot_year(d.year % 100, TODAY) == d.year)
    r = parse_date(f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}", today=TODAY)
    assert r.value == d
    assert "date.two_digit_year" in r.flags


def test_pivot_puts_years_after_this_one_in_the_previous_century() -> None:
    assert parse_date("05/03/90", today=TODAY).value == date(1990, 3, 5)
    assert parse_date("05/03/25", today=TODAY).value == date(2025, 3, 5)
    assert parse_date("05/03/26", today=TODAY).value == date(1926, 3, 5)


@given(dates)
def test_impossible_day_month_is_swapped_and_flagged(d: date) -> None:
    assume(d.day > 12)
    r = parse_date(f"{d.month:02d}/{d.day:02d}/{d.year}", today=TODAY)
    assert r.value == d
    assert "date.swapped_day_month" in r.flags


@given(st.integers(min_value=1800, max_value=2200))
def test_a_year_alone_is_a_partial_date(year: int) -> None:
    r = parse_date(str(year), today=TODAY)
    assert (r.value, r.precision) == (date(year, 1, 1), "year")
    assert "date.year_only" in r.flags


@given(dates)
def test_month_and_year_give_month_precision(d: date) -> None:
    r = parse_date(f"{d.month:02d}/{d.year}", today=TODAY)
    assert (r.value, r.precision) == (d.replace(day=1), "month")
    assert "date.month_only" in r.flags


@pytest.mark.parametrize(
    ("raw", "hint", "expected"),
    [
        ("03/05/1990", "mdy", date(1990, 3, 5)),
        ("03/05/1990", "%m/%d/%Y", date(1990, 3, 5)),
        ("03/05/1990", None, date(1990, 5, 3)),  # day-first without a hint
        ("1990.05.03", "%Y.%m.%d", date(1990, 5, 3)),
        ("5 tháng 3, 1990", None, date(1990, 3, 5)),
        ("March 5, 1990", None, date(1990, 3, 5)),
    ],
)
def test_hints_and_word_formats(raw: str, hint: str | None, expected: date) -> None:
    assert parse_date(raw, hint, today=TODAY).value == expected


def test_excel_serial_numbers_are_converted_and_flagged() -> None:
    r = parse_date("32937", today=TODAY)
    assert r.value == date(1990, 3, 5)
    assert "date.excel_serial" in r.flags
    assert parse_date("32937.0", today=TODAY).value == date(1990, 3, 5)


def test_failures_and_warnings() -> None:
    assert parse_date("31/02/1990", today=TODAY).flags == ("date.invalid", "date.unparsed")
    assert parse_date("không rõ", today=TODAY).value is None
    assert parse_date("", today=TODAY).flags == ("date.empty",)
    assert "date.future" in parse_date("01/01/2030", today=TODAY).flags
    assert "date.implausible_year" in parse_date("01/01/1700", today=TODAY).flags


def test_column_order_is_inferred_from_unambiguous_values() -> None:
    assert infer_order(["03/25/1990", "01/02/1991"]) == "mdy"
    assert infer_order(["25/03/1990", "03/25/1990"]) == "dmy"  # contradictory: convention
    assert infer_order(["01/02/1991"]) == "dmy"


def test_lookup_table_infers_month_first_sources() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('03/25/1990'), ('01/02/1991')) v(d)")
    lk = parse_dates_table(con, "t", "d")
    rows = dict(con.execute(f"SELECT raw, value FROM {lk}").fetchall())
    assert rows["01/02/1991"] == date(1991, 1, 2)
    flags = con.execute(f"SELECT flags FROM {lk} WHERE raw = '01/02/1991'").fetchone()
    assert flags == (["date.order_inferred"],)
