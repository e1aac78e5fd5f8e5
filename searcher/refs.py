"""References to Party and State documents as first-class terms.

``find_refs(text)`` finds every reference such as "Kết luận số 21-KL/TW",
"Kết Luận số 21- KL/TW", "KL 21", "21-KL/TW", "Nghị định 15/2008/NĐ-CP",
"Nghị quyết Trung ương 5 (khóa XIII)" or "Nghị quyết Đại hội XIII", and
returns each as a :class:`Ref` with an exact span into the text and canonical
keys (``kl:21``, ``kl:21/tw``, ``nq:tw5-xiii`` ...).  Documents and queries go
through the same function, so "ket luan 21" typed by a user and "Kết luận số
21-KL/TW" written in a bulletin share the key ``kl:21``.

How it works
------------
The text is folded one character to one character (lower case, diacritics
stripped, ``đ`` → ``d``; :func:`fold_same_length`), so one set of ASCII
patterns serves every spelling and a match's offsets are offsets into the
original text.  A type word (full name or abbreviation) must be followed by a
number, optionally after "số" or a qualifier ("liên tịch", "hướng dẫn");
the number is then vetted:

* a **symbol** written after the number ("-KL/TW", "/2008/NĐ-CP", "/2004")
  makes it a reference whatever follows;
* otherwise it is rejected when it is a decimal, a percentage, a range, a
  fraction or date ("21-1-2022", "7/11"), a year (1900-2100), or a count — the
  next word is a unit or counted noun ("5 năm", "21 đảng viên", "2 hình
  thức"; but "Quyết định 249 năm 2005" is the year of issue).  "số" before
  the number marks a reference, so only the first kinds of rejection apply.

A type word written with diacritics must carry the right ones: "đình chỉ thi
2 giám thị" and "thông từ" are not "chỉ thị" / "thông tư".  Text written with
no diacritics at all ("nghi quyet 39") is accepted.  Abbreviations must be all
capitals or all lower case, and "KH 4419 TS" (a boat) is not Kế hoạch 4419.

Choices
-------
* **Span**: type word through the number and symbol ("Kết Luận số 21- KL/TW").
  A following "của <body>" is *not* part of the span.  For session references
  the "(khóa XIII)" is part of the span, because it identifies the document.
* **Body**: for numbered references, the issuing body written after "của"
  (optionally after "ngày <date>"), as written, with its "khóa" if any: "Ban
  Chấp hành Trung ương Đảng khóa XIII", "Bộ Chính trị", "Chính phủ"; only
  central Party and State bodies and Party committees are recognised.  For
  session references, the canonical ``"khóa XIII"`` ("khoá 8" → "khóa VIII").
  Bodies never enter the keys except the "khóa" of a session reference.
* **Keys**: base key ``code:number`` first, then one more specific key when a
  symbol is written.  A Party-style symbol "21-KL/TW" (the type's own
  abbreviation, then "/", then the issuing organ) drops the abbreviation:
  ``kl:21/tw``, ``qdi:46/tw``; a State-style symbol keeps everything:
  ``nd:15/2008/nd-cp``, ``qd:187/qd-ttg``, ``qd:57/2004``.
* A bare symbol without a type word ("39-NQ/TW", "15/2008/NĐ-CP") takes its
  type from the abbreviation; "QĐ" is read as Quyết định (``qd``).
* Sessions: "Nghị quyết [Hội nghị] Trung ương 5", "Nghị quyết T.Ư 5",
  "Nghị quyết Hội nghị Trung ương lần thứ năm", "Nghị quyết Hội nghị lần thứ 5
  Ban Chấp hành Trung ương" → ``nq:tw5`` (+ ``nq:tw5-xiii`` with the khóa).
  "Hội nghị Trung ương 5" alone names the meeting, not a document: no ref.
  "Nghị quyết Trung ương 6, Trung ương 7 khoá XII" gives ``nq:tw6`` and
  ``nq:tw7``, both with body "khóa XII" (the second span is "Trung ương 7
  khoá XII").  "Nghị quyết Đại hội XIII" → ``nq:dh-xiii``, but not when another
  organisation's congress follows ("Đại hội VIII Công đoàn TP").
* Lists after one type word ("Thông báo số 19 và 20", "Nghị định 171, 172")
  give one reference per number when each number has a symbol or is followed
  by a word that ends a reference ("của", "về", "ngày 12", punctuation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from .errors import QueryError
from .normalise import fold, norm_syllable

__all__ = ["REF_CODES", "Ref", "find_refs", "fold_same_length", "key_label", "key_type"]

#: code -> canonical type name.
REF_CODES: dict[str, str] = {
    "kl": "Kết luận",
    "nq": "Nghị quyết",
    "qdi": "Quy định",
    "qd": "Quyết định",
    "ct": "Chỉ thị",
    "kh": "Kế hoạch",
    "hd": "Hướng dẫn",
    "tb": "Thông báo",
    "tt": "Thông tư",
    "nd": "Nghị định",
    "luat": "Luật",
    "cv": "Công văn",
}

# Folded full type word (single spaces) -> code.
_FULL_WORDS: dict[str, str] = {fold(name): code for code, name in REF_CODES.items()}

# Abbreviation written before a number or inside a symbol -> code.
_ABBREVIATIONS: dict[str, str] = {
    "kl": "kl",
    "nq": "nq",
    "qd": "qd",
    "ct": "ct",
    "kh": "kh",
    "hd": "hd",
    "tb": "tb",
    "nd": "nd",
    "tt": "tt",
}

# The abbreviation each type uses inside its own symbols (stripped from keys).
_SYMBOL_ABBR: dict[str, str] = {
    "kl": "kl",
    "nq": "nq",
    "qdi": "qd",
    "qd": "qd",
    "ct": "ct",
    "kh": "kh",
    "hd": "hd",
    "tb": "tb",
    "tt": "tt",
    "nd": "nd",
    "cv": "cv",
}

# How folded symbol chunks are displayed in labels rebuilt from keys.
_CHUNK_DISPLAY: dict[str, str] = {"nd": "NĐ", "qd": "QĐ", "ttg": "TTg"}

# --- patterns (all run on folded text) ----------------------------------------

_S = r"[^\S\n]"  # inline white space (never crosses a line)
_E = r"(?![^\W_])"  # word end
_ROMAN = r"[ivxl]+"



def _alternation(words: list[str]) -> str:
    """A regex alternation of folded words, factored on the first letter (faster
    to scan than a flat alternation); spaces match any inline white space."""
    groups: dict[str, list[str]] = {}
    for w in sorted(words, key=len, reverse=True):
        groups.setdefault(w[0], []).append(w[1:].replace(" ", _S + "+"))
    return "(?:" + "|".join(f"{c}(?:{'|'.join(rest)})" for c, rest in groups.items()) + ")"


# No look-behind in front, so the regex engine can skip ahead quickly; the
# word-start test is done in code (see _at_word_start).
_TYPE_RE = re.compile(_alternation([*_FULL_WORDS, *_ABBREVIATIONS]) + _E)

# "số" (optional) and the number after a type word.
# May sit in between: the abbreviation in brackets ("Nghị định (NĐ) 117") and a
# qualifier ("Thông tư liên tịch số 10", "thông tư hướng dẫn số 19").
_NUMBER_RE = re.compile(
    rf"(?:{_S}*\((?:" + "|".join(_ABBREVIATIONS) + r")\))?"
    rf"(?:{_S}+(?P<qual>lien{_S}+tich|lien{_S}+bo|huong{_S}+dan){_E})?"
    rf"(?:{_S}+(?P<so>so)[:.]?)?{_S}+(?P<num>\d{{1,5}})(?!\d)"
)

# A symbol after a number: separator, then the symbol proper.
_SEP_RE = re.compile(rf"{_S}*([-–/]){_S}*")
_SYMBOL_BODY_RE = re.compile(  # "KL/TW", "2008/NĐ-CP", "QĐ-TTg", "2004QĐ-UB" (sic)
    rf"(?:(?:19|20)\d\d(?:{_S}*/{_S}*)?)?[a-z][a-z0-9]*(?:[-–/][a-z0-9]+)*{_E}"
)
_GLUED_SYMBOL_RE = re.compile(rf"[a-z]{{2,6}}(?:[-–/][a-z0-9]+)*{_E}")
# The issuer of a symbol written apart from it: "QĐ - UBND", "CT/ T.Ư", "QĐ - TTg".
_ISSUER_RE = re.compile(rf"{_S}*[-–/]{_S}*(?P<issuer>t\.u|[a-z][a-z0-9]{{1,7}}){_E}")
_SYMBOL_ABBREVIATIONS = {*_ABBREVIATIONS, "cv"}
_DIGITS_RE = re.compile(r"\d{1,5}(?!\d)")
_YEAR_RE = re.compile(rf"(?:19|20)\d\d{_E}")

# What may not follow a number that has no symbol.
_BAD_AFTER_RE = re.compile(
    rf"[.,]\d|{_S}*%|{_S}*phan{_S}+tram{_E}|{_S}*[-–/]{_S}*\d|[^\W\d_]"
    rf"|{_S}+(?:hoac|den|toi){_S}+\d"
)

# Units and counted nouns: "5 năm", "21 đảng viên", "2 hình thức" ... (folded).
# "ngày" is a unit only when no date follows ("28 ngày sau" vs "498 ngày 14-3").
_UNITS = (
    "nam, thang, tuan, gio, h, phut, giay, dem, nguoi, ca nhan, can bo, dang vien, "
    "thi sinh, hoc sinh, sinh vien, giao vien, hinh thuc, cap, lan, luot, trieu, "
    "ty, ti, nghin, ngan, tram, chuc, dong, usd, vnd, km, m, m2, ha, kg, tan, lit, "
    "chiec, xe, diem, muc, mon, loai, noi dung, nhom, van ban, vong, chuyen, tuoi, "
    "truong hop, vu, ho, don vi, du an, tinh, xa, phuong, huyen, dieu, khoan, "
    "chuong, buoc, tieu chi, chi tieu, nhiem vu, giai phap, muc tieu, linh vuc, "
    "van de, tang, phan, doanh nghiep, co so, cong ty, to chuc, bai, cau, trang, "
    "doan, dot, lop, phong, can, canh, cay, con, suat, khau, nhan vien, chien si, "
    "lao dong, thanh vien, hoi vien, nganh, dia phuong, quyet dinh, nghi quyet, "
    "chi thi, ke hoach, de an, chuong trinh, du thao, y kien, diem moi, bien phap, "
    "tieu chuan, doi tuong, hoc bong, chung"
).split(", ")
_UNIT_RE = re.compile(
    rf"{_S}+(?:ngay(?!{_S}*\d)|"
    + "|".join(u.replace(" ", _S + "+") for u in sorted(_UNITS, key=len, reverse=True))
    + rf"){_E}"
)

# "Quyết định 249 năm 2005": the year of issue, not a count of years (but
# "kế hoạch 5 năm 2006-2010" is a five-year plan).
_YEAR_OF_ISSUE_RE = re.compile(rf"{_S}+nam{_S}+(?:19|20)\d\d{_E}")

# Words that end a reference when a list continues after it.
_STRONG_END_RE = re.compile(
    rf"{_S}*(?:[,.;:)\]”\"]|\n|$)|{_S}+(?:cua|ve|ngay{_S}*\d|va|do|da|duoc){_E}"
)

# Issuing body after the reference: [, ngày <date>] của <body> [khóa <roman>].
_BODIES = [
    rf"(?:ban{_S}+chap{_S}+hanh|bch){_S}+(?:trung{_S}+uong|tw|t\.?u)(?:{_S}+dang)?",
    rf"bo{_S}+chinh{_S}+tri",
    rf"ban{_S}+bi{_S}+thu(?:{_S}+trung{_S}+uong(?:{_S}+dang)?)?",
    rf"thu{_S}+tuong(?:{_S}+chinh{_S}+phu)?",
    rf"van{_S}+phong{_S}+chinh{_S}+phu",
    rf"chinh{_S}+phu",
    rf"(?:uy{_S}+ban{_S}+thuong{_S}+vu|ubtv){_S}+quoc{_S}+hoi",
    rf"quoc{_S}+hoi",
    rf"hoi{_S}+nghi{_S}+trung{_S}+uong(?:{_S}+\d{{1,2}})?",
    rf"trung{_S}+uong(?:{_S}+dang)?",
    rf"(?:ban{_S}+thuong{_S}+vu{_S}+)?(?:tinh|thanh|huyen|quan|dang){_S}+uy",
]
_DATE = (
    rf"ngay{_S}+\d{{1,2}}(?:{_S}*[-–/.]{_S}*\d{{1,2}}(?:{_S}*[-–/.]{_S}*\d{{2,4}})?"
    rf"|{_S}+thang{_S}+\d{{1,2}}(?:{_S}+nam{_S}+\d{{4}})?)"
)
_KHOA = (  # "(khóa XIII)", ", khóa XII", "khoá 8"
    rf"{_S}*(?:(?P<open>\(){_S}*|,{_S}*)?khoa{_S}+(?P<roman>{_ROMAN}|\d{{1,2}}){_E}"
    rf"(?:{_S}*(?P<close>\)))?"
)
_KHOA_RE = re.compile(_KHOA)
_BODY_RE = re.compile(
    rf"{_S}*,?{_S}*(?:{_DATE}{_S}*,?{_S}*)?cua{_S}+(?P<body>(?:"
    + "|".join(_BODIES)
    + rf"){_E}(?:{_KHOA})?)"
)

# "Nghị quyết [Hội nghị] Trung ương 5", "Nghị quyết TW4", "Nghị quyết Hội nghị
# Trung ương lần thứ năm", "Nghị quyết Hội nghị lần thứ 5 Ban Chấp hành Trung
# ương"; an optional "(lần 2)" after the number ("Trung ương 6 (lần 2)").
_ORDINALS = {
    "nhat": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
    "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "muoi ba": 13,
    "muoi bon": 14, "muoi lam": 15,
}
_SESSION_NUM = (
    rf"(?:lan{_S}+(?:thu{_S}+)?)?(?:\d{{1,2}}|(?<=thu{_S})(?:"
    + "|".join(w.replace(" ", _S + "+") for w in sorted(_ORDINALS, key=len, reverse=True))
    + "))"
)
_TW = rf"(?:trung{_S}+uong|t\.?{_S}?u|tw)"
_SESSION_RE = re.compile(
    rf"{_S}+(?:(?:hoi{_S}+nghi{_S}+)?(?P<tw>{_TW}){_S}*(?P<n>{_SESSION_NUM})"
    rf"|hoi{_S}+nghi{_S}+(?P<n2>{_SESSION_NUM}){_S}+"
    rf"(?:ban{_S}+chap{_S}+hanh|bch){_S}+(?P<tw2>{_TW})(?:{_S}+dang)?){_E}"
    rf"(?:{_S}*\({_S}*lan{_S}+\d{_S}*\)|{_S}+lan{_S}+\d{_E})?"
)
_SESSION_MORE_RE = re.compile(
    rf"{_S}*(?:,{_S}*(?:va{_S}+)?|{_S}+va{_S}+)(?:(?:hoi{_S}+nghi{_S}+)?(?P<tw>{_TW}){_S}*)?"
    rf"(?P<n>\d{{1,2}}){_E}"
)
# "Nghị quyết Đại hội XIII", "... Đại hội Đảng toàn quốc lần thứ XIII".
_CONGRESS_RE = re.compile(
    rf"{_S}+dai{_S}+hoi{_S}+(?:dang{_S}+)?(?:dai{_S}+bieu{_S}+)?(?:toan{_S}+quoc{_S}+)?"
    rf"(?:(?P<lan>lan{_S}+thu){_S}+)?(?P<n>{_ROMAN}|\d{{1,2}}){_E}"
)
_NEXT_WORD_RE = re.compile(rf"{_S}+([^\W\d_]+)")
# Issuing organs' codes that may follow "NĐ 158" written apart ("NĐ 158 CP").
_ORGAN_CODES = {"cp", "ttg", "tw", "ub", "ubnd", "qh"}
# A list continues: ", 22", " và 22", ", và số 22".
_LIST_MORE_RE = re.compile(
    rf"{_S}*(?:,{_S}*(?:va{_S}+)?|{_S}+va{_S}+)(?:(?P<so>so){_S}+)?(?P<num>\d{{1,5}})(?!\d)"
)
# A symbol written without a type word: "21-KL/TW", "15/2008/NĐ-CP".  It must
# not follow a letter, digit, "-", "/" or "." (checked in code, for speed).
_BARE_RE = re.compile(
    rf"(?P<num>\d{{1,5}})(?P<sep>{_S}*[-–/]{_S}*)"
    rf"(?P<sym>(?:(?:19|20)\d\d{_S}*/{_S}*)?(?P<abbr>"
    + "|".join(_ABBREVIATIONS)
    + rf"){_S}*[-–/]{_S}*[a-z][a-z0-9]*(?:[-–/][a-z0-9]+)*){_E}"
)
# Cheap test that a text may hold a bare symbol at all (most do not).
_BARE_HINT_RE = re.compile(
    rf"[-–/]{_S}*(?:" + "|".join(_ABBREVIATIONS) + rf"){_S}*[-–/]"
)
# Words before "luật" that make it part of another word (kỷ luật, pháp luật).
_LAW_PREFIXES = {"ky", "phap", "quy", "dinh", "dieu"}
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50}


# --- the data ----------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """One reference to a document, with its exact span in the text."""

    type: str
    code: str
    number: str
    symbol: str | None
    body: str | None
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        """The base key: ``"kl:21"``, ``"nq:tw5"``, ``"nq:dh-xiii"``."""
        return f"{self.code}:{self.number}"

    def keys(self) -> list[str]:
        """Every key to index: the base key first, then more specific ones."""
        keys = [self.key]
        if self.number.startswith("tw") and self.body:
            roman = _khoa_roman(self.body)
            if roman:
                keys.append(f"{self.key}-{roman.lower()}")
        if self.symbol:
            keys.append(f"{self.key}/{_symbol_key(self.code, self.symbol)}")
        return keys

    @property
    def label(self) -> str:
        """Human canonical name: "Kết luận 21-KL/TW", "Nghị quyết Trung ương 5 (khóa XIII)"."""
        if self.number.startswith("tw"):
            roman = _khoa_roman(self.body or "")
            tail = f" (khóa {roman})" if roman else ""
            return f"{self.type} Trung ương {self.number[2:]}{tail}"
        if self.number.startswith("dh-"):
            return f"{self.type} Đại hội {self.number[3:].upper()}"
        if self.symbol:
            return f"{self.type} {self.number}{_symbol_sep(self.code, self.symbol)}{self.symbol}"
        return f"{self.type} {self.number}"

    def to_dict(self) -> dict:
        """Plain JSON-ready data, with ``key`` and ``label``."""
        return {
            "type": self.type,
            "code": self.code,
            "number": self.number,
            "symbol": self.symbol,
            "body": self.body,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "key": self.key,
            "label": self.label,
        }


# --- folding -------------------------------------------------------------------


_TABLE_SIZE = 0x2000  # Latin, Latin Extended Additional (Vietnamese), punctuation


@lru_cache(maxsize=1)
def _fold_table() -> str:
    """``str.translate`` table: each character below U+2000 to one folded character.

    Built on first use (not at import).  A character that :func:`fold` would
    drop or expand is lower-cased instead, or kept when that too would change
    its length; characters from U+2000 up are left as they are.
    """
    out = []
    for code in range(_TABLE_SIZE):
        ch = chr(code)
        folded = fold(ch)
        if len(folded) != 1:
            folded = ch.lower() if len(ch.lower()) == 1 else ch
        out.append(folded)
    return "".join(out)


def fold_same_length(text: str) -> str:
    """Fold ``text`` character by character, so offsets into it stay valid.

    Equal to :func:`fold` for NFC Vietnamese text (``len`` always equal to
    ``len(text)``).  Lone combining marks and characters from U+2000 up are
    not removed, only kept, so they can never shift an offset.
    """
    return text.translate(_fold_table())


# --- small helpers -------------------------------------------------------------


def _written_as(word: str, canonical: str) -> bool:
    """True when ``word`` is ``canonical`` in any case and tone style, or plain ASCII."""
    if word.isascii():
        return True
    parts = word.split()
    want = canonical.lower().split()
    return len(parts) == len(want) and all(
        norm_syllable(p) == w for p, w in zip(parts, want)
    )


def _at_word_start(f: str, pos: int, also: str = "") -> bool:
    """No letter or digit (nor any character of ``also``) just before ``pos``."""
    if pos == 0:
        return True
    before = f[pos - 1]
    return not (before.isalnum() or before in also)


def _abbr_ok(word: str) -> bool:
    """An abbreviation is all upper or all lower case ("KL", "kl"; not "Kh")."""
    return word.isupper() or word.islower()


def _strip_zeros(number: str) -> str:
    """``"03"`` → ``"3"``; ``"0"`` stays."""
    return number.lstrip("0") or "0"


def _is_year(number: str) -> bool:
    """A four-digit number between 1900 and 2100."""
    return len(number) == 4 and 1900 <= int(number) <= 2100


def _canonical_symbol(raw: str) -> str:
    """Symbol as written, without spaces; "TƯ" → "TW"; all-lower-case → upper."""
    s = re.sub(r"\s+", "", raw).replace("–", "-")
    s = re.sub(r"(?i)(?<![^\W_])t\.?ư(?![^\W_])", "TW", s)
    s = re.sub(r"^((?:19|20)\d\d)(?=[^\W\d_])", r"\1/", s)  # "2004QĐ-UB" -> "2004/QĐ-UB"
    return s.upper() if s == s.lower() else s


def _symbol_sep(code: str, symbol: str) -> str:
    """How a number joins its symbol in a label: Party style "21-KL/TW" (type
    abbreviation, then "/"), State style "15/2008/NĐ-CP", "187/QĐ-TTg", "152/CP"."""
    m = re.match(r"([^\W\d_]+)([-/]|$)", symbol)
    if not m:
        return "/"
    if m.group(2) == "/":
        return "-"
    if m.group(2) == "" and fold_same_length(m.group(1)) == _SYMBOL_ABBR.get(code):
        return "-"
    return "/"


def _symbol_key(code: str, symbol: str) -> str:
    """Folded symbol for a key: "KL/TW" under kl → "tw"; "2008/NĐ-CP" → "2008/nd-cp"."""
    s = fold_same_length(symbol)
    abbr = _SYMBOL_ABBR.get(code)
    m = re.fullmatch(r"([a-z]+)/([a-z][a-z0-9]*)", s)
    if m and abbr and m.group(1) == abbr:
        return m.group(2)
    return s


def _khoa_roman(body: str) -> str | None:
    """The roman numeral of a "khóa XIII" in ``body``, upper case, or None."""
    m = re.search(rf"khoa{_S}+({_ROMAN}){_E}", fold_same_length(body))
    return m.group(1).upper() if m else None


def _to_roman(n: int) -> str:
    """A small positive integer in roman numerals."""
    out = []
    for value, sym in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _is_roman(s: str) -> bool:
    """True for a well-formed roman numeral (I..L)."""
    total, prev = 0, 0
    for ch in reversed(s.lower()):
        v = _ROMAN_VALUES[ch]
        total += -v if v < prev else v
        prev = max(prev, v)
    return 0 < total <= 89 and _to_roman(total) == s.upper()


def _previous_word(f: str, pos: int) -> str:
    """The folded word that ends just before ``pos`` (skipping spaces)."""
    m = re.search(r"([^\W_]+)[^\S\n]*$", f[max(0, pos - 30) : pos])
    return m.group(1) if m else ""


def _symbol_code(symbol: str | None) -> str | None:
    """The document type a symbol names: "2005/NĐ-CP" → nd, "KL/TW" → kl, "QĐ-TTg" → qd
    (None for symbols that name only an issuing body: "CP", "QH11", "BNN-KH")."""
    if not symbol:
        return None
    m = re.match(r"(?:\d+/)?([a-z]+)(?:[-/]|$)", fold_same_length(symbol).lower())
    return _ABBREVIATIONS.get(m.group(1)) if m else None


def _make_ref(text: str, code: str, number: str, symbol: str | None,
              body: str | None, start: int, end: int) -> Ref:
    """Build a :class:`Ref` over ``text[start:end]``.  Between typed documents, a
    symbol naming another type wins over the type word ("quy định số
    16/2005/NĐ-CP" is Nghị định 16); a Công văn or a Luật keeps its word."""
    named = _symbol_code(symbol)
    if named and code not in ("cv", "luat") and _SYMBOL_ABBR.get(code) != _SYMBOL_ABBR.get(named):
        code = named
    return Ref(REF_CODES[code], code, number, symbol, body, start, end, text[start:end])


# --- numbers and symbols after a type word --------------------------------------


def _parse_symbol(text: str, f: str, pos: int) -> tuple[str, int] | None:
    """A symbol starting at ``pos`` (just after a number): (canonical, end) or None."""
    sep = _SEP_RE.match(f, pos)
    if not sep:
        glued = _GLUED_SYMBOL_RE.match(f, pos)  # "Nghị định 36CP"
        if glued and text[pos : glued.end()].isupper():
            return _canonical_symbol(text[pos : glued.end()]), glued.end()
        return None
    spaced = sep.end() - sep.start() > 1
    at = sep.end()
    body = _SYMBOL_BODY_RE.match(f, at)
    if body:
        if spaced and not (text[at].isupper() or text[at].isdigit()):
            return None
        end = _issuer_after(text, f, body.end())
        return _canonical_symbol(text[at:end]), end
    if sep.group(1) == "/" and not spaced:
        year = _YEAR_RE.match(f, at)
        if year:
            return text[at : year.end()], year.end()
    return None


def _issuer_after(text: str, f: str, end: int) -> int:
    """A symbol that stops at a type abbreviation ("04/2006/QĐ - UBND",
    "40-CT/ T.Ư") continues over spaces with its issuer; returns the new end."""
    last = re.search(r"[a-z]+$", f[max(0, end - 3) : end])
    if not last or last.group() not in _SYMBOL_ABBREVIATIONS:
        return end
    m = _ISSUER_RE.match(f, end)
    if not m:
        return end
    issuer = text[m.start("issuer") : m.end()]
    return m.end() if sum(ch.isupper() for ch in issuer) >= 2 else end


def _number_ok(f: str, number: str, end: int, has_so: bool, code: str) -> bool:
    """Vet a number with no symbol: not a decimal, %, range, date, year or count."""
    if _BAD_AFTER_RE.match(f, end) or (_is_year(number) and not has_so):
        return False
    if has_so or (code != "kh" and _YEAR_OF_ISSUE_RE.match(f, end)):
        return True
    return not _UNIT_RE.match(f, end)


def _number_at(text: str, f: str, pos: int, has_so: bool, code: str):
    """Read ``<number>[<symbol>]`` at ``pos``: (number, symbol, end) or None."""
    m = _DIGITS_RE.match(f, pos)
    if not m:
        return None
    sym = _parse_symbol(text, f, m.end())
    if sym:
        if _is_year(m.group()) and sym[0].isdigit():
            return None  # "2006/2007"
        return m.group(), sym[0], sym[1]
    if not _number_ok(f, m.group(), m.end(), has_so, code):
        return None
    return m.group(), None, m.end()


def _body_after(text: str, f: str, pos: int) -> str | None:
    """The issuing body written right after a reference ("của Bộ Chính trị")."""
    m = _BODY_RE.match(f, pos)
    if not m:
        return None
    return re.sub(r"\s+", " ", text[m.start("body") : m.end("body")]).strip(" ()")


def _list_more(text: str, f: str, code: str, pos: int) -> list[tuple[str, str | None, int, int]]:
    """Further numbers of a list after one type word: ", 22", "và số 22-KL/TW"."""
    out = []
    while True:
        m = _LIST_MORE_RE.match(f, pos)
        if not m:
            return out
        parsed = _number_at(text, f, m.start("num"), m.group("so") is not None, code)
        if not parsed:
            return out
        number, symbol, end = parsed
        if symbol is None and not _STRONG_END_RE.match(f, end):
            return out
        out.append((number, symbol, m.start("num"), end))
        pos = end


# --- the three kinds of reference after a type word ---------------------------


def _numbered(text: str, f: str, code: str, start: int, pos: int, abbr: bool) -> list[Ref]:
    """"<type> [số] <number>[<symbol>]" (and a list after it) at ``pos``."""
    m = _NUMBER_RE.match(f, pos)
    if not m:
        return []
    has_so = m.group("so") is not None
    if has_so and not _written_as(text[m.start("so") : m.end("so")], "số"):
        return []
    if abbr and (has_so or m.group("qual")):
        return []
    if m.group("qual") and fold_same_length(m.group("qual")).startswith("huong") and code == "hd":
        return []
    parsed = _number_at(text, f, m.start("num"), has_so, code)
    if not parsed:
        return []
    number, symbol, end = parsed
    if code == "luat" and not symbol:
        return []
    if abbr and not symbol and not _abbr_end_ok(text, f, end):
        return []
    items = [(number, symbol, start, end)]
    items += _list_more(text, f, code, end)
    body = _body_after(text, f, items[-1][3])
    return [
        _make_ref(text, code, _strip_zeros(n), s, body, a, b) for n, s, a, b in items
    ]


def _abbr_end_ok(text: str, f: str, pos: int) -> bool:
    """"KH 4419 TS" is a boat's registration, not Kế hoạch 4419: after an
    abbreviation and a bare number, an all-capitals word other than an issuing
    organ's code ends it."""
    m = _NEXT_WORD_RE.match(f, pos)
    if not m:
        return True
    word = text[m.start(1) : m.end(1)]
    return not (word.isupper() and len(word) > 1) or m.group(1) in _ORGAN_CODES


def _tw_ok(text: str, start: int, end: int) -> bool:
    """"Trung ương" spelt right, or "TƯ"/"T.Ư"/"TW" in capitals."""
    word = text[start:end]
    folded = fold_same_length(word)
    if folded.startswith("trung"):
        return _written_as(word, "trung ương")
    return folded == "tw" or word.isupper()


def _khoa_at(text: str, f: str, pos: int) -> tuple[str | None, int]:
    """A "(khóa XIII)" / ", khóa XII" at ``pos``: (canonical body, end)."""
    m = _KHOA_RE.match(f, pos)
    if not m:
        return None, pos
    roman = m.group("roman")
    if roman.isdigit():
        if not 0 < int(roman) <= 30:
            return None, pos
        roman = _to_roman(int(roman))
    elif not _is_roman(roman):
        return None, pos
    if m.group("open") and not m.group("close"):
        return None, pos  # "(khóa XIII" never closed: leave it
    end = m.end() if m.group("open") else m.end("roman")
    return f"khóa {roman.upper()}", end


def _session_number(written: str) -> str:
    """"5", "lần thứ 5", "lần thứ năm" (folded) → "5"."""
    digits = re.search(r"\d+", written)
    if digits:
        return str(int(digits.group()))
    word = re.sub(rf"^lan{_S}+thu{_S}+", "", written)
    return str(_ORDINALS[re.sub(r"\s+", " ", word)])


def _session(text: str, f: str, start: int, pos: int) -> list[Ref]:
    """"Nghị quyết Trung ương 5 (khóa XIII)", and "…, Trung ương 7 khoá XII" after it."""
    m = _SESSION_RE.match(f, pos)
    if not m:
        return []
    tw = "tw" if m.group("tw") else "tw2"
    if not _tw_ok(text, m.start(tw), m.end(tw)):
        return []
    items = [(_session_number(m.group("n") or m.group("n2")), start, m.end())]
    end = m.end()
    while (more := _SESSION_MORE_RE.match(f, end)) is not None:
        if more.group("tw"):
            if not _tw_ok(text, more.start("tw"), more.end("tw")):
                break
            item_start = more.start("tw")
        elif _KHOA_RE.match(f, more.end()):  # "Trung ương 4, 5 (khóa XI)"
            item_start = more.start("n")
        else:
            break
        items.append((str(int(more.group("n"))), item_start, more.end()))
        end = more.end()
    body, khoa_end = _khoa_at(text, f, end)
    refs = []
    for i, (n, a, b) in enumerate(items):
        b = khoa_end if i == len(items) - 1 else b
        refs.append(_make_ref(text, "nq", f"tw{n}", None, body, a, b))
    return refs


def _congress(text: str, f: str, start: int, pos: int) -> list[Ref]:
    """"Nghị quyết Đại hội XIII" (also "… Đại hội Đảng toàn quốc lần thứ XIII")."""
    m = _CONGRESS_RE.match(f, pos)
    if not m:
        return []
    n = m.group("n")
    if n.isdigit():
        if not m.group("lan") or not 0 < int(n) <= 30:
            return []
        roman = _to_roman(int(n))
    else:
        written = text[m.start("n") : m.end("n")]
        if not (written.isupper() or written.islower() and len(written) > 1) or not _is_roman(n):
            return []
        roman = n.upper()
    if not _congress_end_ok(text, f, m.end()):
        return []
    return [_make_ref(text, "nq", f"dh-{roman.lower()}", None, None, start, m.end())]


def _congress_end_ok(text: str, f: str, pos: int) -> bool:
    """Not another organisation's congress: "Đại hội VIII Công đoàn TP" is not the Party's."""
    m = _NEXT_WORD_RE.match(f, pos)
    if not m:
        return True
    word = text[m.start(1) : m.end(1)]
    return not word[0].isupper() or m.group(1) == "dang"


# --- the passes ------------------------------------------------------------------


def _typed(text: str, f: str) -> Iterator[Ref]:
    """References that start with a type word (full or abbreviated)."""
    for m in _TYPE_RE.finditer(f):
        if not _at_word_start(f, m.start()):
            continue
        word = text[m.start() : m.end()]
        folded = re.sub(r"\s+", " ", m.group())
        abbr = folded in _ABBREVIATIONS
        if abbr:
            code = _ABBREVIATIONS[folded]
            if not _abbr_ok(word):
                continue
        else:
            code = _FULL_WORDS[folded]
            if not _written_as(word, REF_CODES[code]):
                continue
            if code == "luat" and _previous_word(f, m.start()) in _LAW_PREFIXES:
                continue
        refs: list[Ref] = []
        if code == "nq":
            refs = _session(text, f, m.start(), m.end()) or _congress(text, f, m.start(), m.end())
        if not refs:
            refs = _numbered(text, f, code, m.start(), m.end(), abbr)
        yield from refs


def _bare(text: str, f: str) -> Iterator[Ref]:
    """Symbols written without a type word: "21-KL/TW", "15/2008/NĐ-CP"."""
    if not _BARE_HINT_RE.search(f):
        return
    for m in _BARE_RE.finditer(f):
        if not _at_word_start(f, m.start(), "-–/."):
            continue
        spaced = m.end("sep") - m.start("sep") > 1
        if spaced and not text[m.start("sym")].isupper():
            continue
        if _is_year(m.group("num")):
            continue
        code = _ABBREVIATIONS[m.group("abbr")]
        symbol = _canonical_symbol(text[m.start("sym") : m.end("sym")])
        body = _body_after(text, f, m.end())
        yield _make_ref(text, code, _strip_zeros(m.group("num")), symbol, body, m.start(), m.end())


def _non_overlapping(refs: list[Ref]) -> list[Ref]:
    """Sort by start; on overlap keep the earlier (then longer) reference."""
    out: list[Ref] = []
    for r in sorted(refs, key=lambda r: (r.start, -r.end)):
        if not out or r.start >= out[-1].end:
            out.append(r)
    return out


def find_refs(text: str) -> list[Ref]:
    """All document references in ``text`` (display text: NFC, Đ not Ð).

    Returns them sorted by start, non-overlapping; ``text[r.start:r.end]`` is
    the reference as written.
    """
    if not text:
        return []
    f = fold_same_length(text)
    return _non_overlapping(list(_typed(text, f)) + list(_bare(text, f)))


# --- keys back to names -------------------------------------------------------------

_KEY_RE = re.compile(r"(?P<code>[a-z]+):(?P<rest>\S+)")
# A stripped Party-style symbol key ("kl:21/tw"): the issuing Party organ,
# Trung ương (TW), tỉnh/thành ủy (TU), huyện/quận ủy (HU, QU), đảng ủy (ĐU),
# ban cán sự (BCS) ...  Anything else reads as a State symbol ("nd:152/cp").
_PARTY_ORGAN_RE = re.compile(r"[a-z]*(?:tw|tu|hu|qu|du|bcs)")


def key_type(key: str) -> str:
    """The type name of a key: ``"kl:21"`` → ``"Kết luận"``."""
    m = _KEY_RE.fullmatch(key)
    if not m or m.group("code") not in REF_CODES:
        raise QueryError(f"not a reference key: {key!r} (expected e.g. 'kl:21')")
    return REF_CODES[m.group("code")]


def _display_chunks(symbol_key: str) -> str:
    """``"2008/nd-cp"`` → ``"2008/NĐ-CP"``."""
    return re.sub(
        r"[a-z0-9]+", lambda c: _CHUNK_DISPLAY.get(c.group(), c.group().upper()), symbol_key
    )


def key_label(key: str) -> str:
    """Human name of a key: ``"kl:21/tw"`` → ``"Kết luận 21-KL/TW"``."""
    name = key_type(key)
    code, rest = key.split(":", 1)
    m = re.fullmatch(r"tw(\d+)(?:-([ivxl]+))?", rest)
    if m:
        tail = f" (khóa {m.group(2).upper()})" if m.group(2) else ""
        return f"{name} Trung ương {m.group(1)}{tail}"
    m = re.fullmatch(r"dh-([ivxl]+)", rest)
    if m:
        return f"{name} Đại hội {m.group(1).upper()}"
    m = re.fullmatch(r"(\d+)(?:/(.+))?", rest)
    if not m:
        raise QueryError(f"not a reference key: {key!r} (expected e.g. 'kl:21')")
    number, sym = m.group(1), m.group(2)
    if not sym:
        return f"{name} {number}"
    abbr = _SYMBOL_ABBR.get(code)
    if abbr and _PARTY_ORGAN_RE.fullmatch(sym):
        return f"{name} {number}-{_display_chunks(abbr)}/{_display_chunks(sym)}"
    if re.fullmatch(r"[a-z]+/[a-z][a-z0-9]*", sym):
        return f"{name} {number}-{_display_chunks(sym)}"
    return f"{name} {number}/{_display_chunks(sym)}"
