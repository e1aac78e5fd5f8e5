"""Dates: reading the dates written in Vietnamese bulletins, and date filter values.

Two jobs live here, both pure functions over strings:

* **Recognising dates in text** (:func:`find_dates`, :func:`parse_date`,
  :func:`strip_dates`, :func:`read_record_date`).  Only a *full* date counts:
  a day, a month and a four-digit year between 1900 and 2100 written together.
  "Ngày 18/12" has no certain year and is never completed from elsewhere in
  the text, since a wrong date is worse than none.  Impossible dates
  (31/02/2022, a 13th month), numbers inside a longer run or a document
  symbol ("17/2001/NĐ-CP", "1-21-1-2022") and lunar dates ("tháng giêng",
  "tháng chạp", "… âm lịch") are refused; refused text is never re-read as
  another date.  A range ("20 – 31/12/2011", "từ ngày 20 đến 31/12/2011")
  gives its first day.  Matching ignores case and treats any run of
  whitespace (NBSP included) as one space; the text should be NFC (as
  :func:`~searcher.normalise.clean_text` leaves it).

* **Filter values** for ``--since``/``--until``/``--year`` and the query syntax
  ``date:`` (:func:`parse_period`, :func:`parse_date_filter`), which raise
  :class:`~searcher.errors.QueryError` with a one-line message on a bad value.

Nothing happens at import time beyond compiling regular expressions.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import QueryError

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "FoundDate",
    "find_dates",
    "parse_date",
    "parse_date_filter",
    "parse_period",
    "read_record_date",
    "strip_dates",
]

#: The years a written date may have; anything else is taken to be a number.
MIN_YEAR, MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class FoundDate:
    """A full date found in a text: the date and the ``[start, end)`` span of its words."""

    date: _dt.date
    start: int
    end: int


# --- the written shapes -------------------------------------------------------------

# "ngày", "mùng", "mồng" before the day (kept in the span; glued "ngày5" too).
_DAY_WORD = r"(?:\b(?:ngày|mùng|mồng)\s*)?"
# The day and month numbers may not continue a number run ("1.21-1-2022").
# A "-" just before is allowed by the patterns and judged afterwards, since
# it may open a range ("20-31/12/2011").
_NUM_LEFT = r"(?<![\d/.])"
_MONTH_WORDS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "tư": 4,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "mười một": 11,
    "mười hai": 12,
}
# Lunar month names: read as words of a date (so nothing inside is re-read)
# but never turned into a calendar date.
_LUNAR_MONTHS = ("giêng", "chạp")
_MONTH = (
    r"(?P<m>\d{1,2}|mười\s+một|mười\s+hai|"
    + "|".join(sorted((w for w in _MONTH_WORDS if " " not in w), key=len, reverse=True))
    + "|"
    + "|".join(_LUNAR_MONTHS)
    + r")(?!\w)"
)
_YEAR = r"(?P<y>\d{4})(?!\d)"
# After a numeric date: no more digits, no ".5", no "/NĐ-CP" (document symbol),
# no "-5" (number run), but "-06/04/2022" (a second date) is fine.
_NUM_RIGHT = r"(?!\d|[/.]\d|/[^\W\d_]|-\d(?!\d?[/.]\d))"

_FLAGS = re.IGNORECASE

# "2022-01-21", "2022/1/21", "2022.01.21", also with a time after it.
_ISO = re.compile(r"(?<![\d/.\-])(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})" + _NUM_RIGHT, _FLAGS)
# "21/01/2022", "21-1-2022", "21.01.2022", "Thứ Ba, 05/04/2022".
_DMY = re.compile(
    _DAY_WORD + _NUM_LEFT + r"(?P<d>\d{1,2})(?P<s>[/.\-])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})" + _NUM_RIGHT,
    _FLAGS,
)
# "ngày 29 tháng 9 năm 2011", "mùng 1 tháng 1 năm 1999", "12 tháng mười hai năm 2023".
_VI = re.compile(_DAY_WORD + _NUM_LEFT + r"(?P<d>\d{1,2})\s+tháng\s+" + _MONTH + r"\s*,?\s*năm\s+" + _YEAR, _FLAGS)
# "31 thg 12, 2011", "31 Thg 12 2011".
_THG = re.compile(
    _DAY_WORD + _NUM_LEFT + r"(?P<d>\d{1,2})\s+thg\s+(?P<m>\d{1,2})(?:\s*,\s*|\s+)(?:năm\s+)?" + _YEAR,
    _FLAGS,
)
# "18/12 năm 2020": day/month and the year said together, so the year is certain.
_DM_YEAR = re.compile(
    _DAY_WORD + _NUM_LEFT + r"(?P<d>\d{1,2})(?P<s>[/.\-])(?P<m>\d{1,2})\s*,?\s+năm\s+" + _YEAR, _FLAGS
)
_FULL_SHAPES = (_ISO, _DMY, _VI, _THG, _DM_YEAR)

# Year-less dates, removed by strip_dates but never read: "18/12", "29-12",
# "20-31/12", "ngày 18 tháng 12", "18 thg 12".
_YEARLESS_NUM = re.compile(
    _DAY_WORD + r"(?<![\d/.\-])(?:\d{1,2}\s*[-–—]\s*)?\d{1,2}[/\-.]\d{1,2}(?![\d/.\-]*\d)",
    _FLAGS,
)
_YEARLESS_VI = re.compile(_DAY_WORD + r"(?<![\d/.\-])\d{1,2}\s+(?:tháng|thg)\s+" + _MONTH, _FLAGS)
_YEARLESS_SHAPES = (_YEARLESS_NUM, _YEARLESS_VI)

# The first day of a range, right before a full date ("20 – ", "20-", "từ ngày 20 đến ").
_RANGE_START = re.compile(
    r"(?:\btừ\s+" + _DAY_WORD + r"(?P<wd>\d{1,2})(?:[/.](?P<wm>\d{1,2}))?\s+(?:đến|tới)\s+"
    r"|" + _DAY_WORD + r"(?<![\d/.\-])(?P<dd>\d{1,2})(?:[/.](?P<dm>\d{1,2}))?(?P<dash>\s*[–—]\s*|\s+-\s+|-))$",
    _FLAGS,
)
_RANGE_LOOKBACK = 48
# "… âm lịch", "(ÂL)" after a date: a lunar date, not a calendar one.
_LUNAR_AFTER = re.compile(r"\s*\(?\s*(?:âm\s+lịch|ÂL)(?!\w)\)?", _FLAGS)


@dataclass(frozen=True)
class _Token:
    """A stretch of text written as a date; ``date`` is ``None`` when it is refused."""

    start: int
    end: int
    date: _dt.date | None


def _make_date(year: int, month: int, day: int) -> _dt.date | None:
    """A valid calendar date in the accepted years, or ``None`` (no 31/02, no year 0042)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def _month_number(word: str) -> int | None:
    """``"12"`` → 12, ``"mười  hai"`` → 12; a lunar month name → ``None``."""
    if word.isdigit():
        return int(word)
    return _MONTH_WORDS.get(" ".join(word.lower().split()))


