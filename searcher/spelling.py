"""Typo tolerance weighted the Vietnamese way.

A Vietnamese syllable is three things typed separately: base letters, vowel
marks (ă â ê ô ơ ư, and đ) and one tone.  Slips of each kind differ in how
much they change what was meant, so :func:`distance` prices them apart:

===================  ======  ================================================
slip                 cost    why
===================  ======  ================================================
tone wrong/missing   0.3     ``TONE_COST``: the commonest slip, and the letters
                             still pin the syllable down (hiệu/hiểu, quả/quá)
vowel mark wrong     0.5     ``MARK_COST``: per letter (bước/buớc, đường/dương);
                             the base letter is still right
letter wrong,        1.0     ``EDIT_COST``: Damerau–Levenshtein (optimal string
missing, extra,              alignment) on the letters: a different letter may
two swapped                  make a different word
===================  ======  ================================================

:func:`max_cost` bounds what a syllable may be corrected by, by its number of
letters: the shorter, the less room for a letter slip (see there).

:class:`SpellIndex` finds candidates in a vocabulary SymSpell-style: every
folded form and each of its one-letter deletions point to the folded forms
they come from, so the forms within one letter edit of a query are found with
a handful of dictionary lookups; they are then ranked by :func:`distance`,
then by document frequency.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .normalise import fold, has_diacritics, norm_syllable

__all__ = [
    "EDIT_COST",
    "MARK_COST",
    "TONE_COST",
    "SpellIndex",
    "distance",
    "letter_distance",
    "max_cost",
    "split_syllable",
]

TONE_COST = 0.3
MARK_COST = 0.5
EDIT_COST = 1.0
NEIGHBOUR_COST = 0.7  # a letter replaced by its neighbour on a QWERTY keyboard: the commonest slip

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@lru_cache(maxsize=1)
def _keyboard() -> frozenset[tuple[str, str]]:
    """Pairs of letters that touch on a QWERTY keyboard: beside each other, or
    diagonally (each row sits half a key right of the one above it)."""
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    near = set()
    for a, (r, i) in pos.items():
        for dr, di in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)):
            for b, where in pos.items():
                if where == (r + dr, i + di):
                    near.add((a, b))
    return frozenset(near)


_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
# Vowel marks and the bar of đ, as combining characters (NFD) and as codes.
_MARKS = {"\u0306": "(", "\u0302": "^", "\u031b": "+"}


@lru_cache(maxsize=65536)
def split_syllable(s: str) -> tuple[str, str, int]:
    """``(letters, marks, tone)`` of one syllable, lower-cased.

    ``letters`` is :func:`~searcher.normalise.fold` of it; ``marks`` has one
    code per letter: ``.`` none, ``^`` hat (â ê ô), ``(`` breve (ă), ``+``
    horn (ơ ư), ``-`` bar (đ); ``tone`` is 0 none, 1 huyền, 2 sắc, 3 hỏi,
    4 ngã, 5 nặng (as in :mod:`searcher.normalise`; two tone marks count as
    the first).  ``"Đường"`` → ``("duong", "-++..", 1)``.
    """
    marks: list[str] = []
    tone = 0
    for ch in unicodedata.normalize("NFD", s.lower()):
        if ch in _TONES:
            tone = tone or _TONES[ch]
        elif ch in _MARKS:
            if marks:
                marks[-1] = _MARKS[ch]
        elif unicodedata.combining(ch):
            continue
        else:
            marks.append("-" if ch == "đ" else ".")
    letters = fold(s)
    if len(letters) != len(marks):  # not Vietnamese letters: compare letters only
        marks = ["."] * len(letters)
    return letters, "".join(marks), tone


def _osa(a: list[tuple[str, str]] | str, b: list[tuple[str, str]] | str, marks: bool) -> float:
    """Optimal-string-alignment distance between two letter sequences; with
    ``marks``, items are (letter, mark) and a same-letter, other-mark
    substitution costs ``MARK_COST``."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return EDIT_COST * (n + m)
    prev2: list[float] = []
    prev = [EDIT_COST * j for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [EDIT_COST * i] + [0.0] * m
        ai = a[i - 1]
        for j in range(1, m + 1):
            bj = b[j - 1]
            if ai == bj:
                sub = 0.0
            elif marks and ai[0] == bj[0]:
                sub = MARK_COST
            elif (ai[0], bj[0]) in _keyboard():
                sub = NEIGHBOUR_COST + (MARK_COST if marks and ai[1] != bj[1] else 0.0)
            else:
                sub = EDIT_COST
            best = min(prev[j] + EDIT_COST, cur[j - 1] + EDIT_COST, prev[j - 1] + sub)
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj:
                best = min(best, prev2[j - 2] + EDIT_COST)
            cur[j] = best
        prev2, prev = prev, cur
    return prev[m]


def distance(a: str, b: str) -> float:
    """How far apart two syllables are, in slips (see the module table).

    ``distance("bước", "buớc")`` = 0.5, ``distance("tiếng", "tiêng")`` = 0.3,
    ``distance("đường", "dương")`` = 0.8, ``distance("luận", "luânj")`` = 1.3,
    ``distance("chính", "chíhn")`` = 1.0 (two letters swapped).  Symmetric.
    """
    la, ma, ta = split_syllable(a)
    lb, mb, tb = split_syllable(b)
    cost = 0.0 if ta == tb else TONE_COST
    if la == lb:  # only marks differ: one substitution per letter is the best alignment
        return cost + MARK_COST * sum(x != y for x, y in zip(ma, mb))
    return cost + _osa(list(zip(la, ma)), list(zip(lb, mb)), True)


def letter_distance(a: str, b: str) -> float:
    """:func:`distance` on the folded letters only (diacritics ignored): for
    input typed without any diacritic, where none of them is a slip."""
    fa, fb = fold(a), fold(b)
    return 0.0 if fa == fb else _osa(fa, fb, False)


def max_cost(s: str) -> float:
    """The largest :func:`distance` a correction of ``s`` may have, by letters:

    * 1–2 letters: 0.8, a tone and a mark slip, no letter edit ("đi", "là",
      "ở" have too many one-letter neighbours to guess from);
    * 3–4 letters: 1.0, one letter edit, or tone and mark slips;
    * 5 letters or more: 1.8, one letter edit plus a mark and a tone slip.
    """
    n = len(fold(s))
    if n <= 2:
        return TONE_COST + MARK_COST
    if n <= 4:
        return EDIT_COST
    return EDIT_COST + MARK_COST + TONE_COST


def _deletes(key: str) -> list[str]:
    """``key`` with one letter removed, each distinct result once."""
    return list(dict.fromkeys(key[:i] + key[i + 1 :] for i in range(len(key))))


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """:func:`~searcher.normalise.fold` of each precomposed Latin letter, for
    ``str.translate`` (built on first use)."""
    ranges = (range(0xC0, 0x250), range(0x1EA0, 0x1F00))
    return {cp: fold(chr(cp)) for r in ranges for cp in r if len(fold(chr(cp))) == 1}


def _fast_fold(s: str) -> str:
    """:func:`~searcher.normalise.fold`, by table for NFC text (5× faster)."""
    t = s.translate(_fold_table()).lower()
    return t if t.isascii() else fold(s)


class SpellIndex:
    """Candidate corrections for syllables, over a vocabulary with document
    frequencies (for instance :attr:`searcher.vocab.Vocabulary.syl_forms`).

    Syllables holding a digit are left out, and a token holding one gets no
    candidates: a number is never turned into another number.
    """

    def __init__(self, syllables: Iterable[tuple[str, int]]) -> None:
        forms: dict[str, list[tuple[str, int]]] = {}
        for syl, df in syllables:
            if syl and syl.isalpha():
                forms.setdefault(_fast_fold(syl), []).append((syl, df))
        self._build(forms)

    @classmethod
    def from_forms(cls, forms: Mapping[str, list[tuple[str, int]]]) -> SpellIndex:
        """An index over forms already grouped by folded key, such as
        :attr:`searcher.vocab.Vocabulary.syl_forms` (no folding needed)."""
        self = cls.__new__(cls)
        self._build({k: [f for f in v if f[0].isalpha()] for k, v in forms.items() if k.isalpha()})
        return self

    def _build(self, forms: dict[str, list[tuple[str, int]]]) -> None:
        # One-letter deletions -> the folded forms they come from: a str for
        # one form (most of them), a list for several; this is the costly part
        # of building, so it is written flat.  Forms of one letter need none;
        # those of two only serve :meth:`near` (context corrections of a lone letter).
        deletes: dict[str, str | list[str]] = {}
        get = deletes.get
        for key in forms:
            n = len(key)
            if n <= 1:
                continue
            for i in range(n):
                d = key[:i] + key[i + 1 :]
                held = get(d)
                if held is None:
                    deletes[d] = key
                elif held.__class__ is str:
                    if held != key:
                        deletes[d] = [held, key]
                elif isinstance(held, list) and held[-1] != key:
                    held.append(key)
        self._forms = forms
        self._deletes = deletes

    def __len__(self) -> int:
        return sum(len(v) for v in self._forms.values())

    def _keys_near(self, key: str) -> set[str]:
        """Folded forms of the vocabulary that may lie within one letter edit."""
        out: set[str] = set()
        for probe in (key, *_deletes(key)):
            if probe in self._forms:
                out.add(probe)
            held = self._deletes.get(probe)
            if held is None:
                continue
            if held.__class__ is str:
                out.add(held)
            else:
                out.update(held)
        return out

    def suggest(self, s: str, limit: int = 3) -> list[tuple[str, float, int]]:
        """Up to ``limit`` ``(syllable, cost, doc freq)`` corrections of ``s``,
        nearest first, then most frequent; never ``s`` itself.

        Typed with diacritics, ``s`` is compared by :func:`distance` and the
        cost is at most :func:`max_cost`.  Typed without any, it is compared by
        :func:`letter_distance` (a missing diacritic is not a slip): one letter
        edit at most, none for one or two letters (those get nothing: the
        folded field already matches every accented form).  Either way
        candidates lie within one letter edit.  ``"nguời"`` →
        ``[("người", 0.5, df), …]``; ``"chinhs"`` → ``[("chính", 1.0, df), …]``.
        """
        if limit <= 0 or not s.isalpha():
            return []
        typed = norm_syllable(s)
        key = fold(typed)
        plain = not has_diacritics(s)
        bound = EDIT_COST if plain else max_cost(typed)
        if plain and len(key) <= 2:
            return []
        if bound < EDIT_COST:  # no letter edit allowed: same letters only
            keys: Iterable[str] = (key,) if key in self._forms else ()
        else:
            keys = self._keys_near(key)
        scored: list[tuple[float, int, str]] = []
        for k in keys:
            letters = 0.0 if k == key else _osa(key, k, False)
            if letters > min(EDIT_COST, bound):
                continue
            for syl, df in self._forms[k]:
                if syl == typed:
                    continue
                cost = letters if plain else distance(typed, syl)
                if cost <= bound + 1e-9:
                    scored.append((round(cost, 3), -df, syl))
        scored.sort()
        return [(syl, cost, -ndf) for cost, ndf, syl in scored[:limit]]

    def near(self, s: str, limit: int = 48) -> list[tuple[str, float, int]]:
        """Up to ``limit`` ``(syllable, cost, doc freq)`` within one letter edit
        of ``s``, whatever their tone and marks (``"hải"`` → ``phải``, ``hai``,
        ``hại``, …), nearest first (:func:`distance`, or :func:`letter_distance`
        for ``s`` typed without diacritics), then most frequent; never ``s``
        itself, nor anything for a token holding a digit.

        A wider net than :meth:`suggest`, for corrections the neighbouring
        words must confirm (:func:`searcher.corrections.in_context`)."""
        if not s.isalpha():
            return []
        typed = norm_syllable(s)
        key = fold(typed)
        cost = letter_distance if not has_diacritics(s) else distance
        found = [
            (round(cost(typed, syl), 3), -df, syl)
            for k in self._keys_near(key)
            if k == key or _osa(key, k, False) <= EDIT_COST
            for syl, df in self._forms[k]
            if syl != typed
        ]
        found.sort()
        return [(syl, c, -ndf) for c, ndf, syl in found[:limit]]
