"""Reading a corpus folder into cleaned bulletins with their metadata.

A corpus folder holds one bulletin per ``*.txt`` file (raw text copied from a
news portal) and/or ``*.jsonl`` files (one JSON record per line).  This module
turns both into :class:`Bulletin` objects: display text that has been through
:func:`~searcher.normalise.clean_text`, with the portal's boilerplate, the
headline, the date/byline line, the author line and the "Theo …" source line
taken out of the body and kept as metadata.

Files or records that cannot be read come out as
:class:`~searcher.errors.BadDocument` values (never raised by
:func:`scan_corpus`), so one broken file never stops an index job.

The module knows nothing of whoosh or the CLI and does no work at import time
beyond compiling a few regular expressions.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path

from .dates import find_dates, parse_date, read_record_date, strip_dates
from .errors import BadDocument, CorpusError
from .normalise import SYLLABLE_RE, clean_text, fold, is_encodable, printable, strip_controls, unescape_entities

__all__ = [
    "Bulletin",
    "parse_date",
    "read_txt",
    "iter_jsonl",
    "scan_corpus",
    "clean_body",
]

# A headline longer than this is taken to be a paragraph, not a title.
MAX_TITLE_CHARS = 250
# Two consecutive lines at least this similar are one line said twice.
NEAR_DUPLICATE_RATIO = 0.9
# A near-duplicate may differ in one place, plus one more per this many words.
WORDS_PER_EDIT = 20
# How many lines at the end of a .txt may hold author / source / url.
MAX_FOOTER_LINES = 4
# A bulletin's body is cut at this many characters (at a space), with a warning
# naming it: a 50 MB one-line "bulletin" once took 12 minutes and 1.9 GB to
# index, and every query returning it 10-17 s.  Only the first part is
# analysed, stored and shown.  Real bulletins are far shorter (VNTC: 99.9 %
# under 40,000 characters).
MAX_BODY_CHARS = 300_000
# The archive's own abbreviations (``ABBR = full form`` a line), beside the
# bulletins: read by the index job, never indexed as a bulletin.
ABBREVIATIONS_FILE = "abbreviations.txt"
# Raw text read before clean-up: enough for MAX_BODY_CHARS after boilerplate goes.
_MAX_RAW_CHARS = 4 * MAX_BODY_CHARS


# --- the record ----------------------------------------------------------------


@dataclass(frozen=True)
class Bulletin:
    """One cleaned bulletin, ready to be indexed.

    ``id`` is the path relative to the corpus root without ``.txt`` (POSIX
    separators) for a text file, or the record's ``id`` for a JSON line.
    ``path`` says where it came from (``"000_x.txt"`` or ``"bulk.jsonl:17"``)
    and ``hash`` is the SHA-1 of the raw bytes that define it.

    ``date_source`` says where ``date`` was read (``None`` when undated):

    * ``"header"``: a date line in the header ("30/06/2022",
      "Cập nhật lúc18:19, Thứ Ba, 05/04/2022 (GMT+7)");
    * ``"byline"``: a name + time + date line ("Linh Lan 13:12, 29/12/2022"),
      or a date or byline line in the footer;
    * ``"record"``: a JSON record's ``date`` field;
    * ``"text"``: none of those, so the date the lead opens with
      ("Chiều ngày 28/6/2022, tại …"; see :data:`LEAD_MIN_CHARS`).  Good for
      display; filtering and sorting should trust only the other three.

    ``warnings`` holds one-line notes about a bulletin that was indexed all
    the same (a record ``date`` that could not be read).
    """

    id: str
    title: str
    body: str
    date: _dt.date | None
    author: str | None
    source: str | None
    url: str | None
    path: str
    hash: str
    date_source: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-ready dict (the date as an ISO string, the warnings as a list)."""
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        d["warnings"] = list(self.warnings)
        return d


# --- dates -------------------------------------------------------------------------
#
# Reading dates is searcher.dates' job; parse_date is re-exported from here.

#: Where a bulletin's date came from (``Bulletin.date_source``).
DATE_SOURCES = ("header", "byline", "record", "text")

# A "text" date is the date a news lead opens with: "Chiều ngày 28/6/2022,
# tại …", "(NLĐ)- Sáng 1-1-2006, …", "Hà Nội, 05/04/2022".  Only the lead is
# read: the first body paragraph, and the next one too when the first is
# shorter than LEAD_MIN_CHARS (a dateline, a subtitle, a caption).  In each,
# the date must come within the first LEAD_WORDS_BEFORE words, before any
# sentence end; dates further in are mostly about something else (a deadline,
# last year's event, a resolution).
LEAD_MIN_CHARS = 120
LEAD_MAX_PARAGRAPHS = 2
LEAD_WORDS_BEFORE = 6

