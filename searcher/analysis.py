"""Whoosh analyzers for Vietnamese, composed with ``|`` as whoosh intends.

Every analyzer works on the *display* text (see :mod:`searcher.normalise`) and
emits tokens with positions and character offsets into it, so highlights are
exact.  The classes hold no model and no state: whoosh pickles them into the
index schema, so they must stay importable at ``searcher.analysis.<Name>``.

* :func:`syllable_analyzer`  – ``hòa``-canonical, lower-case syllables (field ``syl``, ``title``)
* :func:`fold_analyzer`      – the same, diacritics stripped (fields ``fold``, ``title_fold``)
* :func:`pair_analyzer`      – adjacent syllable pairs ``kết luận`` (fields ``pair``, ``pair_fold``)
* :func:`word_analyzer`      – pyvi compound words ``đảng_viên`` (field ``word``); index mode only
* :func:`ref_analyzer`       – document-reference keys ``kl:21`` (field ``ref``)

pyvi is imported lazily, the first time a document is segmented, and only in
index mode.  Queries never need it (see :mod:`searcher.query`).
"""

from __future__ import annotations

import re
from typing import Iterator

from whoosh.analysis import Filter, ShingleFilter, Token, Tokenizer

from .normalise import SYLLABLE_RE, fold, norm_syllable

__all__ = [
    "SyllableTokenizer",
    "FoldFilter",
    "WordTokenizer",
    "RefTokenizer",
    "syllable_analyzer",
    "fold_analyzer",
    "word_analyzer",
    "pair_analyzer",
    "pair_fold_analyzer",
    "ref_analyzer",
    "segment",
    "word_spans",
    "sentences",
]


class _SpanTokenizer(Tokenizer):
    """Base of the tokenizers here: subclasses yield ``(text, pos, start, end)``
    from :meth:`spans`; this turns them into whoosh tokens with positions and
    character offsets."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def spans(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, pos, start, end in self.spans(value):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class SyllableTokenizer(_SpanTokenizer):
    """Yields each syllable (run of letters/digits) as :func:`norm_syllable` of it."""

    def spans(self, value):
        for pos, m in enumerate(SYLLABLE_RE.finditer(value)):
            yield norm_syllable(m.group()), pos, m.start(), m.end()


class FoldFilter(Filter):
    """Strips every diacritic from the token text (``đảng`` → ``dang``)."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            yield t


# --- pyvi word segmentation --------------------------------------------------

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…;:])\s+|\n+")
_SEGMENT_CACHE: dict[str, tuple[tuple[int, int], ...]] = {}
_SEGMENT_CACHE_MAX = 200_000


MAX_SENTENCE_CHARS = 400  # pyvi's cost grows faster than its input: longer runs are cut


def sentences(text: str) -> Iterator[tuple[str, int]]:
    """Split text into sentences (or lines) with their start offsets.

    pyvi's cost grows faster than its input, so it is always called on one
    sentence at a time, and a run without sentence punctuation (a line-less
    text, a table dump) is cut at spaces into pieces of at most
    :data:`MAX_SENTENCE_CHARS` characters.
    """
    start = 0
    for m in _SENTENCE_SPLIT.finditer(text):
        if m.start() > start:
            yield from _bounded(text, start, m.start())
        start = m.end()
    if start < len(text):
        yield from _bounded(text, start, len(text))


def _bounded(text: str, start: int, end: int) -> Iterator[tuple[str, int]]:
    """``text[start:end]`` in pieces of at most :data:`MAX_SENTENCE_CHARS`, cut after a space."""
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + 1, start + MAX_SENTENCE_CHARS)
        cut = cut + 1 if cut > start else start + MAX_SENTENCE_CHARS
        yield text[start:cut], start
        start = cut
    if end > start:
        yield text[start:end], start


def _pyvi_tokenize(sentence: str) -> str:
    # pyvi's exact output, from pyvi's model, without scikit-learn; the model
    # loads on first use (see searcher.segmenter)
    from .segmenter import tokenize

    return tokenize(sentence)


def segment(sentence: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the multi-syllable words pyvi finds in one sentence.

    Each distinct sentence is segmented once per process (datelines, captions
    and boilerplate repeat across news).
    """
    cached = _SEGMENT_CACHE.get(sentence)
    if cached is not None:
        return cached
    spans: list[tuple[int, int]] = []
    cursor = 0
    for tok in _pyvi_tokenize(sentence).split():
        parts = tok.split("_")
        first = -1
        end = cursor
        for part in parts:
            found = sentence.find(part, end)
            if found < 0:
                first = -2
                break
            if first == -1:
                first = found
            end = found + len(part)
        if first < 0:
            continue
        cursor = end
        if len(parts) > 1:
            spans.append((first, end))
    result = tuple(spans)
    if len(_SEGMENT_CACHE) >= _SEGMENT_CACHE_MAX:
        _SEGMENT_CACHE.clear()
    _SEGMENT_CACHE[sentence] = result
    return result


def word_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(word, start, end)`` for pyvi's multi-syllable words in ``text``.

    ``word`` is the canonical form: normalised syllables joined by ``_``.
    """
    for sentence, offset in sentences(text):
        if not SYLLABLE_RE.search(sentence):
            continue
        for s, e in segment(sentence):
            syls = SYLLABLE_RE.findall(sentence, s, e)
            if len(syls) > 1:
                yield "_".join(norm_syllable(x) for x in syls), offset + s, offset + e


class WordTokenizer(_SpanTokenizer):
    """pyvi compound words as single tokens (``đảng_viên``), index mode.

    Single syllables are left to the ``syl`` field.  Query words are built
    from the index's own vocabulary instead (no pyvi at query time).
    """

    def spans(self, value):
        for pos, (word, start, end) in enumerate(word_spans(value)):
            yield word, pos, start, end


class RefTokenizer(_SpanTokenizer):
    """Document-reference keys (``kl:21``, ``kl:21/tw``) at the reference's span."""

    def spans(self, value):
        from .refs import find_refs

        for pos, ref in enumerate(find_refs(value)):
            for key in ref.keys():
                yield key, pos, ref.start, ref.end


def syllable_analyzer():
    return SyllableTokenizer()


def fold_analyzer():
    return SyllableTokenizer() | FoldFilter()


def pair_analyzer():
    """Adjacent syllable pairs (``kết luận``): adjacency as one cheap term."""
    return SyllableTokenizer() | ShingleFilter(size=2, sep=" ")


def pair_fold_analyzer():
    """Adjacent syllable pairs without diacritics (``ket luan``)."""
    return SyllableTokenizer() | FoldFilter() | ShingleFilter(size=2, sep=" ")


def word_analyzer():
    return WordTokenizer()


def ref_analyzer():
    return RefTokenizer()