def _range_start(text: str, token: _Token, match: re.Match) -> _Token | None:
    """The token widened to a range written before it, starting on the range's first day.

    ``None`` when no range is written there.  A range whose first day is not
    before its last, or a glued ``-`` before a ``-``-separated date
    ("1-21-1-2022", a number run), gives a refused token.
    """
    found = _RANGE_START.search(text, max(0, token.start - _RANGE_LOOKBACK), token.start)
    if found is None:
        return None
    refused = _Token(found.start(), token.end, None)
    if found.group("dash") == "-" and match.groupdict().get("s") == "-":
        return refused
    if token.date is None:
        return refused
    day = found.group("wd") or found.group("dd")
    month = found.group("wm") or found.group("dm")
    end = token.date
    if month is None:
        first = _make_date(end.year, end.month, int(day))
    else:
        first = _make_date(end.year, int(month), int(day))
        if first is not None and first > end:
            first = _make_date(end.year - 1, int(month), int(day))  # "28/12 – 3/1/2012"
    if first is None or first >= end:
        return refused
    return _Token(found.start(), token.end, first)


def _full_token(text: str, match: re.Match) -> _Token:
    """The token one full-date match stands for (its range and lunar suffix included)."""
    groups = match.groupdict()
    month = _month_number(groups["m"])
    date = None if month is None else _make_date(int(groups["y"]), month, int(groups["d"]))
    token = _Token(match.start(), match.end(), date)
    if match.re is not _ISO:
        ranged = _range_start(text, token, match)
        if ranged is not None:
            token = ranged
        elif text[max(0, match.start("d") - 1) : match.start("d")] == "-":
            token = _Token(token.start, token.end, None)  # "KL-21/1/2022", "x-21-1-2022"
    lunar = _LUNAR_AFTER.match(text, token.end)
    if lunar is not None:
        token = _Token(token.start, lunar.end(), None)
    return token