_SENTENCE_END = re.compile(r"[.!?…](?:\s|$)")
# Right before the date, words that make it some other day than the event's:
# a cited document ("Kết luận 28-KL/TW ngày 21-1-2022", "Chỉ thị số 35 ngày …",
# "ban hành ngày …"), a start or deadline ("từ ngày 1/1/2006", "trước ngày …",
# "hạn chót …"), or a bracketed date ("Vụ án X (17/11/2003)").
_OTHER_DAY_BEFORE = re.compile(
    r"(?:\d+[-/][^\W\d_][\w\-/]*|\bsố\s+\d+[\w\-/]*"
    r"|\b(?:nghị\s+quyết|nghị\s+định|kết\s+luận|chỉ\s+thị|quyết\s+định|quy\s+định|thông\s+tư"
    r"|thông\s+báo|công\s+văn|hướng\s+dẫn|kế\s+hoạch|luật|ban\s+hành|ký)(?:\s+\d+)?"
    r"|\b(?:từ|trước|sau|đến|tới|hạn|hạn\s+chót|hạn\s+cuối|hết|kỷ\s+niệm)|\()"
    r"\s*,?\s*(?:ngày\s*)?$",
    re.IGNORECASE,
)
# Anywhere before it, words that point to an earlier day or a deadline:
# "Trước đó, ngày …", "Cách đây gần bốn năm, ngày …", "Sau khi báo ra ngày …",
# "Hạn chót nộp hồ sơ là …".
_OTHER_DAY_CUE = re.compile(
    r"\b(?:trước\s+đó|cách\s+đây|sau\s+khi|kể\s+từ|thời\s+hạn|hạn\s+(?:chót|cuối|nộp))\b",
    re.IGNORECASE,
)


def _lead_paragraphs(paragraphs: list[str]) -> list[str]:
    """The paragraphs a ``"text"`` date is read from (see :data:`LEAD_MIN_CHARS`)."""
    taken: list[str] = []
    for paragraph in paragraphs[:LEAD_MAX_PARAGRAPHS]:
        taken.append(paragraph)
        if sum(len(p) for p in taken) >= LEAD_MIN_CHARS:
            break
    return taken


def _opening_date(paragraph: str) -> _dt.date | None:
    """The full date ``paragraph`` opens with (see :data:`LEAD_WORDS_BEFORE`), or ``None``."""
    for found in find_dates(paragraph):
        before = paragraph[: found.start]
        if len(before.split()) > LEAD_WORDS_BEFORE or _SENTENCE_END.search(before):
            return None
        if _OTHER_DAY_BEFORE.search(before) is None and _OTHER_DAY_CUE.search(before) is None:
            return found.date
    return None


def _lead_date(paragraphs: list[str]) -> _dt.date | None:
    """The date the body's lead opens with, for a ``"text"`` date; ``None`` if none."""
    for paragraph in _lead_paragraphs(paragraphs):
        date = _opening_date(paragraph)
        if date is not None:
            return date
    return None


# --- line classes ------------------------------------------------------------------

_PORTAL_MARKER = re.compile(r"PublishingPortal\s*-\s*Block_\w*", re.IGNORECASE)
_TOOLBAR_PHRASE = re.compile(r"(?:Tăng|Giảm)\s+cỡ\s+chữ", re.IGNORECASE)
_BOILERPLATE_WORDS = (
    "xem thêm",
    "in bài",
    "in bài viết",
    "in",
    "chia sẻ",
    "chia sẻ bài viết",
    "bản in",
    "gửi email",
    "gửi bài",
    "gửi cho bạn bè",
    "email",
    "bình luận",
    "về đầu trang",
    "lên đầu trang",
    "quay lại",
    "trở về",
    "tin liên quan",
    "tin khác",
    "các tin khác",
    "bài viết liên quan",
    "tin cùng chuyên mục",
    "print",
    "share",
    "facebook",
    "twitter",
    "zalo",
    "tweet",
)
_BOILERPLATE_LINE = re.compile(
    r"(?:\s*(?:"
    + "|".join(re.escape(w) for w in sorted(_BOILERPLATE_WORDS, key=len, reverse=True))
    + r")\b\s*(?:[|·•:/>»\-–]+|\.{3}|…)?)+",
    re.IGNORECASE,
)


_LONGEST_BOILERPLATE_LINE = 80


