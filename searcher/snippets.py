"""Snippets: the best passage of a stored bulletin, with exact highlight offsets.

Matches are found with the same syllable regex and normalisation the index
used, plus the reference recogniser for whole-reference spans, so no word
segmentation runs per hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .analysis import WrittenSyllables
from .normalise import SYLLABLE_RE, fold

SNIPPET_CHARS = 240
_GAP_JOIN = re.compile(r"[\s\-]{1,3}")


@dataclass(frozen=True)
class Terms:
    """What to highlight: canonical syllables, folded syllables, reference keys."""

    norms: frozenset[str]
    folds: frozenset[str]
    ref_keys: frozenset[str] = frozenset()
    # the written syllables already read against these terms, for every hit of a search
    _written: WrittenSyllables | None = field(default=None, compare=False, repr=False)

    @property
    def words(self) -> bool:
        """Whether there are syllables to look for (not references alone)."""
        return bool(self.norms or self.folds)

    def matching(self, raws: set[str]) -> set[str]:
        """Those of ``raws`` (syllables as written) that match a term."""
        written = self._written
        if written is None:  # the dataclass is frozen: set once, on first use
            written = WrittenSyllables(self.norms, self.folds)
            object.__setattr__(self, "_written", written)
        return set(written.kept_of(raws))


def _occurrences(text: str, raw: str) -> Iterator[tuple[int, int]]:
    """Where ``raw`` stands as a whole :data:`SYLLABLE_RE` token of ``text``: no
    syllable character (``str.isalnum``, which is ``[^\\W_]``) just before or after it."""
    n = len(raw)
    end = len(text)
    i = text.find(raw)
    while i >= 0:
        j = i + n
        if (i == 0 or not text[i - 1].isalnum()) and (j == end or not text[j].isalnum()):
            yield i, j
        i = text.find(raw, j)


def match_spans(text: str, terms: Terms, syllables: set[str] | None = None) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` spans of ``text`` that match the query terms
    (``syllables``: the distinct :data:`SYLLABLE_RE` tokens of ``text``, if known).

    A cited reference is one span; neighbouring matched syllables (separated
    only by a space or hyphen) merge into one span, so "Kết luận" is one mark.
    """
    ref_spans: list[tuple[int, int]] = []
    if terms.ref_keys:
        from .refs import find_refs

        for ref in find_refs(text):
            if terms.ref_keys.intersection(ref.keys()):
                ref_spans.append((ref.start, ref.end))
    spans = list(ref_spans)
    # Each distinct syllable is read once; only the matching ones are then located
    # (none to look for when the query is references alone).
    if syllables is None and terms.words:
        syllables = set(SYLLABLE_RE.findall(text))
    for raw in terms.matching(syllables) if syllables else ():
        if ref_spans:
            spans.extend(s for s in _occurrences(text, raw) if not any(a <= s[0] < b for a, b in ref_spans))
        else:
            spans.extend(_occurrences(text, raw))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and (a <= merged[-1][1] or _GAP_JOIN.fullmatch(text, merged[-1][1], a)):
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _weight(text: str, span: tuple[int, int]) -> str:
    return fold(text[span[0] : span[1]])


def best_window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The window of about ``width`` characters holding the most distinct matches."""
    if not spans:
        return 0, min(len(text), width)
    best = (0, 0, 0)
    best_start = spans[0][0]
    keys = [_weight(text, s) for s in spans]  # each match read once, not once per window holding it
    j = 0
    for i, (a, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - a <= width:
            j += 1
        distinct = len(set(keys[i : j + 1]))
        score = (distinct, j + 1 - i, -a)
        if score > best:
            best, best_start = score, a
    # Centre the matches a little: start some context before the first one.
    lead = width // 5
    start = max(0, best_start - lead)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    return start, end


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move window edges off the middle of a word."""
    if start > 0:
        ws = text.rfind(" ", max(0, start - 20), start + 1)
        start = ws + 1 if ws >= 0 else start
    if end < len(text):
        we = text.find(" ", end - 1, min(len(text), end + 20))
        end = we if we >= 0 else end
    return start, end


def make_snippet(
    text: str, terms: Terms, width: int = SNIPPET_CHARS, syllables: set[str] | None = None
) -> tuple[str, list[tuple[int, int]]]:
    """Return ``(snippet, highlights)``; ``snippet[s:e]`` is each highlighted match
    (``syllables``: as :func:`match_spans`)."""
    spans = match_spans(text, terms, syllables) if (terms.words or terms.ref_keys) else []
    start, end = _snap(text, *best_window(text, spans, width))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = text[start:end].replace("\n", " ")
    snippet = prefix + body + suffix
    shift = len(prefix) - start
    highlights = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return snippet, highlights
