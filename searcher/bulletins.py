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
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Iterator

from .errors import BadDocument, CorpusError
from .normalise import SYLLABLE_RE, clean_text, fold, unescape_entities

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


# --- the record ----------------------------------------------------------------


@dataclass(frozen=True)
class Bulletin:
    """One cleaned bulletin, ready to be indexed.

    ``id`` is the path relative to the corpus root without ``.txt`` (POSIX
    separators) for a text file, or the record's ``id`` for a JSON line.
    ``path`` says where it came from (``"000_x.txt"`` or ``"bulk.jsonl:17"``)
    and ``hash`` is the SHA-1 of the raw bytes that define it.
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

    def to_dict(self) -> dict:
        """A JSON-ready dict (the date as an ISO string)."""
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        return d


# --- dates -------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(?<![\d/.\-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_DMY_DATE = re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?!\d)")
_VI_DATE = re.compile(
    r"\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:,\s*)?năm\s+(\d{4})(?!\d)",
    re.IGNORECASE,
)
# "18/12 năm 2020": day/month and year stated together, so the year is certain.
_DM_YEAR_DATE = re.compile(
    r"(?<![\d/.\-])(\d{1,2})[/\-](\d{1,2})\s+năm\s+(\d{4})(?!\d)", re.IGNORECASE
)
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _make_date(year: str, month: str, day: str) -> _dt.date | None:
    """A valid calendar date, or ``None`` (no 31/02, no year 0042)."""
    y, m, d = int(year), int(month), int(day)
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _date_candidates(text: str) -> Iterator[tuple[int, _dt.date | None]]:
    """Yield ``(position, date or None)`` for every full date written in ``text``."""
    for m in _ISO_DATE.finditer(text):
        yield m.start(), _make_date(m.group(1), m.group(3), m.group(4))
    for m in _DMY_DATE.finditer(text):
        yield m.start(), _make_date(m.group(4), m.group(3), m.group(1))
    for m in _VI_DATE.finditer(text):
        yield m.start(), _make_date(m.group(3), m.group(2), m.group(1))
    for m in _DM_YEAR_DATE.finditer(text):
        yield m.start(), _make_date(m.group(3), m.group(2), m.group(1))


def parse_date(text: str) -> _dt.date | None:
    """The first valid full date written in ``text``, or ``None``.

    Understands ISO (``2022-04-05``, with or without a time after it),
    ``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy``, ``ngày 5 tháng 4 năm 2022``
    and ``18/12 năm 2020``.  A day and month without a year (``Ngày 18/12``)
    give ``None``: a wrong date is worse than none.  Impossible dates
    (``31/02/2022``) are skipped.
    """
    if not text:
        return None
    found = sorted(
        ((pos, d) for pos, d in _date_candidates(text) if d is not None),
        key=lambda item: item[0],
    )
    return found[0][1] if found else None


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
    return _TOOLBAR_PHRASE.sub("", _PORTAL_MARKER.sub("", text))


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
_PARTIAL_DATE = re.compile(r"(?<![\d/.\-])\d{1,2}[/\-.]\d{1,2}(?![\d/.\-]*\d)")
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
    had_date = False
    rest = line
    for pattern in (_ISO_DATE, _DMY_DATE, _VI_DATE, _DM_YEAR_DATE):
        rest, n = pattern.subn(" ", rest)
        had_date = had_date or n > 0
    rest, n_time = _TIME.subn(" ", rest)
    rest, n_partial = _PARTIAL_DATE.subn(" ", rest)
    had_date = had_date or n_partial > 0
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

_SOURCE_LINE = re.compile(
    r"\(?\s*(?P<kw>Theo|THEO|Nguồn|NGUỒN)(?P<colon>\s*[:：]\s*|\s+)(?P<src>.+?)\s*\)?\s*\.?"
)
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
    def of(cls, line: str) -> "_LineKey":
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
    return all(
        _close_words(" ".join(a[i1:i2]), " ".join(b[j1:j2]))
        for op, i1, i2, j1, j2 in edits
        if op == "replace"
    )


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
    author: str | None = None
    source: str | None = None
    url: str | None = None
    source_is_host: bool = False  # ``source`` was only guessed from ``url``

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
        meta.date = meta.date or date_line.date
        meta.author = meta.author or date_line.author
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
            meta.date = date_line.date
            meta.author = meta.author or date_line.author
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
    return meta, body


# --- decoding ------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """Decode UTF-8 (a BOM is allowed); raise ``ValueError`` with a short reason."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("not UTF-8 (UTF-16 byte-order mark)")
    if b"\x00" in data:
        raise ValueError("binary file (NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with POSIX separators (or as given if outside)."""
    for p, r in ((path.absolute(), root.absolute()), (path.resolve(), root.resolve())):
        try:
            return p.relative_to(r).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _txt_id(rel: str) -> str:
    """The id of a text file: its relative path without the ``.txt`` suffix."""
    return rel[: -len(".txt")] if rel.lower().endswith(".txt") else rel


# --- .txt ----------------------------------------------------------------------------


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
    if not clean_text(text).strip():
        raise BadDocument(rel, "empty file (only whitespace)")
    meta, body = _parse_portal_text(text)
    if not body:
        raise BadDocument(rel, "nothing left after clean-up (only portal boilerplate or metadata)")
    return Bulletin(
        id=_txt_id(rel),
        title=meta.title,
        body="\n\n".join(body),
        date=meta.date,
        author=meta.author,
        source=meta.source,
        url=meta.url,
        path=rel,
        hash=_sha1(data),
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


def _record_date(value: object) -> _dt.date | None:
    """The ``date`` field parsed with :func:`parse_date`; anything invalid → ``None``."""
    return parse_date(value) if isinstance(value, str) else None


def _record_to_bulletin(record: object, n: int, where: str, raw: bytes) -> Bulletin:
    """Check one decoded JSON value and turn it into a bulletin (or raise BadDocument)."""
    if not isinstance(record, dict):
        raise BadDocument(where, f"line {n}: not a JSON object")
    rid = _record_id(record.get("id"))
    if rid is None:
        raise BadDocument(where, f"line {n}: no id")
    body_value = record.get("body")
    if not isinstance(body_value, str):
        raise BadDocument(where, f"line {n}: no body (record '{rid}')")
    body = clean_body(body_value)
    if not body:
        raise BadDocument(where, f"line {n}: empty body (record '{rid}')")
    title_value = record.get("title")
    title = ""
    if isinstance(title_value, str):
        title = " ".join(_strip_inline_boilerplate(clean_text(unescape_entities(title_value))).split())
    return Bulletin(
        id=rid,
        title=title,
        body=body,
        date=_record_date(record.get("date")),
        author=_optional_text(record.get("author")),
        source=_optional_text(record.get("source")),
        url=_optional_text(record.get("url")),
        path=where,
        hash=_sha1(raw),
    )


def _read_jsonl_line(raw: bytes, n: int, where: str) -> Bulletin:
    """Decode, parse and check one stripped JSON line."""
    if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadDocument(where, f"line {n}: not UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start})") from None
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


def _corpus_files(root: Path) -> list[tuple[str, Path]]:
    """Every non-hidden ``.txt`` and ``.jsonl`` file under ``root``, by relative path."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not _is_hidden(d)]
        for name in files:
            if _is_hidden(name) or not name.lower().endswith((".txt", ".jsonl")):
                continue
            path = Path(folder, name)
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found, key=lambda item: item[0])


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


def _scan(root: Path) -> Iterator[Bulletin | BadDocument]:
    for rel, path in _corpus_files(root):
        yield from _read_file(rel, path, root)


def scan_corpus(root: str | Path) -> Iterator[Bulletin | BadDocument]:
    """Every bulletin under ``root``, recursively, in the order of relative paths.

    Reads ``**/*.txt`` and ``**/*.jsonl``; hidden files and folders are
    skipped.  Bad files and records come out as :class:`BadDocument` values,
    and so does any bulletin whose id was already seen.  Raises
    :class:`CorpusError` at once when ``root`` is missing or not a folder.
    """
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"corpus folder '{root}' does not exist: create it or pass --corpus DIR")
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' is not a directory: pass --corpus DIR")
    return _unique(_scan(root))
