"""Exact top-k for bantin's whoosh queries, scored with numpy.

The query trees of :mod:`searcher.query` are ``Term``, ``Or``, ``And``,
``AndMaybe`` and ``AndNot`` (plus ``Phrase`` for quoted text).  Each segment is
evaluated node by node into what the node matches there, and what that costs
follows the postings, not the size of the segment:

* a ``Term`` reads its postings from the segment's sidecar
  (:mod:`searcher.sidecar`) and computes BM25F in one vectorised step, with the
  very statistics whoosh uses (its idf, average field length, per-field B and
  K1, the byte-encoded field lengths), so scores equal whoosh's;
* terms the sidecar leaves out (rare ones), segments without a sidecar, and any
  other query node (phrases) are run by whoosh's own matchers on that segment;
* compound nodes combine their parts the way whoosh's matchers combine scores
  (sums; boosts on compounds of two or more, as whoosh applies them).

What a node matches is kept *sparse* — its sorted document numbers and their
scores — and merged with sorted-array operations: an OR stable-sorts the
concatenated lists (a merge of sorted runs) and sums each document's scores
with ``bincount``; AND, AND-MAYBE and AND-NOT align sorted lists by binary
search or a position table.  Only an OR whose postings cover a large share of
the segment is summed *dense* (a mask and a score per document, in arrays the
segment keeps for reuse), see :data:`DENSE_SHARE`.  On a large segment an AND
evaluates first the part expected to match fewest documents (by document
frequency), and every other part only within the documents still left (an OR
unites its parts among them), so a common word costs its postings' reading,
not a pass over the segment (:data:`NARROW_MIN_DOCS`), and once its counts are
kept dense, only the documents left (:data:`COUNTS_SHARE`).  Compound nodes take their
parts one at a time, so a query holds about one part's arrays at once.  Either
way every document's score is added up in the same order as the dense arrays
of earlier versions did (the parts of a node left to right), so the scores are
the same to the last bit.

The result is every matching document, so the ``total`` is exact and the top k
are sorted like whoosh's collector sorts them (score, then document number).
"""

from __future__ import annotations

import math
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from .errors import DamagedFileError
from .navigation import Columns
from .pair_postings import FIELD as PAIR_FIELD
from .pair_postings import PairPostings
from .sidecar import Sidecar

_STATS_CACHE = 100_000  # (field, term) -> (idf, average length) kept per opened index
_TERM_CACHE_BYTES = 64 << 20  # scored postings kept, the least recently used dropped first
_COUNTS_CACHE_BYTES = 32 << 20  # common terms' counts kept dense (see COUNTS_SHARE), likewise

# A node goes dense (a bool mask and a float64 score for every document of the
# segment) only when an OR's postings add up to more than 1/DENSE_SHARE of the
# segment's documents, and stays dense only while it matches more than that.  A
# sparse OR (stable sort of the concatenated postings, a merge of sorted runs, then
# bincount) costs ~15-20 ns a posting; a dense one ~1 ns a document of the segment
# (clearing, counting and listing the arrays) plus ~3-10 ns a posting (scattered
# writes).  On whole 26-term queries at 12.5k-1M documents the optimum is flat from
# 1/4 to 1/32; sparse-only is 2-3x slower on common words, dense-always costs the
# whole segment on rare ones (benchmarks/results/bench_executor.md).
DENSE_SHARE = 8
# Aligning two sorted document lists (AND, AND-MAYBE, AND-NOT, filters): binary
# search costs log2(longer) probes for each document of the shorter list, a position
# table (kept per segment, see _Scratch) one write and one read per document of
# either list, each about TABLE_PROBES probes.
TABLE_PROBES = 2.0
# On a segment of at least NARROW_MIN_DOCS documents an AND narrows: it evaluates
# first the part expected to match fewest documents, and the others only within the
# documents left.  Below it, each part is evaluated whole, in query order: the
# ordering and aligning cost more than they save (all_query of the 55 short queries
# of bench_index.py, 6k-document segments: 0.38 ms whole, 0.53 ms narrowed; the 20
# questions of bench_whole_corpus.py on its two 40k-document segments: 18.7 -> 17.3 ms
# of executor time each, interleaved runs).
NARROW_MIN_DOCS = 16_384
# An OR inside an AND is evaluated only within the documents the AND has left when
# they are fewer than 1/NARROW_SHARE of its postings (each term aligned with them);
# otherwise it is summed whole, which costs less per posting, and the AND intersects it.
NARROW_SHARE = 8
# A term in more than 1/COUNTS_SHARE of a large segment's documents (by its
# index-wide document frequency), asked for only within the documents an AND has
# left, is read from its counts kept dense: a byte per document of the segment (two
# if a count needs it), where its scored postings take 16 bytes a posting (as much,
# for one-byte counts, at a share of 1/16), and looked up at those documents alone,
# so a common word costs the documents left, not its postings.  The long questions of
# bench_whole_corpus.py (two 40k-document segments) read ~650 such terms: 140 MB as
# scored postings, which cycled through the 64 MB cache, 27 MB as counts.
COUNTS_SHARE = 16