def _candidates(text: str, yearless: bool) -> Iterator[_Token]:
    """Every date-shaped stretch of ``text``, overlapping ones included."""
    for pattern in _FULL_SHAPES:
        for match in pattern.finditer(text):
            yield _full_token(text, match)
    if yearless:
        for pattern in _YEARLESS_SHAPES:
            for match in pattern.finditer(text):
                yield _Token(match.start(), match.end(), None)


def _tokens(text: str, yearless: bool = False) -> list[_Token]:
    """Non-overlapping date tokens in order: the earliest wins, then the longest."""
    chosen: list[_Token] = []
    last_end = 0
    for token in sorted(_candidates(text, yearless), key=lambda t: (t.start, t.start - t.end)):
        if token.start >= last_end:
            chosen.append(token)
            last_end = token.end
    return chosen


# --- reading dates ---------------------------------------------------------------------


def find_dates(text: str) -> list[FoundDate]:
    """Every full date written in ``text``, in order of position.

    Shapes read: ``29/9/2011`` (also ``-`` or ``.``), ``2011-09-29`` (a time
    may follow), ``ngày 29 tháng 9 năm 2011`` (also without ``ngày``, with
    ``mùng``/``mồng``, or a month in words such as ``tháng mười hai``),
    ``29 thg 9, 2011``, ``29/9 năm 2011``, and ranges ``20 – 31/12/2011``,
    ``20-31/12/2011``, ``từ ngày 20 đến 31/12/2011`` (the first day).  The
    span covers the words of the date, a leading ``ngày`` and a range included.
    """
    if not text:
        return []
    return [FoundDate(t.date, t.start, t.end) for t in _tokens(text) if t.date is not None]


def parse_date(text: str) -> _dt.date | None:
    """The first full date written in ``text`` (see :func:`find_dates`), or ``None``."""
    found = find_dates(text)
    return found[0].date if found else None


def strip_dates(line: str) -> tuple[str, int]:
    """Remove every date token from ``line``; return the rest and how many were removed.

    Full dates (readable or refused, such as ``31/02/2022``) and year-less ones
    (``18/12``, ``29-12``, ``ngày 18 tháng 12``) are removed; times, weekdays
    and words such as "Cập nhật" are left for the caller.  Runs of whitespace
    in the rest are collapsed to one space.
    """
    if not line:
        return "", 0
    tokens = _tokens(line, yearless=True)
    pieces, at = [], 0
    for token in tokens:
        pieces.append(line[at : token.start])
        at = token.end
    pieces.append(line[at:])
    return " ".join(" ".join(pieces).split()), len(tokens)


# "2022-01-21", "2022-01-21T10:00:00+07:00", "2022-01-21 10:00:00.5Z".
_RECORD_ISO = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\s*"
)


def read_record_date(value: object) -> _dt.date | None:
    """A JSON record's ``date`` value as a date, or ``None`` when it cannot be read.

    Reads ISO (``2022-01-21``, ``2022-01-21T10:00:00+07:00``: the calendar
    date as written, no time-zone conversion), ``dd/mm/yyyy`` and every shape
    :func:`find_dates` knows (the first date in the value).  Anything but a
    string (numbers such as ``20220121``, lists, ``null``) gives ``None``.
    """
    if not isinstance(value, str):
        return None
    iso = _RECORD_ISO.fullmatch(value)
    if iso is not None:
        return _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    return parse_date(value)


# --- filter values -----------------------------------------------------------------------