def _strip_inline_boilerplate(text: str) -> str:
    """Remove portal markers and toolbar phrases wherever they sit in the text."""
    # Each needs a character no other one matches case-insensitively ("_" of
    # "Block_", "ỡ" of "cỡ"): most texts hold neither and skip the slow
    # case-insensitive scan.
    if "_" in text:
        text = _PORTAL_MARKER.sub("", text)
    if "ỡ" in text or "Ỡ" in text:
        text = _TOOLBAR_PHRASE.sub("", text)
    return text


def _has_words(line: str) -> bool:
    """True when the line holds at least one letter or digit."""
    return SYLLABLE_RE.search(line) is not None


def _is_boilerplate_line(line: str) -> bool:
    """A whole line of share/print/"Xem thêm" links, or of lone punctuation."""
    if not _has_words(line):
        return True
    return len(line) <= _LONGEST_BOILERPLATE_LINE and _BOILERPLATE_LINE.fullmatch(line) is not None


def _content_lines(text: str) -> list[str]:
    """Cleaned, stripped, non-empty lines with every kind of boilerplate removed."""
    kept = []
    for raw in _strip_inline_boilerplate(clean_text(unescape_entities(text))).splitlines():
        line = raw.strip()
        if line and not _is_boilerplate_line(line):
            kept.append(line)
    return kept


# --- date / byline lines -------------------------------------------------------------

_TIME = re.compile(r"(?<!\d)\d{1,2}\s*[:hg]\s*\d{2}(?::\d{2})?(?!\d)\s*(?:AM|PM|SA|CH)?", re.IGNORECASE)
_GMT = re.compile(r"\(?\s*(?:GMT|UTC)\s*(?:[+-]\s*\d{1,2}(?::?\d{2})?)?\s*\)?", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật|CN)\b", re.IGNORECASE)
_DATE_FILLER = re.compile(
    r"\b(?:cập\s+nhật|ngày\s+đăng|đăng\s+lúc|đăng\s+ngày|đăng|xuất\s+bản|lúc|ngày|giờ)\b",
    re.IGNORECASE,
)
_EDGE_PUNCT = " \t,;:|-–—/()[]."


def _date_tokens_removed(line: str) -> tuple[str, bool, bool]:
    """Strip dates, times, weekdays and filler words from a line.

    Returns ``(remainder, had_date, had_time)``; ``had_date`` counts year-less
    dates too (``18/12``), since those still make a line a date line.
    """
    rest, n_dates = strip_dates(line)
    rest, n_time = _TIME.subn(" ", rest)
    had_date = n_dates > 0
    for pattern in (_GMT, _WEEKDAY, _DATE_FILLER):
        rest = pattern.sub(" ", rest)
    rest = " ".join(part.strip(_EDGE_PUNCT) for part in rest.split())
    return " ".join(rest.split()).strip(_EDGE_PUNCT), had_date, n_time > 0


_NAME_WORD = re.compile(r"\(?[^\W\d_][^\W\d_.]*(?:\.[^\W\d_]+)*\.?\)?")
_NAME_SEPARATORS = {"-", "–", "—", "/"}
_NOT_A_NAME_START = {"ảnh", "video", "clip", "nguồn", "theo", "tin", "bài", "xem", "đọc", "trang"}


def _is_name(text: str) -> bool:
    """A byline: 1–4 capitalised words, no digits, no final punctuation.

    ``"Duy Khánh"``, ``"PV"``, ``"Minh Anh - TTXVN"`` pass; a sentence does not.
    """
    if not text or len(text) > 40 or text[-1] in ".,;:!?…":
        return False
    words = [w for w in text.split() if w not in _NAME_SEPARATORS]
    if not 1 <= len(words) <= 4 or words[0].lower().strip("(") in _NOT_A_NAME_START:
        return False
    return all(_NAME_WORD.fullmatch(w) and w.lstrip("(")[0].isupper() for w in words)


@dataclass(frozen=True)
class _DateLine:
    """What a date or byline line says."""

    date: _dt.date | None
    author: str | None


def _read_date_line(line: str) -> _DateLine | None:
    """Read a header line that only states a date (and maybe a byline).

    ``"30/06/2022"``, ``"Cập nhật lúc18:19, Thứ Ba, 05/04/2022 (GMT+7)"`` and
    ``"Linh Lan 13:12, 29/12/2022"`` are date lines; a sentence that mentions
    a date is not.  A name is taken as the author only when it opens a line
    that also gives a time, so a place ("Hà Nội, 05/04/2022") is not.
    """
    if len(line) > 100:
        return None
    rest, had_date, had_time = _date_tokens_removed(line)
    if not had_date:
        return None
    if not rest:
        return _DateLine(parse_date(line), None)
    if had_time and _is_name(rest) and line.startswith(rest.split()[0]):
        return _DateLine(parse_date(line), rest)
    return None