_NO_DOCS = np.zeros(0, dtype=np.intp)
_NO_SCORES = np.zeros(0)
# whoosh stores a field length as one byte; these are the lengths the 256 bytes stand for
_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)


class _Scratch:
    """Per-segment arrays reused from query to query (and thread to thread: each
    is taken out while in use).  On a large segment, fresh arrays cost more in page
    faults than the work done in them: a 1M-document score array is 2,000 pages."""

    KEEP = 2  # spare (mask, score) pairs kept: a query tree has ~1 dense node alive at a time

    def __init__(self, n: int):
        self.n = n
        self._dense: list[tuple[np.ndarray, np.ndarray]] = []
        self._tables: list[np.ndarray] = []

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """A mask and a score array of the segment, all False / 0."""
        try:
            mask, score = self._dense.pop()
        except IndexError:
            return np.zeros(self.n, dtype=bool), np.zeros(self.n)
        mask.fill(False)
        score.fill(0.0)
        return mask, score

    def give_dense(self, mask: np.ndarray, score: np.ndarray) -> None:
        if len(self._dense) < self.KEEP:
            self._dense.append((mask, score))

    def table(self) -> np.ndarray:
        """A position per document of the segment, all -1 (and to be given back so)."""
        try:
            return self._tables.pop()
        except IndexError:
            return np.full(self.n, -1, dtype=np.int32)

    def give_table(self, table: np.ndarray) -> None:
        if not self._tables:
            self._tables.append(table)


class _Hits:
    """What one query node matches in one segment, in one of two forms:

    * sparse: ``docs`` (sorted, unique document numbers, ``intp``) and ``vals``
      (their float64 scores); ``mask``/``score`` are None;
    * dense: ``mask`` (bool per document) and ``score`` (float64 per document,
      0 wherever ``mask`` is False); ``docs``/``vals`` are None.  The arrays come
      from the segment's :class:`_Scratch` and go back to it with this object, so
      they belong to it alone: what combines a dense node changes it in place.

    ``size`` is how many documents match either way."""

    __slots__ = ("_scratch", "docs", "vals", "mask", "score", "size")

    def __init__(self, docs: np.ndarray, vals: np.ndarray):
        self._scratch = None
        self.docs, self.vals, self.mask, self.score = docs, vals, None, None
        self.size = len(docs)

    @classmethod
    def of_arrays(cls, mask: np.ndarray, score: np.ndarray, scratch: _Scratch) -> _Hits:
        """A dense node of ``scratch``'s arrays, or sparse if it matches a small share."""
        size = int(np.count_nonzero(mask))
        if size * DENSE_SHARE <= scratch.n:
            docs = np.flatnonzero(mask)
            hits = cls(docs, score[docs])
            scratch.give_dense(mask, score)
            return hits
        hits = cls.__new__(cls)
        hits.docs = hits.vals = None
        hits.mask, hits.score, hits.size, hits._scratch = mask, score, size, scratch
        return hits

    def __del__(self):
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            scratch.give_dense(self.mask, self.score)

    @property
    def dense(self) -> bool:
        return self.mask is not None

    def sparse(self) -> tuple[np.ndarray, np.ndarray]:
        """``(docs, vals)``, listing a dense form."""
        if self.mask is None:
            return self.docs, self.vals
        docs = np.flatnonzero(self.mask)
        return docs, self.score[docs]

    def scaled(self, boost: float) -> _Hits:
        if self.mask is None:
            return _Hits(self.docs, self.vals * boost)
        self.score *= boost
        return self

    def settled(self) -> _Hits:
        """This dense node after its mask lost documents: recounted, sparse if now small."""
        scratch, self._scratch = self._scratch, None
        return _Hits.of_arrays(self.mask, self.score, scratch)


_EMPTY = _Hits(_NO_DOCS, _NO_SCORES)


