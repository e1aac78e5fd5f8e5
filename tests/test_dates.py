"""Tests for searcher.dates and for where a bulletin's date comes from (``date_source``).

The written shapes are the ones met in Vietnamese portal text and JSON
records; the refusals are the traps (no year, impossible days, document
symbols, number runs, lunar months) where a wrong date would be worse than none.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searcher import bulletins
from searcher.bulletins import Bulletin, iter_jsonl, read_txt, scan_corpus
from searcher.dates import (
    FoundDate,
    find_dates,
    parse_date,
    parse_date_filter,
    parse_period,
    read_record_date,
    strip_dates,
)
from searcher.errors import QueryError

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
D = dt.date


# --- full dates: every shape ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        # Vietnamese words
        ("ngày 29 tháng 9 năm 2011", D(2011, 9, 29)),
        ("29 tháng 9 năm 2011", D(2011, 9, 29)),
        ("mùng 1 tháng 1 năm 1999", D(1999, 1, 1)),
        ("mồng 1 tháng 1 năm 1999", D(1999, 1, 1)),
        ("Hà Nội, Ngày 05 Tháng 04 Năm 2022", D(2022, 4, 5)),
        ("NGÀY 29 THÁNG 9 NĂM 2011", D(2011, 9, 29)),
        ("ngày 5 tháng 4, năm 2022", D(2022, 4, 5)),
        # months in words
        ("ngày 12 tháng mười hai năm 2023", D(2023, 12, 12)),
        ("ngày 12 tháng Mười Một năm 2023", D(2023, 11, 12)),
        ("ngày 3 tháng mười năm 2023", D(2023, 10, 3)),
        ("ngày 2 tháng tư năm 2023", D(2023, 4, 2)),
        ("ngày 2 tháng bốn năm 2023", D(2023, 4, 2)),
        ("ngày 9 tháng năm năm 2023", D(2023, 5, 9)),
        ("ngày 1 tháng một năm 2023", D(2023, 1, 1)),
        ("ngày 7 tháng chín năm 2023", D(2023, 9, 7)),
        # "thg"
        ("31 thg 12, 2011", D(2011, 12, 31)),
        ("31 Thg 12 2011", D(2011, 12, 31)),
        # numbers
        ("21-1-2022", D(2022, 1, 21)),
        ("21.01.2022", D(2022, 1, 21)),
        ("21/01/2022", D(2022, 1, 21)),
        ("5/4/2022", D(2022, 4, 5)),
        ("29/02/2024", D(2024, 2, 29)),
        ("2022-01-21", D(2022, 1, 21)),
        ("2022-01-21T10:00:00+07:00", D(2022, 1, 21)),
        ("2022-01-21 10:00", D(2022, 1, 21)),
        ("Thứ Ba, 05/04/2022", D(2022, 4, 5)),
        ("Cập nhật lúc18:19, Thứ Ba, 05/04/2022 (GMT+7)", D(2022, 4, 5)),
        ("Linh Lan 13:12, 29/12/2022", D(2022, 12, 29)),
        ("ngày21/01/2022", D(2022, 1, 21)),
        # day/month with the year said next to it
        ("18/12 năm 2020", D(2020, 12, 18)),
        ("Ngày 18/12 năm 2020", D(2020, 12, 18)),
        # ranges: the first day
        ("20 – 31/12/2011", D(2011, 12, 20)),
        ("20 - 31/12/2011", D(2011, 12, 20)),
        ("20-31/12/2011", D(2011, 12, 20)),
        ("từ ngày 20 đến 31/12/2011", D(2011, 12, 20)),
        ("từ 20 tới ngày 31/12/2011", D(2011, 12, 20)),
        ("từ ngày 28/12 đến 3/1/2012", D(2011, 12, 28)),
        ("28-29 tháng 9 năm 2011", D(2011, 9, 28)),
        ("từ ngày 5 đến 12/4 năm 2005", D(2005, 4, 5)),
        # the first date wins; an impossible one is skipped
        ("sáng 29-12, tức ngày 29/12/2022", D(2022, 12, 29)),
        ("31/02/2022 hay 01/03/2022", D(2022, 3, 1)),
        ("05/04/2022-06/04/2022", D(2022, 4, 5)),
    ],
)
def test_full_date_shapes(text, want):
    assert parse_date(text) == want
    (found,) = find_dates(text)[:1]
    assert found.date == want


@pytest.mark.parametrize(
    "text",
    [
        "",
        # no year
        "Ngày 18/12",
        "Ngày 14/6, tại huyện Ninh Hải",
        "14/6",
        "sáng 29-12.",
        "ngày 18 tháng 12",
        "tháng 4/2022",
        "năm 2022",
        "12 tháng năm 2023",
        "29/12/22",
        # impossible
        "31/02/2022",
        "29/02/2023",
        "13/13/2022",
        "2022-13-01",
        "00/01/2022",
        "32/01/2022",
        "ngày 31 tháng 4 năm 2022",
        # years out of range
        "1/1/1899",
        "1/1/2101",
        "10/10/0042",
        # document symbols and number runs
        "Nghị định 17/2001/NĐ-CP",
        "Quyết định số 12/12/2001/QĐ-BNV",
        "Quyết định số 46-QĐ/TW",
        "1-21-1-2022",
        "0912-21-1-2022",
        "21-1-20223",
        "21-1-2022-5",
        "1.21.1.2022",
        "KL-21/1/2022",
        "nhiệm kỳ 2020-2025",
        # a range whose first day is not before its last
        "31 - 20/12/2011",
        "20-20/12/2011",
        # lunar dates
        "mùng 1 tháng giêng năm 2023",
        "ngày 29 tháng chạp năm 2022",
        "ngày 15 tháng 8 năm 2022 âm lịch",
        "15/8/2022 (ÂL)",
    ],
)
def test_refused(text):
    assert parse_date(text) is None
    assert find_dates(text) == []


def test_refused_text_is_not_read_again_inside():
    # "31 - 20/12/2011" is a range written backwards: its last day is not read alone
    assert find_dates("31 - 20/12/2011") == []
    # a document symbol's digits are not a date either, but a real date after it is
    assert parse_date("Nghị định số 17/2001/NĐ-CP ngày 4/5/2001") == D(2001, 5, 4)


def test_whitespace_and_nbsp_are_tolerated():
    assert parse_date("ngày\u00a029\u00a0tháng  9   năm\u00a02011") == D(2011, 9, 29)
    assert parse_date("20\u00a0–\u00a031/12/2011") == D(2011, 12, 20)
    assert parse_date("31\u00a0thg\u00a012,\u00a02011") == D(2011, 12, 31)


def test_find_dates_spans_and_order():
    text = "Chiều ngày 28/6/2022, tại Bắc Giang; từ ngày 20 đến 31/12/2011 và 2022-01-21."
    found = find_dates(text)
    assert [f.date for f in found] == [D(2022, 6, 28), D(2011, 12, 20), D(2022, 1, 21)]
    assert [text[f.start : f.end] for f in found] == ["ngày 28/6/2022", "từ ngày 20 đến 31/12/2011", "2022-01-21"]
    assert all(isinstance(f, FoundDate) for f in found)


def test_find_dates_skips_refusals_between_dates():
    text = "31/02/2022, 18/12, 17/2001/NĐ-CP, 1/3/2022"
    start = text.index("1/3/2022")
    assert find_dates(text) == [FoundDate(D(2022, 3, 1), start, start + len("1/3/2022"))]


def test_bulletins_reexports_parse_date():
    assert bulletins.parse_date is parse_date
    assert "parse_date" in bulletins.__all__


_SHAPES = [
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day}-{d.month}-{d.year}",
    lambda d: d.isoformat(),
    lambda d: f"{d.isoformat()}T08:30:00+07:00",
    lambda d: f"ngày {d.day} tháng {d.month} năm {d.year}",
    lambda d: f"mồng {d.day} tháng {d.month} năm {d.year}",
    lambda d: f"{d.day} thg {d.month}, {d.year}",
    lambda d: f"{d.day}/{d.month} năm {d.year}",
    lambda d: f"Thứ Ba, {d.day:02d}/{d.month:02d}/{d.year} (GMT+7)",
]


@settings(max_examples=200, deadline=None)
@given(st.dates(D(1900, 1, 1), D(2100, 12, 31)), st.sampled_from(_SHAPES), st.sampled_from(["", "Hà Nội, ", "sáng "]))
def test_every_shape_reads_back_any_date(day, shape, before):
    text = before + shape(day) + ", tại hội nghị"
    (found,) = find_dates(text)
    assert found.date == day
    assert parse_date(text[found.start : found.end]) == day
    rest, n = strip_dates(text)
    assert n == 1 and parse_date(rest) is None


_PIECES = st.sampled_from(
    ["1", "12", "31", "2022", "/", "-", ".", " ", "–", "ngày ", "tháng ", "năm ", "thg ", "từ ", "đến ", ", ", "NĐ"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_found_dates_are_ordered_disjoint_and_stripped(text):
    found = find_dates(text)
    assert all(a.end <= b.start for a, b in pairwise(found))
    assert all(D(1900, 1, 1) <= f.date <= D(2100, 12, 31) for f in found)
    assert all(parse_date(text[f.start : f.end]) == f.date for f in found)
    assert parse_date(text) == (found[0].date if found else None)
    rest, n = strip_dates(text)
    assert n >= len(found)
    assert find_dates(rest) == []


# --- strip_dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, rest, n",
    [
        ("Linh Lan 13:12, 29/12/2022", "Linh Lan 13:12,", 1),
        ("Ngày 18/12", "", 1),
        ("sáng 29-12.", "sáng .", 1),
        ("Cập nhật lúc18:19, Thứ Ba, 05/04/2022 (GMT+7)", "Cập nhật lúc18:19, Thứ Ba, (GMT+7)", 1),
        ("ngày 18 tháng 12 và 31/02/2022", "và", 2),
        ("20-31/12 tại Hà Nội", "tại Hà Nội", 1),
        ("Thu Hà | 08:30 ngày 12.03.2021", "Thu Hà | 08:30", 1),
        ("Hội nghị tổng kết", "Hội nghị tổng kết", 0),
        ("", "", 0),
    ],
)
def test_strip_dates(line, rest, n):
    assert strip_dates(line) == (rest, n)


# --- read_record_date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, want",
    [
        ("2022-01-21", D(2022, 1, 21)),
        ("2022-01-21T10:00:00+07:00", D(2022, 1, 21)),
        ("2022-01-21T23:30:00-05:00", D(2022, 1, 21)),  # the calendar date as written
        ("2022-01-21T10:00:00Z", D(2022, 1, 21)),
        (" 2022-01-21 10:00 ", D(2022, 1, 21)),
        ("21/01/2022", D(2022, 1, 21)),
        ("Thứ Sáu, 21/01/2022 08:00", D(2022, 1, 21)),
        ("ngày 21 tháng 1 năm 2022", D(2022, 1, 21)),
        ("2022-02-31", None),
        ("31/02/2022", None),
        ("hôm qua", None),
        ("21/01", None),
        ("", None),
        (20220121, None),
        (None, None),
        (True, None),
        (["2022-01-21"], None),
    ],
)
def test_read_record_date(value, want):
    assert read_record_date(value) == want


# --- filter values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("2022", (D(2022, 1, 1), D(2022, 12, 31))),
        ("2022-03", (D(2022, 3, 1), D(2022, 3, 31))),
        ("2022-02", (D(2022, 2, 1), D(2022, 2, 28))),
        ("2024-02", (D(2024, 2, 1), D(2024, 2, 29))),
        ("2022-3", (D(2022, 3, 1), D(2022, 3, 31))),
        ("2022-03-05", (D(2022, 3, 5), D(2022, 3, 5))),
        ("2022/03/05", (D(2022, 3, 5), D(2022, 3, 5))),
        ("05/03/2022", (D(2022, 3, 5), D(2022, 3, 5))),
        ("03/2022", (D(2022, 3, 1), D(2022, 3, 31))),
        (" 2022 ", (D(2022, 1, 1), D(2022, 12, 31))),
    ],
)
def test_parse_period(text, want):
    assert parse_period(text) == want


@pytest.mark.parametrize(
    "text, want",
    [
        ("2022", (D(2022, 1, 1), D(2022, 12, 31))),
        ("2022-03", (D(2022, 3, 1), D(2022, 3, 31))),
        ("2022-03-05", (D(2022, 3, 5), D(2022, 3, 5))),
        ("2022-01..2022-06", (D(2022, 1, 1), D(2022, 6, 30))),
        ("2022..2023", (D(2022, 1, 1), D(2023, 12, 31))),
        ("2022-01 .. 2022-06", (D(2022, 1, 1), D(2022, 6, 30))),
        ("2022-03-05..2022-03-05", (D(2022, 3, 5), D(2022, 3, 5))),
        ("2022-01-15..", (D(2022, 1, 15), None)),
        ("..2022-06", (None, D(2022, 6, 30))),
        (">2022-06-01", (D(2022, 6, 2), None)),
        (">2022-06", (D(2022, 7, 1), None)),
        (">=2022-06-01", (D(2022, 6, 1), None)),
        (">= 2022", (D(2022, 1, 1), None)),
        ("<2022", (None, D(2021, 12, 31))),
        ("<2022-03-01", (None, D(2022, 2, 28))),
        ("<=2022-03", (None, D(2022, 3, 31))),
        ("<=05/03/2022", (None, D(2022, 3, 5))),
    ],
)
def test_parse_date_filter(text, want):
    assert parse_date_filter(text) == want


@pytest.mark.parametrize(
    "text, shown",
    [
        ("abc", "bad date 'abc': write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2022-06-01)"),
        ("2022-13-01", "bad date '2022-13-01': write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2022-06-01)"),
        ("2022-02-30", "bad date '2022-02-30': write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2022-06-01)"),
        ("2022-13", "bad date '2022-13'"),
        ("1899", "bad date '1899'"),
        ("22", "bad date '22'"),
        ("2022-01..2022-13", "bad date '2022-13'"),
        (">abc", "bad date 'abc'"),
        ("2022-06..2022-01", "bad date range '2022-06..2022-01': the start is after the end"),
        ("2022-03-05..2022-03-04", "bad date range"),
        ("..", "bad date range '..'"),
        (">", "bad date filter '>'"),
        ("", "empty date filter"),
        ("   ", "empty date filter"),
    ],
)
def test_parse_date_filter_bad_values(text, shown):
    with pytest.raises(QueryError) as info:
        parse_date_filter(text)
    message = str(info.value)
    assert message.startswith(shown)
    assert "\n" not in message and len(message) < 200
    assert "YYYY" in message or "the start is after the end" in message


@pytest.mark.parametrize("text", ["abc", "2022-13-01", "2022-02-30", "2022..2023", ">2022", "", "13/2022", "2022-1-1-1"])
def test_parse_period_bad_values(text):
    with pytest.raises(QueryError) as info:
        parse_period(text)
    assert "write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2022-06-01)" in str(info.value)


@settings(max_examples=200, deadline=None)
@given(st.dates(D(1900, 1, 1), D(2100, 12, 31)), st.dates(D(1900, 1, 1), D(2100, 12, 31)))
def test_filter_ranges_are_inclusive_and_ordered(a, b):
    lo, hi = min(a, b), max(a, b)
    assert parse_date_filter(f"{lo.isoformat()}..{hi.isoformat()}") == (lo, hi)
    assert parse_date_filter(f">{lo.isoformat()}")[0] == lo + dt.timedelta(days=1)
    assert parse_date_filter(f"<{lo.isoformat()}")[1] == lo - dt.timedelta(days=1)
    if lo < hi:
        with pytest.raises(QueryError):
            parse_date_filter(f"{hi.isoformat()}..{lo.isoformat()}")


# --- date_source: the five seeds ---------------------------------------------------------------

SEED_DATES = {
    "000_1c6d7c9d19558e0d": (D(2022, 6, 30), "header"),  # "30/06/2022" line above the title
    "001_f32d63e59ccfbbc4": (None, None),  # "Ngày 18/12, …": 2020 only in the title
    "002_dc85f83dfda5612a": (None, None),  # "Ngày 14/6, …": 2024 only elsewhere
    "003_f0e23452681d55ff": (D(2022, 4, 5), "header"),  # "Cập nhật lúc18:19, Thứ Ba, 05/04/2022 (GMT+7)"
    "004_2162316529c2fb6e": (D(2022, 12, 29), "byline"),  # "Linh Lan 13:12, 29/12/2022"
}


@pytest.fixture(scope="module")
def seeds() -> dict[str, Bulletin]:
    if not all((CORPUS / f"{s}.txt").is_file() for s in SEED_DATES):
        pytest.skip("seed bulletins missing from corpus/")
    return {s: read_txt(CORPUS / f"{s}.txt", CORPUS) for s in SEED_DATES}


@pytest.mark.parametrize("seed", sorted(SEED_DATES))
def test_seed_date_and_source(seeds, seed):
    b = seeds[seed]
    assert (b.date, b.date_source) == SEED_DATES[seed]
    assert b.warnings == ()


@pytest.mark.parametrize("seed", ["001_f32d63e59ccfbbc4", "002_dc85f83dfda5612a"])
def test_undated_seeds_have_no_full_date_in_their_body(seeds, seed):
    b = seeds[seed]
    assert b.body.startswith("Ngày ")  # a year-less "Ngày 18/12," / "Ngày 14/6," opens the lead
    assert find_dates(b.body) == []
    assert find_dates(b.title) == []  # "năm 2020" / "năm 2024" is a year, not a date


def test_seed_without_its_header_date_falls_back_to_its_lead(tmp_path):
    raw = (CORPUS / "000_1c6d7c9d19558e0d.txt").read_text(encoding="utf-8")
    assert "\n30/06/2022\n" in raw
    (tmp_path / "x.txt").write_text(raw.replace("\n30/06/2022\n", "\n"), encoding="utf-8")
    b = read_txt(tmp_path / "x.txt", tmp_path)
    assert b.body.startswith("Chiều ngày 28/6/2022, tại thành phố Bắc Giang")
    assert (b.date, b.date_source) == (D(2022, 6, 28), "text")


# --- date_source: small .txt files ----------------------------------------------------------------


def read_one(tmp_path: Path, text: str) -> Bulletin:
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    return read_txt(tmp_path / "t.txt", tmp_path)


@pytest.mark.parametrize(
    "text, want",
    [
        ("30/06/2022\nTiêu đề\nĐoạn một.", (D(2022, 6, 30), "header")),
        ("Tiêu đề\nThứ Hai, ngày 5 tháng 4 năm 2021\nĐoạn một.", (D(2021, 4, 5), "header")),
        ("Tiêu đề\n31 thg 12, 2011\nĐoạn một.", (D(2011, 12, 31), "header")),
        ("Tiêu đề\nLinh Lan 13:12, 29/12/2022\nĐoạn một.", (D(2022, 12, 29), "byline")),
        ("Tiêu đề\nĐoạn một.\nĐoạn hai.\nMinh Anh 10:00, 05/04/2022", (D(2022, 4, 5), "byline")),
        ("Tiêu đề\nĐoạn một.\nĐoạn hai.\n05/04/2022", (D(2022, 4, 5), "byline")),
        # the header's date beats the lead's
        ("Tiêu đề\n30/06/2022\nNgày 28/6/2022, tại Bắc Giang, hội nghị khai mạc.", (D(2022, 6, 30), "header")),
        # a year-less header date leaves the lead to speak
        ("Tiêu đề\nNgày 18/12\nSáng 17/12/2020, tại Bắc Kạn, hội nghị khai mạc.", (D(2020, 12, 17), "text")),
    ],
)
def test_txt_date_source(tmp_path, text, want):
    b = read_one(tmp_path, text)
    assert (b.date, b.date_source) == want


@pytest.mark.parametrize(
    "lead, want",
    [
        ("Chiều ngày 28/6/2022, tại thành phố Bắc Giang, hội nghị khai mạc.", D(2022, 6, 28)),
        ("(NLĐ)- Sáng 1-1-2006, Liên hiệp các tổ chức hữu nghị TP tổ chức lễ.", D(2006, 1, 1)),
        ("Vào hồi 19 giờ 30 phút ngày 17/2/2005, tại công ty đã xảy ra cháy.", D(2005, 2, 17)),
        ("Từ ngày 20 đến 31/12/2011, tỉnh tổ chức đợt thi đua cao điểm.", D(2011, 12, 20)),
        ("Ngày 5 tháng 3 năm 2022, Kết luận 28-KL/TW ngày 21-1-2022 được quán triệt.", D(2022, 3, 5)),
        # a short first paragraph (a dateline) lets the next one count too
        ("Hà Nội\n\nNgày 5/3/2022, Ban Tổ chức Trung ương tổ chức hội nghị.", D(2022, 3, 5)),
        # dates that are not the event's: a cited document, a start, a deadline, an earlier day
        ("Kết luận 28-KL/TW ngày 21-1-2022 của Bộ Chính trị được quán triệt.", None),
        ("Nghị quyết số 18 ngày 25/10/2017 đã đi vào cuộc sống.", None),
        ("Từ ngày 1/1/2006, lương tối thiểu được điều chỉnh.", None),
        ("Hạn chót nộp hồ sơ là 31/5/2005.", None),
        ("Trước đó, ngày 11-5-2005, Hậu đã đột nhập vào nhà bà T.", None),
        ("Vụ án Lã Thị Kim Oanh (17/11/2003)", None),
        # too far into the lead, or after its first sentence
        ("Ban Tổ chức Trung ương vừa tổ chức hội nghị giao ban trực tuyến ngày 5/3/2022.", None),
        ("Hội nghị khai mạc. Ngày 5/3/2022, các đại biểu thảo luận.", None),
        # only the lead is read: the date in the third paragraph is not
        ("Đoạn một dài " + "nói về hội nghị " * 10 + "\n\nĐoạn hai.\n\nNgày 5/3/2022, hội nghị bế mạc.", None),
        # no full date
        ("Ngày 18/12, tại thành phố Bắc Kạn, hội nghị tổng kết năm 2020.", None),
    ],
)
def test_txt_text_date_from_the_lead(tmp_path, lead, want):
    b = read_one(tmp_path, "Tiêu đề\n" + lead.replace("\n\n", "\n"))
    assert (b.date, b.date_source) == (want, "text" if want else None)


def test_txt_text_date_is_not_taken_from_the_title(tmp_path):
    b = read_one(tmp_path, "Hội nghị ngày 5/3/2022\nĐoạn một nói về hội nghị.")
    assert (b.date, b.date_source) == (None, None)


# --- date_source and warnings: .jsonl --------------------------------------------------------------


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_jsonl_date_sources_and_warnings(tmp_path):
    lead = "Chiều ngày 28/6/2022, tại Bắc Giang, hội nghị khai mạc."
    p = write_jsonl(
        tmp_path / "bulk.jsonl",
        [
            {"id": "iso", "body": lead, "date": "2022-01-21T10:00:00+07:00"},
            {"id": "vi", "body": "B.", "date": "Thứ Ba, ngày 5 tháng 4 năm 2022"},
            {"id": "none", "body": lead},
            {"id": "null", "body": lead, "date": None},
            {"id": "blank", "body": lead, "date": "  "},
            {"id": "plain", "body": "Không có ngày."},
            {"id": "abc", "body": lead, "date": "31/02/2022"},
            {"id": "num", "body": "B.", "date": 20220121},
            {"id": "long", "body": "B.", "date": "không rõ " * 20},
        ],
    )
    got = {b.id: b for b in iter_jsonl(p, tmp_path)}
    assert all(isinstance(b, Bulletin) for b in got.values())
    assert (got["iso"].date, got["iso"].date_source) == (D(2022, 1, 21), "record")
    assert (got["vi"].date, got["vi"].date_source) == (D(2022, 4, 5), "record")
    for rid in ("none", "null", "blank"):
        assert (got[rid].date, got[rid].date_source, got[rid].warnings) == (D(2022, 6, 28), "text", ())
    assert (got["plain"].date, got["plain"].date_source, got["plain"].warnings) == (None, None, ())
    # present but unreadable: indexed, undated (no guess from the lead), one warning naming it
    assert (got["abc"].date, got["abc"].date_source) == (None, None)
    assert got["abc"].warnings == (
        "bulk.jsonl:7: date '31/02/2022' not understood (record 'abc'); indexed undated",
    )
    assert got["num"].warnings == ("bulk.jsonl:8: date 20220121 not understood (record 'num'); indexed undated",)
    (long_warning,) = got["long"].warnings
    assert long_warning.startswith("bulk.jsonl:9: date 'không rõ không rõ") and "\n" not in long_warning
    assert len(long_warning) < 120
    assert got["abc"].to_dict()["warnings"] == [got["abc"].warnings[0]]


def test_unreadable_record_date_is_still_scanned(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "body": "Thân bài.", "date": "hôm qua"}])
    shutil.copy(CORPUS / "004_2162316529c2fb6e.txt", tmp_path / "b.txt")
    items = list(scan_corpus(tmp_path))
    assert [type(i) for i in items] == [Bulletin, Bulletin]
    assert items[0].date is None and len(items[0].warnings) == 1
    assert (items[1].date_source, items[1].warnings) == ("byline", ())


def test_old_keyword_construction_still_works():
    b = Bulletin(
        id="x", title="T", body="B", date=None, author=None, source=None, url=None, path="x.txt", hash="0"
    )
    assert (b.date_source, b.warnings) == (None, ())
    d = b.to_dict()
    assert (d["date_source"], d["warnings"]) == (None, [])
    assert json.loads(json.dumps(d)) == d