# --- source / url lines -------------------------------------------------------------

_SOURCE_LINE = re.compile(r"\(?\s*(?P<kw>Theo|THEO|Nguồn|NGUỒN)(?P<colon>\s*[:：]\s*|\s+)(?P<src>.+?)\s*\)?\s*\.?")
_URL_LINE = re.compile(
    r"(?:(?:Nguồn|Link|URL|Source)\s*[:：]\s*)?(?P<url>(?:https?://|www\.)\S+?)[.)]?",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.IGNORECASE)


def _host(url: str) -> str:
    """The host name of a URL, without ``www.``."""
    host = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).split("/")[0]
    return host[4:] if host.lower().startswith("www.") else host


def _read_url_line(line: str) -> str | None:
    """The URL when the whole line is one (optionally after ``Nguồn:``/``Link:``)."""
    m = _URL_LINE.fullmatch(line)
    return m.group("url") if m else None


def _read_source_line(line: str, strict: bool = False) -> str | None:
    """``"Theo dangcongsan.vn"`` → ``"dangcongsan.vn"``; ``"Nguồn: TTXVN"`` → ``"TTXVN"``.

    Only a short name or a domain counts, so "Theo báo cáo, 6 tháng…" and
    "Theo dõi chúng tôi" are not sources.  ``strict`` (used in the header,
    where a headline may start with "Theo") accepts only "Nguồn: X".
    """
    if len(line) > 80:
        return None
    m = _SOURCE_LINE.fullmatch(line)
    if not m:
        return None
    if strict and not (m.group("kw").lower() == "nguồn" and ":" in m.group("colon").replace("：", ":")):
        return None
    src = m.group("src").strip(_EDGE_PUNCT + " ")
    if not src or len(src.split()) > 8 or re.search(r"[,;!?]", src):
        return None
    if _DOMAIN.fullmatch(src) or (src[0].isupper() and _has_words(src)):
        return src
    return None


# --- consecutive duplicates -----------------------------------------------------------


_TRAILING = " \t.,;:!?…-–—/|*"


@dataclass(frozen=True)
class _LineKey:
    """What two neighbouring lines are compared on."""

    text: str  # case-folded, trailing punctuation and spaces trimmed
    has_letters: bool

    @classmethod
    def of(cls, line: str) -> _LineKey:
        text = line.rstrip(_TRAILING).casefold()
        return cls(text, any(c.isalpha() for c in text))


_DIGITS = re.compile(r"\d+")


def _close_words(a: str, b: str) -> bool:
    """One stretch of words is a variant of the other (typo, added detail).

    ``"5/5,"`` / ``"5/5/2006,"`` and ``"qủa"`` / ``"quả"`` are; two different
    names (``"Hoa Mai"`` / ``"Cung Đình"``) or times (``"18g00"`` / ``"19g30"``)
    are not.
    """
    fa, fb = fold(a), fold(b)
    if fa in fb or fb in fa:
        return True
    if _DIGITS.findall(fa) != _DIGITS.findall(fb):
        return False  # "(4)(11/04/2005)" and "(3)(08/04/2005)" are two items
    return SequenceMatcher(None, fa, fb, autojunk=False).ratio() >= 0.8


