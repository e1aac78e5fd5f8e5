"""Whoosh analyzers for Vietnamese, composed with ``|`` as whoosh intends.

Every analyzer works on the *display* text (see :mod:`searcher.normalise`) and
emits tokens with positions and character offsets into it, so highlights are
exact.  The classes hold no model and no state: whoosh pickles them into the
index schema, so they must stay importable at ``searcher.analysis.<Name>``.

* :func:`syllable_analyzer`  – ``hòa``-canonical, lower-case syllables (field ``syl``, ``title``)
* :func:`fold_analyzer`      – the same, diacritics stripped (fields ``fold``, ``title_fold``)
* :func:`pair_analyzer`      – adjacent syllable pairs ``kết luận`` (no field: the scoring sidecar counts them)
* :func:`pair_fold_analyzer` – adjacent syllable pairs without diacritics ``ket luan`` (field ``pair_fold``)
* :func:`word_analyzer`      – pyvi compound words ``đảng_viên`` (field ``word``); index mode only
* :func:`ref_analyzer`       – document-reference keys ``kl:21`` (field ``ref``)

pyvi is imported lazily, the first time a document is segmented, and only in
index mode.  Queries never need it (see :mod:`searcher.query`).

The index job does not run these analyzers field by field: :func:`title_fields`,
:func:`body_fields` and :func:`word_counts` read a text once and give every
field of its family as an :class:`Analysed` value (the terms with their
positions, character spans or counts), which the index writer encodes as the
field's whoosh format would (:mod:`searcher.whoosh_internals`).  The terms,
positions, offsets and weights are the analyzers' own: ``tests/test_writer.py``
compares both paths posting by posting.
"""

from __future__ import annotations

import re
import struct
import sys
import threading
from array import array
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

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
    "Analysed",
    "title_fields",
    "body_fields",
    "word_counts",
    "counts",
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
    result = _segment_sentence(sentence)
    if len(_SEGMENT_CACHE) >= _SEGMENT_CACHE_MAX:
        _SEGMENT_CACHE.clear()
    _SEGMENT_CACHE[sentence] = result
    return result


def _segment_sentence(sentence: str) -> tuple[tuple[int, int], ...]:
    """:func:`segment`, uncached: the segmenter's own spans, else read from its output."""
    from .segmenter import compound_spans

    spans = compound_spans(sentence)
    return spans if spans is not None else _spans_of_tokenized(sentence)


def _spans_of_tokenized(sentence: str) -> tuple[tuple[int, int], ...]:
    """:func:`segment` read from pyvi's output: each ``_``-joined token's syllables
    found in turn in ``sentence`` (a token not found, as when NFC changed it, is skipped)."""
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
    return tuple(spans)


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
            for key in ref.keys():  # noqa: SIM118 - Ref.keys(), not a dict
                yield key, pos, ref.start, ref.end


def syllable_analyzer():
    return SyllableTokenizer()


def fold_analyzer():
    return SyllableTokenizer() | FoldFilter()


def pair_analyzer():
    """Adjacent syllable pairs with their diacritics (``kết luận``)."""
    return SyllableTokenizer() | ShingleFilter(size=2, sep=" ")


def pair_fold_analyzer():
    """Adjacent syllable pairs without diacritics (``ket luan``)."""
    return SyllableTokenizer() | FoldFilter() | ShingleFilter(size=2, sep=" ")


def word_analyzer():
    return WordTokenizer()


def ref_analyzer():
    return RefTokenizer()


# --- the index job's analysis: each text read once for all its fields -------------------------


@dataclass(frozen=True)
class Analysed:
    """A field value analysed ahead of time, given to the index writer instead of text.

    ``kind`` says what ``terms`` maps each term to:

    * ``"chars"``: its occurrences as ``(position, startchar, endchar)``, in order
      (enough for whoosh's Characters, Positions and Frequency formats);
    * ``"positions"``: its positions, in order (Positions and Frequency);
    * ``"counts"``: how many times it occurs (Frequency).

    Every occurrence has boost 1, as the tokenizers here give.
    """

    kind: str
    terms: dict


class _FormCache:
    """Syllables as written, each with ``(norm_syllable, fold of it)``: one dict
    look-up per token instead of two cached calls (both functions are pure); and
    back, the written syllables seen of each indexed form, so a query finds its
    terms' written forms in a text with set operations (:class:`WrittenSyllables`).

    Nothing is ever removed: a full cache is replaced by an empty one, so a
    thread still holding the old one reads it whole.  A syllable is entered in
    both back maps before ``of``: whatever ``of`` holds, they hold."""

    __slots__ = ("of", "by_norm", "by_fold")

    def __init__(self) -> None:
        self.of: dict[str, tuple[str, str]] = {}
        # an indexed form -> its written syllable, or a tuple of them
        self.by_norm: dict[str, str | tuple[str, ...]] = {}
        self.by_fold: dict[str, str | tuple[str, ...]] = {}

    def learn(self, raw: str) -> tuple[str, str]:
        norm = norm_syllable(raw)
        forms = (norm, fold(norm))
        with _LEARNING:  # read-modify-write of the back maps
            if raw not in self.of:
                _add(self.by_norm, forms[0], raw)
                _add(self.by_fold, forms[1], raw)
                self.of[raw] = forms
        return forms