def _align(keys: np.ndarray, docs: np.ndarray, scratch: _Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(i, j)``, both increasing, with ``keys[i] == docs[j]``: the documents
    two sorted unique lists share."""
    if not len(keys) or not len(docs):
        return _NO_DOCS, _NO_DOCS
    swap = len(keys) > len(docs)
    short, long_ = (docs, keys) if swap else (keys, docs)
    if len(short) * math.log2(len(long_)) > TABLE_PROBES * (len(short) + len(long_)):
        table = scratch.table()
        table[short] = np.arange(len(short), dtype=np.int32)
        at = table[long_]
        table[short] = -1
        scratch.give_table(table)
        b = np.flatnonzero(at >= 0)
        a = at[b].astype(np.intp)
    else:
        b = np.searchsorted(long_, short)
        np.minimum(b, len(long_) - 1, out=b)
        a = np.flatnonzero(long_[b] == short)
        b = b[a]
    return (b, a) if swap else (a, b)  # short[a] == long_[b]


def _within(docs: np.ndarray, h: _Hits, scratch: _Scratch) -> np.ndarray:
    """Positions in ``docs`` (sorted) of the documents ``h`` matches."""
    if h.mask is not None:
        return np.flatnonzero(h.mask[docs])
    return _align(docs, h.docs, scratch)[0]


def _scores_within(docs: np.ndarray, h: _Hits, scratch: _Scratch) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_within`, and ``h``'s scores of those documents."""
    if h.mask is not None:
        i = np.flatnonzero(h.mask[docs])
        return i, h.score[docs[i]]
    i, j = _align(docs, h.docs, scratch)
    return i, h.vals[j]


def _or(parts: Iterable[_Hits], scratch: _Scratch) -> _Hits:
    """Union, each document's scores summed in part order (as a dense sum would).

    Parts are taken one at a time: while their postings add up to at most
    1/:data:`DENSE_SHARE` of the segment they are kept, and merged at the end;
    past that, they go into dense sums, and each later part is added in and let go."""
    pending: list[_Hits] = []
    postings = 0
    mask = score = None
    for h in parts:
        if not h.size:
            continue
        if mask is None:
            postings += h.size
            if postings * DENSE_SHARE <= scratch.n and not h.dense:
                pending.append(h)
                continue
            mask, score = scratch.dense()
            for p in pending:
                _add_into(mask, score, p)
            pending = []
        _add_into(mask, score, h)
        del h  # let it go before the next part is evaluated
    if mask is not None:
        return _Hits.of_arrays(mask, score, scratch)
    if len(pending) < 2:
        return pending[0] if pending else _EMPTY
    docs = np.concatenate([p.docs for p in pending])
    vals = np.concatenate([p.vals for p in pending])
    del pending
    order = np.argsort(docs, kind="stable")  # a merge of sorted runs; keeps part order within a document
    docs = docs[order]
    first = np.empty(len(docs), dtype=bool)
    first[0] = True
    np.not_equal(docs[1:], docs[:-1], out=first[1:])
    group = np.cumsum(first) - 1
    # bincount adds in array order: 0 + first part + second part ..., like the dense sum
    return _Hits(docs[first], np.bincount(group, weights=vals[order]))


def _add_into(mask: np.ndarray, score: np.ndarray, h: _Hits) -> None:
    if h.mask is not None:
        mask |= h.mask
        score += h.score
    else:
        mask[h.docs] = True
        np.add.at(score, h.docs, h.vals)  # unique documents: one addition each, no temporary


def dense_counts(docs: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray | None:
    """A term's postings as its count in each of ``n`` documents (0: absent), in one
    byte each, or two if a count needs them; None if a weight is not a whole number
    from 1 to 65,535 (the BM25F of a count read back is then that of the posting)."""
    if not len(weights):
        return np.zeros(n, dtype=np.uint8)
    top = float(weights.max())
    if float(weights.min()) < 1 or top > 0xFFFF:
        return None
    counts = np.zeros(n, dtype=np.uint8 if top <= 0xFF else np.uint16)
    counts[docs] = weights
    if not np.array_equal(counts[docs], weights):  # a fraction was cut
        return None
    return counts


_MISSING = object()


class _SizedLRU(OrderedDict):
    """Values by key whose sizes (``size(value)``) add up to at most the budget each
    :meth:`keep` is given, the least recently used dropped first; ``nbytes``: their sum."""

    def __init__(self, size: Callable[[object], int]):
        super().__init__()
        self.size = size
        self.nbytes = 0

    def recall(self, key):
        """The value kept for ``key``, now the most recently used, or ``_MISSING``."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            self.move_to_end(key)
        return value

    def keep(self, key, value, budget: int) -> None:
        """Keep ``value`` (not if it alone exceeds ``budget``), dropping the least recently used."""
        size = self.size(value)
        if size > budget:
            return
        while self and self.nbytes + size > budget:
            _, gone = self.popitem(last=False)
            self.nbytes -= self.size(gone)
        self[key] = value
        self.nbytes += size

    def clear(self) -> None:
        super().clear()
        self.nbytes = 0


def _counts_bytes(counts: np.ndarray | None) -> int:
    return 64 if counts is None else counts.nbytes  # a None kept counts too: the cache stays bounded


def _conjuncts(q: wq.Query) -> list[wq.Query]:
    """The parts of an AND, nested ANDs opened (they match the same documents), or []."""
    if type(q) is not wq.And or getattr(q, "minmatch", 0) or not q.subqueries:
        return []
    out: list[wq.Query] = []
    for sub in q.subqueries:
        out += _conjuncts(sub) or [sub]
    return out


class _Fewer(Exception):
    """An AND asked only whether it matches ``fewer_than`` documents stopped early:
    at most ``bound`` (fewer than that) were left."""

    def __init__(self, bound: int):
        super().__init__(bound)
        self.bound = bound


def _and(
    parts: Iterable[tuple[int, Callable[[np.ndarray | None], _Hits]]], within, scratch: _Scratch, fewer_than: int = 0
) -> _Hits:
    """Intersection, each document's scores summed in part order.

    ``parts`` are ``(place, evaluate)`` pairs in the order to evaluate them;
    ``place`` is the part's place in the query, the order its scores are added in.
    ``evaluate(documents)`` gives what the part matches, and may leave out what is
    not among ``documents`` (the documents still left: ``within`` for the first
    part, None meaning the whole segment); none is evaluated once nothing is left,
    and with ``fewer_than``, none once fewer documents than that are left
    (:class:`_Fewer` is raised: the documents left only ever shrink)."""
    keys = within
    found: dict[int, np.ndarray] = {}  # place -> scores of the documents in keys
    for place, evaluate in parts:
        if keys is not None and len(keys) < fewer_than:
            raise _Fewer(len(keys))
        h = evaluate(keys)
        if not h.size:
            return _EMPTY
        if keys is None:
            keys, found[place] = h.sparse()
            continue
        i, vals = _scores_within(keys, h, scratch)
        del h  # let the part go before the next one is evaluated
        if not len(i):
            return _EMPTY
        if len(i) < len(keys):
            keys = keys[i]
            for k, v in found.items():
                found[k] = v[i]
        found[place] = vals
    if keys is None:
        return _EMPTY
    acc = None
    for place in sorted(found):
        acc = found[place] if acc is None else acc + found[place]
    return _Hits(keys, acc)


def _or_within(parts: Iterable[_Hits], within: np.ndarray, scratch: _Scratch) -> _Hits:
    """Union, among the documents ``within`` (sorted), of what the parts match,
    each document's scores summed in part order (0 + first part + second part ...,
    as the dense sum)."""
    acc = seen = None
    for h in parts:
        if not h.size:
            continue
        i, vals = _scores_within(within, h, scratch)
        if not len(i):
            continue
        if acc is None:
            acc, seen = np.zeros(len(within)), np.zeros(len(within), dtype=bool)
        acc[i] += vals  # each document once per part
        seen[i] = True
    if acc is None:
        return _EMPTY
    sel = np.flatnonzero(seen)
    return _Hits(within[sel], acc[sel])


def _and_maybe(a: _Hits, b: _Hits, scratch: _Scratch) -> _Hits:
    """``a``'s documents; those ``b`` matches too score ``a + b``."""
    if not a.size or not b.size:
        return a
    if a.mask is not None:
        if b.mask is not None:
            np.add(a.score, b.score, out=a.score, where=a.mask & b.mask)
        else:
            inside = np.flatnonzero(a.mask[b.docs])
            np.add.at(a.score, b.docs[inside], b.vals[inside])
        return a
    if b.mask is not None:
        return _Hits(a.docs, a.vals + b.score[a.docs])  # b's score is 0 where b does not match
    vals = a.vals.copy()
    i, j = _align(a.docs, b.docs, scratch)
    vals[i] += b.vals[j]
    return _Hits(a.docs, vals)


def _and_not(a: _Hits, b: _Hits, scratch: _Scratch) -> _Hits:
    """``a``'s documents that ``b`` does not match."""
    if not a.size or not b.size:
        return a
    if a.mask is not None:
        gone = b.mask if b.mask is not None else b.docs
        a.mask[gone] = False
        a.score[gone] = 0.0
        return a.settled()
    keep = np.ones(a.size, dtype=bool)
    keep[_within(a.docs, b, scratch)] = False
    sel = np.flatnonzero(keep)
    return _Hits(a.docs[sel], a.vals[sel])


class Matches:
    """Every matching document of a query: per segment, its sorted document
    numbers (``docs``) and their scores (``values``).

    ``masks`` and ``scores`` give the same as dense arrays per segment (a bool
    mask, and a score per document, 0 where it does not match), built on first
    use: facet counting reads the masks."""

    def __init__(self, leaves: list[_Leaf], docs: list[np.ndarray], values: list[np.ndarray]):
        self.leaves = leaves
        self.docs = docs
        self.values = values
        self._masks: list[np.ndarray] | None = None
        self._scores: list[np.ndarray] | None = None

    @property
    def total(self) -> int:
        return int(sum(len(d) for d in self.docs))

    @property
    def masks(self) -> list[np.ndarray]:
        if self._masks is None:
            masks = []
            for leaf, d in zip(self.leaves, self.docs):
                m = np.zeros(leaf.n, dtype=bool)
                m[d] = True
                masks.append(m)
            self._masks = masks
        return self._masks

    @property
    def scores(self) -> list[np.ndarray]:
        if self._scores is None:
            scores = []
            for leaf, d, v in zip(self.leaves, self.docs, self.values):
                s = np.zeros(leaf.n)
                s[d] = v
                scores.append(s)
            self._scores = scores
        return self._scores


@dataclass(frozen=True)
class Ranked:
    """The exact top documents of a query and how many matched in all."""

    docnums: list[int]
    scores: list[float]
    total: int


class _Leaf:
    """One segment: its whoosh searcher, document range, deletions and sidecar."""

    def __init__(self, searcher, offset: int, folder: Path):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.offset = offset
        self.n = self.reader.doc_count_all()
        self.live = None
        if self.reader.has_deletions():
            self.live = np.ones(self.n, dtype=bool)
            self.live[list(self.reader.deleted_docs_set)] = False  # the set whoosh's postings filter by
        segment = getattr(self.reader, "segment", lambda: None)()
        self.sidecar = Sidecar.open(folder, segment) if segment is not None else None
        if self.sidecar is not None and self.sidecar.documents != self.n:
            raise sqlite3.DatabaseError(
                f"sidecar of {segment.segment_id()} has {self.sidecar.documents} documents, segment {self.n}"
            )
        # the segment's pair_fold postings, when they are not whoosh's (searcher.pair_postings)
        self.pairs = PairPostings.open(folder, segment) if segment is not None else None
        if self.pairs is not None and self.pairs.documents != self.n:
            documents = self.pairs.documents
            self.close()
            raise DamagedFileError(
                f"pair postings of {segment.segment_id()} have {documents} documents, segment {self.n}"
            )
        self.columns = Columns(self.reader, self.n)
        self.scratch = _Scratch(self.n)
        self._length_codes: dict[str, np.ndarray | None] = {}
        self._lengths: dict[str, np.ndarray] = {}

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length of ``field`` as BM25F reads it: the sidecar's, or
        whoosh's (a segment without a sidecar whose pairs are in their own file)."""
        if self.sidecar is not None:
            return self.sidecar.lengths(field)
        found = self._lengths.get(field)
        if found is None:
            dfl = self.reader.doc_field_length
            found = self._lengths[field] = np.array([dfl(d, field, 1) or 0 for d in range(self.n)], dtype=np.float64)
        return found

    def length_codes(self, field: str) -> np.ndarray | None:
        """Each document's length of ``field`` as its whoosh byte (an index into
        ``_LENGTHS``), or None if the sidecar's lengths are not all such values.
        Reading a byte per posting instead of a float64 misses the cache far less."""
        try:
            return self._length_codes[field]
        except KeyError:
            pass
        lengths = self.lengths(field)
        codes = np.searchsorted(_LENGTHS, lengths)
        np.minimum(codes, 255, out=codes)
        ok = np.array_equal(_LENGTHS[codes], lengths)
        found = self._length_codes[field] = codes.astype(np.uint8) if ok else None
        return found

    def close(self) -> None:
        if self.sidecar is not None:
            self.sidecar.close()
        if self.pairs is not None:
            self.pairs.close()


class _Frequencies:
    """What a whoosh weighting model asks of a searcher for a term's idf, answered
    by the executor (whose document frequencies count the pair postings kept apart)."""

    def __init__(self, executor: QueryExecutor):
        self._executor = executor

    def get_parent(self) -> _Frequencies:
        return self

    def doc_frequency(self, fieldname: str, text) -> int:
        return self._executor.doc_frequency(fieldname, text)

    def doc_count_all(self) -> int:
        return self._executor.searcher.doc_count_all()


class QueryExecutor:
    """Runs queries over the segments of one opened whoosh searcher."""

    def __init__(self, searcher, folder: str | Path):
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.bm25f = isinstance(searcher.weighting, scoring.BM25F)
        self.leaves = [_Leaf(s, off, Path(folder)) for s, off in searcher.leaf_searchers()]
        self._stats: dict[tuple[str, bytes], tuple[float, float]] = {}
        self._df: dict[tuple[str, object], int] = {}  # (field, text) -> index-wide document frequency
        self._doc_count = sum(leaf.n for leaf in self.leaves)
        # (segment, field, term) -> its documents and unboosted BM25F scores, read-only:
        # the readings of one query repeat their terms, and queries share common ones.
        # Valid as long as this generation is open (index-wide statistics never change).
        self._scored = _SizedLRU(lambda v: v[0].nbytes + v[1].nbytes)
        # (segment, field, term) -> a common term's count in each document of the segment
        # (0: absent), read-only; None: the term cannot be held so (see _counts)
        self._dense_counts = _SizedLRU(_counts_bytes)

    def close(self) -> None:
        for leaf in self.leaves:
            leaf.close()

    def doc_frequency(self, fieldname: str, text) -> int:
        """How many bulletins hold the term (deleted ones until their segment is
        merged, as whoosh counts): whoosh's answer, or the pair postings' for
        ``pair_fold`` in segments that keep them apart."""
        schema = self.searcher.schema
        if fieldname not in schema:
            return 0
        try:
            btext = schema[fieldname].to_bytes(text)
        except ValueError:
            return 0
        if fieldname != PAIR_FIELD:
            return self.searcher.doc_frequency(fieldname, btext)
        return sum(
            leaf.pairs.doc_frequency(btext) if leaf.pairs is not None else leaf.reader.doc_frequency(fieldname, btext)
            for leaf in self.leaves
        )

    def pair_count(self, pair: str) -> int:
        """How many bulletins hold the accented ``pair`` (deleted ones until their
        segment is merged, as whoosh's document frequencies)."""
        return sum(leaf.sidecar.pair_count(pair) for leaf in self.leaves if leaf.sidecar is not None)

    # -- top level ---------------------------------------------------------------

    def top(self, q: wq.Query, limit: int, allow: wq.Query | None = None) -> Ranked:
        """The ``limit`` best documents for ``q`` (optionally only those matching ``allow``)."""
        return self.ranked(self.match(q, allow), limit)

    def match(
        self,
        q: wq.Query | None,
        allow: wq.Query | None = None,
        keep: Callable[[_Leaf], np.ndarray | None] | None = None,
    ) -> Matches:
        """Every document matching ``q`` (``None``: every document, score 0) and
        ``allow``, and kept by ``keep(leaf)`` (a mask over a segment, or None)."""
        all_docs, all_vals = [], []
        for leaf in self.leaves:
            if q is None:
                docs, vals = np.arange(leaf.n, dtype=np.intp), np.zeros(leaf.n)
            else:
                docs, vals = self._eval(q, leaf).sparse()
            docs, vals = self._let_through(docs, vals, leaf, allow, keep)
            all_docs.append(docs)
            all_vals.append(vals)
        return Matches(self.leaves, all_docs, all_vals)

    def reaches(
        self,
        q: wq.Query,
        n: int,
        allow: wq.Query | None = None,
        keep: Callable[[_Leaf], np.ndarray | None] | None = None,
    ) -> bool:
        """Whether ``q`` matches at least ``n`` documents (those ``allow`` and ``keep``
        let through): ``match(q, allow, keep).total >= n``.  An AND stops in each
        segment as soon as fewer than ``n`` documents are left there (what it matches
        only ever shrinks as parts are added); if the segments' leftovers add up to
        fewer than ``n`` too, the answer is no, the AND's commonest parts unread."""
        subs = _conjuncts(q)
        if len(subs) < 2 or n < 1:
            return self.match(q, allow, keep).total >= n
        count = bound = 0
        stopped = []
        for leaf in self.leaves:
            try:
                docs, vals = self._conjunction(subs, leaf, None, fewer_than=n).sparse()
            except _Fewer as few:
                bound += few.bound
                stopped.append(leaf)
                continue
            count += len(self._let_through(docs, vals, leaf, allow, keep)[0])
            if count >= n:
                return True
        if count + bound < n:
            return False
        for leaf in stopped:  # fewer than n each, enough together perhaps: counted exactly
            docs, vals = self._conjunction(subs, leaf, None).sparse()
            count += len(self._let_through(docs, vals, leaf, allow, keep)[0])
        return count >= n

    def _let_through(
        self,
        docs: np.ndarray,
        vals: np.ndarray,
        leaf: _Leaf,
        allow: wq.Query | None,
        keep: Callable[[_Leaf], np.ndarray | None] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The documents (and scores) of ``leaf`` that ``allow``, ``keep`` and its deletions let through."""
        sel = None  # positions in docs still wanted (None: all)
        if allow is not None and len(docs):
            sel = _within(docs, self._eval(allow, leaf, docs if leaf.n >= NARROW_MIN_DOCS else None), leaf.scratch)
        if keep is not None and len(docs):
            k = keep(leaf)
            if k is not None:
                sel = np.flatnonzero(k[docs]) if sel is None else sel[k[docs[sel]]]
        if leaf.live is not None and len(docs):
            sel = np.flatnonzero(leaf.live[docs]) if sel is None else sel[leaf.live[docs[sel]]]
        if sel is not None:
            docs, vals = docs[sel], vals[sel]
        return docs, vals

    def ranked(
        self,
        matches: Matches,
        limit: int,
        offset: int = 0,
        order: Callable[[_Leaf], np.ndarray] | None = None,
    ) -> Ranked:
        """Documents ``offset`` to ``offset + limit`` of ``matches``, best first
        (score, then document number, as whoosh's collector sorts), or by
        ``order(leaf)`` (smaller first), then score, then document number."""
        starts = np.cumsum([0] + [leaf.n for leaf in matches.leaves])
        if matches.docs:
            docs = np.concatenate([d + start for d, start in zip(matches.docs, starts)])
            s = np.concatenate(matches.values)
        else:
            docs, s = _NO_DOCS, _NO_SCORES
        total = len(docs)
        want = offset + limit
        if total == 0 or offset >= total:
            return Ranked([], [], total)
        if order is None:
            if total > want:
                kth = np.partition(s, total - want)[total - want]  # the want-th best score
                keep = s >= kth
                docs, s = docs[keep], s[keep]
            idx = np.lexsort((docs, -s))[offset:want]  # score descending, then document number
        else:
            key = np.concatenate([order(leaf)[d] for leaf, d in zip(matches.leaves, matches.docs)])
            idx = np.lexsort((docs, -s, key))[offset:want]
        return Ranked(docs[idx].tolist(), s[idx].tolist(), total)

    # -- one segment ---------------------------------------------------------------

    def _eval(self, q: wq.Query, leaf: _Leaf, within: np.ndarray | None = None) -> _Hits:
        """What ``q`` matches in ``leaf``, with its scores.  With ``within`` (sorted
        document numbers) only those matter: what is outside them may be left out
        (an OR summed among them, a common term read from its counts) or not (a
        term's whole postings, cheaper to intersect once where they are used than
        to cut here)."""
        kind = type(q)
        if kind is wq.Term:
            return self._term(q, leaf, within)
        if kind in (wq.Or, wq.And) and not getattr(q, "scale", None) and not getattr(q, "minmatch", 0):
            subs = q.subqueries
            if not subs:
                return _EMPTY
            if len(subs) == 1:  # whoosh drops the compound (and its boost) around a single query
                return self._eval(subs[0], leaf, within)
            if kind is wq.Or and (within is None or len(within) * NARROW_SHARE > self._share(q, leaf)):
                # (few of the OR's postings would be left out: summed whole)
                hits = _or((self._eval(sub, leaf) for sub in subs), leaf.scratch)  # evaluated as they are combined
            elif kind is wq.Or:  # each term's postings aligned with `within`, and summed there
                hits = _or_within((self._eval(sub, leaf, within) for sub in subs), within, leaf.scratch)
            else:
                hits = self._conjunction(subs, leaf, within)
            if q.boost != 1.0 and hits.size:
                hits = hits.scaled(q.boost)
            return hits
        if kind in (wq.AndMaybe, wq.AndNot):
            a = self._eval(q.a, leaf, within)
            if not a.size:
                return a
            b = self._eval(q.b, leaf, a.docs if leaf.n >= NARROW_MIN_DOCS and not a.dense else None)
            return _and_maybe(a, b, leaf.scratch) if kind is wq.AndMaybe else _and_not(a, b, leaf.scratch)
        return self._by_whoosh(q.matcher(leaf.searcher, leaf.searcher.context()))

    def _conjunction(self, subs: list[wq.Query], leaf: _Leaf, within: np.ndarray | None, fewer_than: int = 0) -> _Hits:
        """The AND of ``subs`` in ``leaf`` (unboosted); see :func:`_and` for ``fewer_than``."""
        if leaf.n >= NARROW_MIN_DOCS:
            # The part expected to match fewest first; the others only within what it matched.
            order = sorted(range(len(subs)), key=lambda i: self._estimate(subs[i]))
            return _and([(i, partial(self._eval, subs[i], leaf)) for i in order], within, leaf.scratch, fewer_than)
        # a small segment: each part whole, in query order, intersected
        parts = [(i, partial(self._whole, sub, leaf)) for i, sub in enumerate(subs)]
        return _and(parts, None, leaf.scratch, fewer_than)

    def _whole(self, q: wq.Query, leaf: _Leaf, _within: np.ndarray | None) -> _Hits:
        """What ``q`` matches in the whole of ``leaf`` (an AND part of a small segment)."""
        return self._eval(q, leaf)

    def _estimate(self, q: wq.Query) -> float:
        """How many documents ``q`` may match in the whole index, roughly and cheaply
        (document frequencies): the order an AND evaluates its parts in."""
        kind = type(q)
        if kind is wq.Term:
            key = (q.fieldname, q.text)
            df = self._df.get(key)
            if df is None:
                if len(self._df) >= _STATS_CACHE:
                    self._df.clear()
                df = self._df[key] = self.doc_frequency(q.fieldname, q.text)
            return df
        if kind is wq.Or:
            return sum(self._estimate(sub) for sub in q.subqueries)
        if kind is wq.And:
            return min((self._estimate(sub) for sub in q.subqueries), default=0)
        if kind in (wq.AndMaybe, wq.AndNot):
            return self._estimate(q.a)
        return math.inf  # phrases and the like: last, within what the others left

    def _share(self, q: wq.Query, leaf: _Leaf) -> float:
        """:meth:`_estimate` scaled to ``leaf``'s share of the index's documents."""
        total = self._doc_count or 1
        return self._estimate(q) * leaf.n / total

    def _term(self, q: wq.Term, leaf: _Leaf, within: np.ndarray | None = None) -> _Hits:
        """The documents and scores of one term in ``leaf``: its whole postings, or
        with ``within`` (a large segment's documents an AND has left) perhaps only
        those among them (a common term, from its counts: :data:`COUNTS_SHARE`)."""
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return _EMPTY
        field = schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return _EMPTY
        key = (leaf.offset, q.fieldname, btext)
        scored = self._scored.recall(key)
        if scored is _MISSING:
            if (
                within is not None
                and leaf.n >= NARROW_MIN_DOCS
                and (counts := self._counts(key, q, leaf, field.scorable)) is not None
            ):
                tf = counts[within]
                i = np.flatnonzero(tf)
                docs = within[i]
                _, scores = self._score(q.fieldname, btext, leaf, (docs, tf[i].astype(np.float64)))
                return _Hits(docs, scores * q.boost if q.boost != 1.0 else scores)
            side = leaf.sidecar
            found = None
            if q.fieldname == PAIR_FIELD and leaf.pairs is not None:  # not whoosh's: all here
                if not (self.bm25f and field.scorable):
                    raise ValueError(f"{PAIR_FIELD} postings kept apart are scored by BM25F only")
                found = leaf.pairs.postings(btext)
                if found is None:
                    return _EMPTY
            elif side is not None and self.bm25f and q.fieldname in side.fields:
                found = side.postings(q.fieldname, btext)
            if found is not None and field.scorable:
                scored = self._score(q.fieldname, btext, leaf, found)
            else:  # a rare term (or another weighting): whoosh scores it, unboosted
                unboosted = wq.Term(q.fieldname, q.text)
                hits = self._by_whoosh(unboosted.matcher(leaf.searcher, leaf.searcher.context()))
                scored = hits.docs, hits.vals
            scored = self._keep(key, *scored)
        docs, scores = scored
        return _Hits(docs, scores * q.boost if q.boost != 1.0 else scores)

    def _counts(self, key: tuple[int, str, bytes], q: wq.Term, leaf: _Leaf, scorable: bool) -> np.ndarray | None:
        """A common term's count in each document of ``leaf`` (kept, within
        :data:`_COUNTS_CACHE_BYTES`), or None: not common enough there to pay for a
        byte per document, not in the sidecar, or counts that are not small whole numbers."""
        counts = self._dense_counts.recall(key)
        if counts is not _MISSING:
            return counts
        apart = q.fieldname == PAIR_FIELD and leaf.pairs is not None
        side = leaf.sidecar
        if (
            not (apart or (side is not None and q.fieldname in side.fields))
            or not self.bm25f
            or not scorable
            or self._share(q, leaf) * COUNTS_SHARE < leaf.n
        ):
            return None
        if apart:
            assert leaf.pairs is not None
            found = leaf.pairs.postings(key[2])
        else:
            assert side is not None
            found = side.postings(q.fieldname, key[2])
        counts = None if found is None else dense_counts(found[0], found[1], leaf.n)
        if _counts_bytes(counts) > _COUNTS_CACHE_BYTES:
            counts = None  # a segment too large for the budget: its postings, as for rare terms
        if counts is not None:
            counts.setflags(write=False)
        self._dense_counts.keep(key, counts, _COUNTS_CACHE_BYTES)
        return counts

    def forget_terms(self) -> None:
        """Drop the scored postings and counts kept so far (benchmarks time a query from scratch)."""
        self._scored.clear()
        self._dense_counts.clear()

    def _keep(self, key: tuple[int, str, bytes], docs: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Remember a term's scored postings (read-only), within :data:`_TERM_CACHE_BYTES`:
        the least recently used go first."""
        docs.setflags(write=False)
        scores.setflags(write=False)
        self._scored.keep(key, (docs, scores), _TERM_CACHE_BYTES)
        return docs, scores

    def _score(self, fieldname: str, btext: bytes, leaf: _Leaf, found) -> tuple[np.ndarray, np.ndarray]:
        """BM25F scores of one term's postings in one segment (boost 1)."""
        docs, weights = found
        idf, avgfl = self._term_stats(fieldname, btext)
        b, k1 = self._bm25_params(fieldname)
        # idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl))), computed in place:
        # the same operations in the same order (multiplication and addition commute exactly)
        tf = weights  # the sidecar's fresh float64 array: scored in place
        codes = leaf.length_codes(fieldname)
        if codes is None:
            den = leaf.lengths(fieldname)[docs]
            den *= b
            den /= avgfl
            den += 1 - b
            den *= k1
        else:  # the same, once per possible length, then looked up
            den = _LENGTHS * b
            den /= avgfl
            den += 1 - b
            den *= k1
            den = den[codes[docs]]
        den += tf
        tf *= k1 + 1
        tf /= den
        tf *= idf
        return docs, tf

    def _term_stats(self, fieldname: str, btext: bytes) -> tuple[float, float]:
        """whoosh's idf and average field length, from the whole index (as BM25FScorer)."""
        key = (fieldname, btext)
        stats = self._stats.get(key)
        if stats is None:
            if len(self._stats) >= _STATS_CACHE:
                self._stats.clear()  # a long-lived searcher meets an unbounded stream of terms
            s = self.searcher
            idf = (
                s.idf(fieldname, btext)
                if fieldname != PAIR_FIELD
                else self.weighting.idf(_Frequencies(self), fieldname, btext)
            )
            stats = self._stats[key] = (idf, s.avg_field_length(fieldname) or 1)
        return stats

    def _bm25_params(self, fieldname: str) -> tuple[float, float]:
        from .whoosh_internals import bm25_params  # the writer's module: loaded on first use, not for import

        return bm25_params(self.weighting, fieldname)

    @staticmethod
    def _by_whoosh(m) -> _Hits:
        """Run a whoosh matcher over one segment (deleted documents are already skipped)."""
        ids, scores = [], []
        while m.is_active():
            ids.append(m.id())
            scores.append(m.score())
            m.next()
        if not ids:
            return _EMPTY
        return _Hits(np.array(ids, dtype=np.intp), np.array(scores, dtype=np.float64))