_PERIOD_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<y>\d{4})"), "year"),
    (re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})"), "month"),
    (re.compile(r"(?P<y>\d{4})(?P<s>[-/])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"), "day"),
    (re.compile(r"(?P<m>\d{1,2})[-/](?P<y>\d{4})"), "month"),
    (re.compile(r"(?P<d>\d{1,2})(?P<s>[-/])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})"), "day"),
)
_PERIOD_HELP = "write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2022-06-01)"
_FILTER_HELP = (
    "write a date (YYYY, YYYY-MM or YYYY-MM-DD), a range A..B, A.. or ..B, or >A, >=A, <B, <=B (e.g. 2022-01..2022-06)"
)


def _bad_date(text: str) -> QueryError:
    return QueryError(f"bad date '{text}': {_PERIOD_HELP}")


def _period_of(match: re.Match, kind: str) -> tuple[_dt.date, _dt.date] | None:
    """The first and last day of a matched year, month or day; ``None`` if impossible."""
    year = int(match.group("y"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    if kind == "year":
        return _dt.date(year, 1, 1), _dt.date(year, 12, 31)
    month = int(match.group("m"))
    if not 1 <= month <= 12:
        return None
    if kind == "month":
        return _dt.date(year, month, 1), _dt.date(year, month, calendar.monthrange(year, month)[1])
    day = _make_date(year, month, int(match.group("d")))
    return None if day is None else (day, day)


def parse_period(text: str) -> tuple[_dt.date, _dt.date]:
    """The first and last day of the period ``text`` names.

    ``"2022"`` → 1 Jan – 31 Dec 2022; ``"2022-03"`` (or ``"03/2022"``) → 1 – 31
    March 2022; ``"2022-03-05"`` (or ``"05/03/2022"``) → that day twice.
    ``-`` and ``/`` are both accepted as separators; years run 1900–2100.
    Raises :class:`~searcher.errors.QueryError` for anything else (``"abc"``,
    ``"2022-13-01"``, ``"2022-02-30"``).
    """
    value = text.strip() if isinstance(text, str) else ""
    for pattern, kind in _PERIOD_SHAPES:
        match = pattern.fullmatch(value)
        if match is not None:
            period = _period_of(match, kind)
            if period is None:
                break
            return period
    raise _bad_date(text)


_ONE_DAY = _dt.timedelta(days=1)
_COMPARISONS = (">=", "<=", ">", "<")


def _compared(op: str, text: str) -> tuple[_dt.date | None, _dt.date | None]:
    """The bounds of ``>A``, ``>=A``, ``<B`` or ``<=B`` (``op`` and the period after it)."""
    first, last = parse_period(text)
    if op == ">=":
        return first, None
    if op == ">":
        return last + _ONE_DAY, None
    if op == "<=":
        return None, last
    return None, first - _ONE_DAY


def parse_date_filter(text: str) -> tuple[_dt.date | None, _dt.date | None]:
    """A date filter value as inclusive ``(since, until)`` bounds; ``None`` is open.

    ``"2022"``, ``"2022-03"``, ``"2022-03-05"``: that whole period.
    ``"2022-01..2022-06"``: 1 Jan – 30 Jun 2022 (whole periods at both ends);
    ``"2022-01-15.."`` and ``"..2022-06"`` leave one end open.
    ``">2022-06-01"``: from 2 June 2022 (strictly after the period);
    ``">=2022-06"``: from 1 June; ``"<2022"``: up to 31 Dec 2021;
    ``"<=2022-03"``: up to 31 March 2022.  Spaces around the parts are allowed.
    Raises :class:`~searcher.errors.QueryError` for a bad date, an empty
    value, or a range whose start is after its end.
    """
    value = text.strip() if isinstance(text, str) else ""
    if not value:
        raise QueryError(f"empty date filter: {_FILTER_HELP}")
    for op in _COMPARISONS:
        if value.startswith(op):
            rest = value[len(op) :].strip()
            if not rest:
                raise QueryError(f"bad date filter '{value}': {_FILTER_HELP}")
            return _compared(op, rest)
    if ".." not in value:
        first, last = parse_period(value)
        return first, last
    left, _, right = (part.strip() for part in value.partition(".."))
    if not left and not right:
        raise QueryError(f"bad date range '{value}': {_FILTER_HELP}")
    since = parse_period(left)[0] if left else None
    until = parse_period(right)[1] if right else None
    if since is not None and until is not None and since > until:
        raise QueryError(f"bad date range '{value}': the start is after the end (write the earlier date first)")
    return since, until