def _spellings(back: dict[str, str | tuple[str, ...]], forms: Iterable[str]) -> set[str]:
    """The written syllables seen of ``forms`` (indexed forms), by the back map ``back``."""
    out: set[str] = set()
    for form in forms:
        got = back.get(form)
        if got is None:
            continue
        if isinstance(got, str):
            out.add(got)
        else:
            out.update(got)
    return out


def _add(back: dict[str, str | tuple[str, ...]], form: str, raw: str) -> None:
    got = back.get(form)
    back[form] = raw if got is None else (got, raw) if isinstance(got, str) else (*got, raw)


_LEARNING = threading.Lock()
_FORMS_MAX = 200_000
_CACHE = _FormCache()


def _cache() -> _FormCache:
    """The form cache, a new one if the current one is full."""
    global _CACHE
    cache = _CACHE
    if len(cache.of) >= _FORMS_MAX:
        cache = _CACHE = _FormCache()
    return cache


def _learn(raw: str) -> tuple[str, str]:
    return _cache().learn(raw)


class WrittenSyllables:
    """Which syllables as written stand for a query's terms: those whose
    ``norm_syllable`` is in ``norms`` or whose fold is in ``folds``.

    Each written syllable is normalised once per process, not once per query:
    the cache keeps, for each indexed form, the written syllables seen of it,
    so a text's matching syllables are a set intersection."""

    def __init__(self, norms: Iterable[str] = (), folds: Iterable[str] = ()):
        self.norms = frozenset(norms)
        self.folds = frozenset(folds)

    def kept_of(self, raws: set[str]) -> dict[str, tuple[str, str]]:
        """Those of ``raws`` that stand for a term, each with its ``(norm, fold)``."""
        cache = _cache()  # one cache throughout, even if another thread replaces it
        of = cache.of
        for raw in raws.difference(of):
            cache.learn(raw)
        wanted = _spellings(cache.by_norm, self.norms)
        if self.folds:
            wanted |= _spellings(cache.by_fold, self.folds)
        return {raw: of[raw] for raw in wanted.intersection(raws)}


def _syllable_pass(raws: list[str], pairs: bool) -> tuple[dict, dict, dict, dict]:
    """One pass over a text's syllables as written (``SYLLABLE_RE.findall(text)``),
    each normalised and folded once: the terms of the ``syl``-, ``fold``-, ``pair``-
    and ``pair_fold``-like fields (``pairs=False`` leaves the last two empty).

    Equal to :class:`SyllableTokenizer`, ``| FoldFilter()``,
    ``| ShingleFilter(size=2, sep=" ")`` and ``| FoldFilter() | ShingleFilter(...)``
    (which give a one-syllable text its syllable as its only "pair").
    """
    syl: dict[str, list] = {}
    folded: dict[str, list] = {}
    pair: dict[str, int] = {}
    pair_fold: dict[str, int] = {}
    forms = _CACHE.of
    prev = prev_f = None
    pos = -1
    for pos, raw in enumerate(raws):
        got = forms.get(raw)
        s, f = got if got is not None else _learn(raw)
        occ = syl.get(s)
        if occ is None:
            syl[s] = [pos]
        else:
            occ.append(pos)
        occ = folded.get(f)
        if occ is None:
            folded[f] = [pos]
        else:
            occ.append(pos)
        if pairs:
            if prev is not None:
                key = f"{prev} {s}"
                pair[key] = pair.get(key, 0) + 1
                key = f"{prev_f} {f}"
                pair_fold[key] = pair_fold.get(key, 0) + 1
            prev, prev_f = s, f
    if pairs and pos == 0 and prev is not None and prev_f is not None:  # ShingleFilter: one token -> itself
        pair[prev] = 1
        pair_fold[prev_f] = 1
    return syl, folded, pair, pair_fold


def title_fields(title: str) -> tuple[Analysed, Analysed]:
    """``title`` and ``title_fold`` of a title (as :func:`syllable_analyzer` and :func:`fold_analyzer`)."""
    syl, folded, _, _ = _syllable_pass(SYLLABLE_RE.findall(title), pairs=False)
    return Analysed("positions", syl), Analysed("positions", folded)