def _similar_words(a: list[str], b: list[str]) -> bool:
    """The second word sequence is the first one, lightly edited.

    The difflib ratio must be at least :data:`NEAR_DUPLICATE_RATIO`, the edits
    few (one for a short line, one per :data:`WORDS_PER_EDIT` words for a
    paragraph) and every replaced stretch a close variant
    (:func:`_close_words`), so two list items that differ only in a name or a
    figure are both kept.
    """
    total = len(a) + len(b)
    if 2 * min(len(a), len(b)) / total < NEAR_DUPLICATE_RATIO:
        return False
    # An upper bound of difflib's quick_ratio, cheaper than building the matcher
    # (most neighbouring paragraphs are unrelated): no word of ``a`` that ``b``
    # lacks can be matched, so at most len(a) - missing words match.
    in_b = set(b)
    missing = sum(1 for w in a if w not in in_b)
    if 2 * (len(a) - missing) / total < NEAR_DUPLICATE_RATIO:
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if not (
        matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO
        and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
        and matcher.ratio() >= NEAR_DUPLICATE_RATIO
    ):
        return False
    edits = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if len(edits) > max(1, max(len(a), len(b)) // WORDS_PER_EDIT):
        return False  # "- Hiệu số bàn thắng thua…" / "- Số bàn thắng…": two list items
    return all(_close_words(" ".join(a[i1:i2]), " ".join(b[j1:j2])) for op, i1, i2, j1, j2 in edits if op == "replace")


def _same_line(a: _LineKey, b: _LineKey) -> bool:
    """True when ``b`` repeats ``a``.

    Identical once trailing punctuation, spaces and case are ignored
    ("Toàn cảnh hội nghị" / "Toàn cảnh hội nghị."), or near-identical: a
    difflib ratio ≥ 0.9 over their words (a caption whose second copy gained
    a word).  Lines without a letter (table cells such as "13") never match,
    so figures that happen to repeat are kept.
    """
    if not (a.has_letters and b.has_letters):
        return False
    if a.text == b.text:
        return True
    shorter, longer = sorted((len(a.text), len(b.text)))
    if shorter < 0.75 * longer:  # cheap bound before any word comparison
        return False
    return _similar_words(a.text.split(), b.text.split())


def _near_duplicates(a: str, b: str) -> bool:
    """:func:`_same_line` for two plain strings."""
    return _same_line(_LineKey.of(a), _LineKey.of(b))


def collapse_repeats(lines: list[str]) -> list[str]:
    """Drop a line that repeats the line before it, keeping the longer copy.

    Catches a photo caption printed twice, a caption and its corrected copy,
    and a lead paragraph pasted twice.  Only neighbours are compared.
    """
    kept: list[str] = []
    last: _LineKey | None = None
    for line in lines:
        key = _LineKey.of(line)
        if last is not None and _same_line(last, key):
            if len(line) >= len(kept[-1]):
                kept[-1], last = line, key
            continue
        kept.append(line)
        last = key
    return kept


def clean_body(text: str) -> str:
    """The light clean-up: display layer, boilerplate lines out, repeats collapsed.

    Paragraphs (non-empty lines) are joined by a blank line.  The writer's
    spelling is kept as it is.
    """
    return "\n\n".join(collapse_repeats(_content_lines(text)))


# --- .txt: header and footer ---------------------------------------------------------


@dataclass
class _Meta:
    """Metadata collected while reading a portal text."""

    title: str = ""
    date: _dt.date | None = None
    date_source: str | None = None  # one of DATE_SOURCES once ``date`` is set
    author: str | None = None
    source: str | None = None
    url: str | None = None
    source_is_host: bool = False  # ``source`` was only guessed from ``url``

    def add_date(self, date: _dt.date | None, source: str) -> None:
        """Keep the first date found, with where it was read."""
        if self.date is None and date is not None:
            self.date, self.date_source = date, source

    def add_date_line(self, line: _DateLine, in_header: bool) -> None:
        """Take a date line's date and author; a byline's date is a ``"byline"`` date."""
        self.add_date(line.date, "header" if in_header and line.author is None else "byline")
        self.author = self.author or line.author

    def add_url(self, url: str) -> None:
        """Keep the first URL; its host stands in for a source until one is named."""
        self.url = self.url or url
        if self.source is None:
            self.source, self.source_is_host = _host(url), True

    def add_source(self, source: str) -> None:
        """Keep the first named source (it beats a host taken from a URL)."""
        if self.source is None or self.source_is_host:
            self.source, self.source_is_host = source, False


def _take_meta_line(line: str, meta: _Meta) -> bool:
    """Record a date / byline / source / URL line; False when it is none of those."""
    date_line = _read_date_line(line)
    if date_line is not None:
        meta.add_date_line(date_line, in_header=True)
        return True
    url = _read_url_line(line)
    if url is not None:
        meta.add_url(url)
        return True
    source = _read_source_line(line, strict=True)
    if source is not None:
        meta.add_source(source)
        return True
    return False


def _read_header(lines: list[str], meta: _Meta) -> int:
    """Take the title and the metadata lines around it; return where the body starts.

    The header is the leading run of date, byline, source and URL lines with
    the title (the first other line) among them.  It ends at the first line
    after the title that is not metadata.
    """
    i = 0
    while i < len(lines):
        line = lines[i]
        if _take_meta_line(line, meta):
            i += 1
        elif meta.title or len(line) > MAX_TITLE_CHARS:
            break
        else:
            meta.title = line
            i += 1
    return i


def _read_footer(lines: list[str], start: int, meta: _Meta) -> int:
    """Take author, source and URL lines from the end; return where the body ends.

    At most :data:`MAX_FOOTER_LINES` lines are taken and the first body line
    is never taken, so a footer cannot swallow the article.
    """
    end = len(lines)
    while end - 1 > start and len(lines) - end < MAX_FOOTER_LINES:
        line = lines[end - 1]
        url = _read_url_line(line)
        source = None if url else _read_source_line(line)
        date_line = None if url or source else _read_date_line(line)
        if url:
            meta.add_url(url)
        elif source:
            meta.add_source(source)
        elif date_line and meta.date is None and date_line.date is not None:
            meta.add_date_line(date_line, in_header=False)
        elif meta.author is None and _is_name(line):
            meta.author = line
        else:
            break
        end -= 1
    return end


def _fallback_title(lead: str, limit: int = 100) -> str:
    """A title cut from the lead paragraph when the text has no headline."""
    if len(lead) <= limit:
        return lead
    cut = lead[:limit].rsplit(" ", 1)[0].rstrip(_EDGE_PUNCT + " ")
    return cut + "…"


def _parse_portal_text(text: str) -> tuple[_Meta, list[str]]:
    """Split raw portal text into metadata and body paragraphs."""
    lines = _content_lines(text)
    meta = _Meta()
    start = _read_header(lines, meta)
    end = _read_footer(lines, start, meta)
    body = lines[start:end]
    if meta.title and body and _near_duplicates(meta.title, body[0]):
        body = body[1:]  # the headline printed again as the first line
    body = collapse_repeats(body)
    if not meta.title and body:
        meta.title = _fallback_title(body[0])
    elif meta.title and not body:
        body = [meta.title]  # a one-line bulletin: its headline is its text
    meta.add_date(_lead_date(body), "text")
    return meta, body


# --- decoding ------------------------------------------------------------------------


_SAVE_AS_UTF8 = "save it as UTF-8"


def _decode(data: bytes) -> str:
    """Decode UTF-8 (a BOM is allowed); raise ``ValueError`` with a short reason."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(f"not UTF-8 (UTF-16 byte-order mark): {_SAVE_AS_UTF8}")
    if b"\x00" in data:
        raise ValueError("binary file (NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}): {_SAVE_AS_UTF8}") from None
    return text[1:] if text.startswith("\ufeff") else text


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with POSIX separators (or as given if outside)."""
    try:
        pairs = [(path.absolute(), root.absolute()), (path.resolve(), root.resolve())]
    except (OSError, RuntimeError):  # a looping link cannot be resolved
        pairs = [(path.absolute(), root.absolute())]
    for p, r in pairs:
        try:
            return p.relative_to(r).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _txt_id(rel: str) -> str:
    """The id of a text file: its relative path without the ``.txt`` suffix."""
    return rel[: -len(".txt")] if rel.lower().endswith(".txt") else rel


# --- .txt ----------------------------------------------------------------------------


def cap_body(body: str, raw_chars: int, where: str, limit: int | None = None) -> tuple[str, tuple[str, ...]]:
    """``body`` cut to ``limit`` (default :data:`MAX_BODY_CHARS`) characters at a
    space, and the warning that says so (none when nothing was cut)."""
    limit = MAX_BODY_CHARS if limit is None else limit
    if len(body) <= limit and raw_chars <= _MAX_RAW_CHARS:
        return body, ()
    if len(body) > limit:
        cut = body.rfind(" ", limit // 2, limit)
        body = body[: cut if cut > 0 else limit].rstrip()
    return body, (
        f"{where}: longer than {limit:,} characters ({raw_chars:,} as written); "
        "only the first part is indexed and shown",
    )


def read_txt(path: Path, root: Path) -> Bulletin:
    """Read one raw portal ``.txt`` file into a :class:`Bulletin`.

    Raises :class:`BadDocument` for a file that is empty, binary (NUL bytes),
    not UTF-8, unreadable, or has nothing left once boilerplate is removed.
    """
    path, root = Path(path), Path(root)
    rel = _relative(path, root)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BadDocument(rel, f"cannot read ({e.strerror or e.__class__.__name__})") from None
    if not data:
        raise BadDocument(rel, "empty file")
    try:
        text = _decode(data)
    except ValueError as e:
        raise BadDocument(rel, str(e)) from None
    if not clean_text(text[:_MAX_RAW_CHARS]).strip():
        raise BadDocument(rel, "empty file (only whitespace)")
    meta, body = _parse_portal_text(text[:_MAX_RAW_CHARS])
    if not body:
        raise BadDocument(rel, "nothing left after clean-up (only portal boilerplate or metadata)")
    text_body, cut = cap_body("\n\n".join(body), len(text), rel)
    return Bulletin(
        id=_txt_id(rel),
        title=meta.title,
        body=text_body,
        date=meta.date,
        author=meta.author,
        source=meta.source,
        url=meta.url,
        path=rel,
        hash=_sha1(data),
        date_source=meta.date_source,
        warnings=cut,
    )


# --- .jsonl --------------------------------------------------------------------------


def _optional_text(value: object) -> str | None:
    """A metadata value as a cleaned string; empty, null or a container → ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = " ".join(clean_text(unescape_entities(value)).split())
    return value or None


def _record_id(value: object) -> str | None:
    """The record's id as a string; ``None`` when missing, empty or not a scalar."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text or None


def _shown(value: object, limit: int = 40) -> str:
    """A record value as it may appear in a one-line warning."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


@dataclass(frozen=True)
class _RecordDate:
    """What a record's ``date`` field gives: the date, its source, any warning."""

    date: _dt.date | None = None
    source: str | None = None
    warnings: tuple[str, ...] = ()


def _record_date(value: object, where: str, rid: str, paragraphs: list[str]) -> _RecordDate:
    """The record's date: its ``date`` field, else the lead of its body.

    A missing, ``null`` or blank ``date`` lets the lead give a ``"text"`` date.
    A value that :func:`~searcher.dates.read_record_date` cannot read leaves
    the record undated (no guess from the text) with one warning naming it.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        date = _lead_date(paragraphs)
        return _RecordDate(date, "text" if date else None)
    date = read_record_date(value)
    if date is not None:
        return _RecordDate(date, "record")
    return _RecordDate(warnings=(f"{where}: date {_shown(value)} not understood (record '{rid}'); indexed undated",))


def _record_to_bulletin(record: object, n: int, where: str, raw: bytes) -> Bulletin:
    """Check one decoded JSON value and turn it into a bulletin (or raise BadDocument)."""
    if not isinstance(record, dict):
        raise BadDocument(where, f"line {n}: not a JSON object")
    rid = _record_id(record.get("id"))
    if rid is None:
        raise BadDocument(where, f"line {n}: no id")
    if strip_controls(rid) != rid:
        raise BadDocument(where, f"line {n}: the id holds control characters; give the record a printable id")
    body_value = record.get("body")
    if not isinstance(body_value, str):
        raise BadDocument(where, f"line {n}: no body (record '{rid}')")
    body, cut = cap_body(clean_body(body_value[:_MAX_RAW_CHARS]), len(body_value), f"{where} (record '{rid}')")
    if not body:
        raise BadDocument(where, f"line {n}: empty body (record '{rid}')")
    title_value = record.get("title")
    title = ""
    if isinstance(title_value, str):
        title = " ".join(_strip_inline_boilerplate(clean_text(unescape_entities(title_value))).split())
    dated = _record_date(record.get("date"), where, rid, body.split("\n\n"))
    return Bulletin(
        id=rid,
        title=title,
        body=body,
        date=dated.date,
        author=_optional_text(record.get("author")),
        source=_optional_text(record.get("source")),
        url=_optional_text(record.get("url")),
        path=where,
        hash=_sha1(raw),
        date_source=dated.source,
        warnings=dated.warnings + cut,
    )


def _read_jsonl_line(raw: bytes, n: int, where: str) -> Bulletin:
    """Decode, parse and check one stripped JSON line."""
    if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadDocument(
            where, f"line {n}: not UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}): {_SAVE_AS_UTF8}"
        ) from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadDocument(where, f"line {n}: invalid JSON ({e.msg}, column {e.colno})") from None
    except RecursionError:
        raise BadDocument(where, f"line {n}: invalid JSON (nested too deeply)") from None
    return _record_to_bulletin(record, n, where, raw)


def iter_jsonl(path: Path, root: Path) -> Iterator[Bulletin | BadDocument]:
    """Yield a :class:`Bulletin` per good line and a :class:`BadDocument` per bad one.

    Blank lines are skipped.  A bad line (not UTF-8, not JSON, not an object,
    no id, no or empty body) does not stop the file.  A file that cannot be
    opened yields one ``BadDocument`` for the file itself.
    """
    path, root = Path(path), Path(root)
    rel = _relative(path, root)
    try:
        handle = path.open("rb")
    except OSError as e:
        yield BadDocument(rel, f"cannot read ({e.strerror or e.__class__.__name__})")
        return
    with handle:
        for n, line in enumerate(handle, start=1):
            raw = line.strip()
            if not raw or (n == 1 and raw == b"\xef\xbb\xbf"):
                continue
            try:
                yield _read_jsonl_line(raw, n, f"{rel}:{n}")
            except BadDocument as bad:
                yield bad


# --- the corpus folder ---------------------------------------------------------------


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _corpus_files(root: Path, follow_symlinks: bool = False) -> list[tuple[str, Path] | BadDocument]:
    """Every non-hidden ``.txt`` and ``.jsonl`` file under ``root``, by relative path.

    Symbolic links are read only when they point to a regular file inside the
    corpus folder, unless ``follow_symlinks``; a link out of the corpus, a
    broken or looping link, a folder that cannot be listed and anything that
    is not a regular file (a FIFO would block the job) come out as
    :class:`BadDocument` values saying why.  With ``follow_symlinks``, linked
    folders are walked too, each real folder once (no loops).
    """
    real_root = root.resolve()
    found: list[tuple[str, Path] | BadDocument] = []
    unreadable: list[OSError] = []
    seen_dirs: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(root, onerror=unreadable.append, followlinks=follow_symlinks):
        if follow_symlinks:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen_dirs:
                dirs[:] = []
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
        for name in files:
            if _is_hidden(name) or not name.lower().endswith((".txt", ".jsonl")):
                continue
            if name == ABBREVIATIONS_FILE and Path(folder) == root:
                continue  # the archive's abbreviation table, not a bulletin
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            problem = _not_readable_file(path, real_root, follow_symlinks)
            if not is_encodable(rel):  # bytes the file system's encoding cannot decode
                try:  # the file system's bytes back (POSIX), each bad one shown as U+FFFD
                    shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                except UnicodeEncodeError:  # a lone surrogate of a UTF-16 name
                    shown = rel.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                rel, problem = printable(shown), "the file name is not valid UTF-8: rename the file"
            elif strip_controls(rel) != rel:
                rel, problem = printable(rel), "the file name holds control characters: rename the file"
            found.append(BadDocument(rel, problem) if problem else (rel, path))
    for err in unreadable:
        where = Path(err.filename).relative_to(root).as_posix() if err.filename else str(root)
        found.append(BadDocument(where + "/", f"folder cannot be read ({err.strerror or err.__class__.__name__})"))
    return sorted(found, key=lambda item: item.path if isinstance(item, BadDocument) else item[0])


def _not_readable_file(path: Path, real_root: Path, follow_symlinks: bool) -> str | None:
    """Why ``path`` is not read as a corpus file, or None when it is."""
    try:
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except RuntimeError:
                return "symbolic link loop"
            except OSError:
                return "broken symbolic link"
            if not follow_symlinks and not target.is_relative_to(real_root):
                return "symbolic link to a file outside the corpus: not followed (pass --follow-symlinks to read it)"
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"cannot read ({e.strerror or e.__class__.__name__})"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


def _read_file(rel: str, path: Path, root: Path) -> Iterator[Bulletin | BadDocument]:
    """The bulletins (or bad documents) one corpus file holds."""
    if rel.lower().endswith(".jsonl"):
        yield from iter_jsonl(path, root)
        return
    try:
        yield read_txt(path, root)
    except BadDocument as bad:
        yield bad


def _unique(items: Iterator[Bulletin | BadDocument]) -> Iterator[Bulletin | BadDocument]:
    """Pass items through, turning a repeated id into a BadDocument (first one wins)."""
    first_seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, Bulletin):
            if item.id in first_seen:
                item = BadDocument(item.path, f"duplicate id '{item.id}' (first seen in {first_seen[item.id]})")
            else:
                first_seen[item.id] = item.path
        yield item


def _scan(root: Path, follow_symlinks: bool = False) -> Iterator[Bulletin | BadDocument]:
    for item in _corpus_files(root, follow_symlinks):
        if isinstance(item, BadDocument):
            yield item
        else:
            yield from _read_file(item[0], item[1], root)


def scan_corpus(root: str | Path, *, follow_symlinks: bool = False) -> Iterator[Bulletin | BadDocument]:
    """Every bulletin under ``root``, recursively, in the order of relative paths.

    Reads ``**/*.txt`` and ``**/*.jsonl``; hidden files and folders are
    skipped.  Bad files and records come out as :class:`BadDocument` values,
    and so does any bulletin whose id was already seen.  Raises
    :class:`CorpusError` at once when ``root`` is missing, not a folder or
    cannot be read.  Symbolic links out of the corpus are not followed unless
    ``follow_symlinks`` (see :func:`_corpus_files`).
    """
    root = Path(root)
    check_corpus_folder(root)
    return _unique(_scan(root, follow_symlinks))


def check_corpus_folder(root: Path) -> None:
    """Raise :class:`CorpusError` unless ``root`` is a folder this process can list."""
    if not root.exists():
        raise CorpusError(f"corpus folder '{root}' does not exist: create it or pass --corpus DIR")
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' is not a directory: pass --corpus DIR")
    try:
        with os.scandir(root):
            pass
    except OSError as e:
        raise CorpusError(
            f"corpus folder '{root}' cannot be read ({e.strerror or e.__class__.__name__}): "
            "fix its permissions or pass --corpus DIR"
        ) from None