def body_fields(body: str) -> tuple[Analysed, Analysed, Collection[str], Analysed, Layout]:
    """``syl``, ``fold``, the accented pairs, ``pair_fold`` and the :class:`Layout`
    of a body, from one reading.  The accented pairs are not a field: the scoring
    sidecar counts which bulletins hold each (:class:`searcher.sidecar.PairCounts`)."""
    items = READ.findall(body)
    raws = [x for x in items if x]
    syl, folded, pair, pair_fold = _syllable_pass(raws, pairs=True)
    return (
        Analysed("positions", syl),
        Analysed("positions", folded),
        pair.keys(),
        Analysed("counts", pair_fold),
        Layout.of_items(items),
    )


def body_pairs(body: str) -> Collection[str]:
    """The distinct accented pairs of a body (as :func:`body_fields` gives them)."""
    return _syllable_pass(SYLLABLE_RE.findall(body), pairs=True)[2].keys()


# How a body is read for its passages and snippets: its syllables (SYLLABLE_RE) and,
# as empty matches, its sentence ends: a run of whitespace after . ! ? ; or : (taken
# with the mark, which no syllable holds), or of newlines.
SENTENCE_END = r"[.!?;:]\s+|\n+"
READ = re.compile(rf"({SYLLABLE_RE.pattern})|{SENTENCE_END}")


@dataclass(frozen=True)
class Layout:
    """A body as :data:`READ` reads it, as each bulletin stores it, so that a search
    reads no whole body for its snippets or passages:

    * ``syllables``: the distinct syllables as written, sorted, space-separated (a
      syllable never holds a space);
    * ``stream``: each syllable in order as its place in that list, then the
      sentence ends as how many syllables stand before each (:meth:`positions`).
    """

    syllables: str
    stream: bytes

    @classmethod
    def of_items(cls, items: list[str]) -> Layout:
        """The layout of ``READ.findall(text)``: syllables, and "" for each sentence end."""
        distinct = sorted(set(items).difference(("",)))
        place = {raw: i for i, raw in enumerate(distinct)}
        ids = array(_U16 if len(distinct) <= 0xFFFF else _U32)
        ends = array(_U32)
        for x in items:
            if x:
                ids.append(place[x])
            else:
                ends.append(len(ids))
        if sys.byteorder == "big":  # stored little-endian, as positions() reads them
            ids.byteswap()
            ends.byteswap()
        head = _STREAM_HEAD.pack(ids.itemsize, len(ids))
        return cls(" ".join(distinct), head + ids.tobytes() + ends.tobytes())

    @classmethod
    def of_text(cls, text: str) -> Layout:
        return cls.of_items(READ.findall(text))

    @cached_property
    def listed(self) -> list[str]:
        """The body's distinct syllables as written, sorted: a syllable's id is its place here."""
        return self.syllables.split(" ") if self.syllables else []

    def distinct(self) -> set[str]:
        """The body's distinct syllables as written."""
        return set(self.listed)

    def positions(self):
        """``(ids, ends)`` as numpy arrays: each syllable's place in the sorted distinct
        list, in text order; for each sentence end, how many syllables precede it.
        A stream that does not hold that (a damaged stored field) raises ``struct.error``."""
        import numpy as np

        width, n = _STREAM_HEAD.unpack_from(self.stream)
        at = _STREAM_HEAD.size
        rest = len(self.stream) - at - width * n
        if width not in (2, 4) or rest < 0 or rest % 4:
            raise struct.error(f"a stored layout of {len(self.stream)} bytes does not hold {n} syllables")
        ids = np.frombuffer(self.stream, dtype="<u2" if width == 2 else "<u4", count=n, offset=at)
        ends = np.frombuffer(self.stream, dtype="<u4", offset=at + width * n)
        if n and int(ids.max()) >= len(self.listed):
            raise struct.error("a stored layout names a syllable its list does not hold")
        return ids, ends


def stored_layout(fields: dict) -> Layout | None:
    """The :class:`Layout` a bulletin's stored fields hold, or None (an index built before them)."""
    syllables, stream = fields.get("body_syllables"), fields.get("body_stream")
    if not isinstance(syllables, str) or not isinstance(stream, bytes):
        return None
    return Layout(syllables, stream)


_STREAM_HEAD = struct.Struct("<BI")  # the width of a syllable's place (2 or 4 bytes), how many syllables
_U16, _U32 = "H", next(t for t in "IL" if array(t).itemsize == 4)  # array typecodes of 2 and 4 bytes


def counts(terms: Iterable[str]) -> Analysed:
    """A pre-analysed Frequency field: each term with how often it occurs."""
    out: dict[str, int] = {}
    for t in terms:
        out[t] = out.get(t, 0) + 1
    return Analysed("counts", out)


def word_counts(text: str) -> Analysed:
    """The ``word`` field of a text (as :func:`word_analyzer`, whose format keeps counts only)."""
    return counts(word for word, _, _ in word_spans(text))
