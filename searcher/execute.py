"""Exact top-k for bantin's whoosh queries, scored with numpy.

The query trees of :mod:`searcher.query` are ``Term``, ``Or``, ``And``,
``AndMaybe`` and ``AndNot`` (plus ``Phrase`` for quoted text).  Each segment is
evaluated into dense arrays, one match mask and one score per document:

* a ``Term`` reads its postings from the segment's sidecar
  (:mod:`searcher.sidecar`) and computes BM25F in one vectorised step, with the
  very statistics whoosh uses (its idf, average field length, per-field B and
  K1, the byte-encoded field lengths), so scores equal whoosh's;
* terms the sidecar leaves out (rare ones), segments without a sidecar, and any
  other query node (phrases) are run by whoosh's own matchers on that segment;
* compound nodes combine the arrays the way whoosh's matchers combine scores
  (sums; boosts on compounds of two or more, as whoosh applies them).

The result is every matching document, so the ``total`` is exact and the top k
are sorted like whoosh's collector sorts them (score, then document number).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from .navigation import Columns
from .sidecar import Sidecar

_STATS_CACHE = 100_000  # (field, term) -> (idf, average length) kept per opened index


@dataclass
class Matches:
    """Every matching document of a query: a mask and scores per segment."""

    leaves: list[_Leaf]
    masks: list[np.ndarray]
    scores: list[np.ndarray]

    @property
    def total(self) -> int:
        return int(sum(int(m.sum()) for m in self.masks))


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
        self.columns = Columns(self.reader, self.n)

    def close(self) -> None:
        if self.sidecar is not None:
            self.sidecar.close()


class QueryExecutor:
    """Runs queries over the segments of one opened whoosh searcher."""

    def __init__(self, searcher, folder: str | Path):
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.bm25f = isinstance(searcher.weighting, scoring.BM25F)
        self.leaves = [_Leaf(s, off, Path(folder)) for s, off in searcher.leaf_searchers()]
        self._stats: dict[tuple[str, bytes], tuple[float, float]] = {}

    def close(self) -> None:
        for leaf in self.leaves:
            leaf.close()

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
        masks, scores = [], []
        for leaf in self.leaves:
            if q is None:
                m, s = np.ones(leaf.n, dtype=bool), np.zeros(leaf.n)
            else:
                m, s = self._eval(q, leaf)
            if allow is not None:
                m = m & self._eval(allow, leaf)[0]
            if keep is not None:
                k = keep(leaf)
                if k is not None:
                    m = m & k
            if leaf.live is not None:
                m = m & leaf.live
            masks.append(m)
            scores.append(s)
        return Matches(self.leaves, masks, scores)

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
        mask = np.concatenate(matches.masks) if matches.masks else np.zeros(0, dtype=bool)
        score = np.concatenate(matches.scores) if matches.scores else np.zeros(0)
        docs = np.flatnonzero(mask)
        total = len(docs)
        want = offset + limit
        if total == 0 or offset >= total:
            return Ranked([], [], total)
        s = score[docs]
        if order is None:
            if total > want:
                kth = np.partition(s, total - want)[total - want]  # the want-th best score
                keep = s >= kth
                docs, s = docs[keep], s[keep]
            idx = np.lexsort((docs, -s))[offset:want]  # score descending, then document number
        else:
            key = np.concatenate([order(leaf) for leaf in matches.leaves])[docs]
            idx = np.lexsort((docs, -s, key))[offset:want]
        return Ranked(docs[idx].tolist(), s[idx].tolist(), total)

    # -- one segment ---------------------------------------------------------------

    def _eval(self, q: wq.Query, leaf: _Leaf) -> tuple[np.ndarray, np.ndarray]:
        kind = type(q)
        if kind is wq.Term:
            return self._term(q, leaf)
        if kind in (wq.Or, wq.And) and not getattr(q, "scale", None) and not getattr(q, "minmatch", 0):
            subs = q.subqueries
            if not subs:
                return self._empty(leaf)
            if len(subs) == 1:  # whoosh drops the compound (and its boost) around a single query
                return self._eval(subs[0], leaf)
            parts = [self._eval(sub, leaf) for sub in subs]
            if kind is wq.Or:
                mask = np.logical_or.reduce([m for m, _ in parts])
                score = np.add.reduce([s for _, s in parts])
            else:
                mask = np.logical_and.reduce([m for m, _ in parts])
                score = np.where(mask, np.add.reduce([s for _, s in parts]), 0.0)
            if q.boost != 1.0:
                score = score * q.boost
            return mask, score
        if kind is wq.AndMaybe:
            ma, sa = self._eval(q.a, leaf)
            mb, sb = self._eval(q.b, leaf)
            return ma, np.where(ma & mb, sa + sb, sa)
        if kind is wq.AndNot:
            ma, sa = self._eval(q.a, leaf)
            mb, _ = self._eval(q.b, leaf)
            mask = ma & ~mb
            return mask, np.where(mask, sa, 0.0)
        return self._by_whoosh(q.matcher(leaf.searcher, leaf.searcher.context()), leaf)

    def _empty(self, leaf: _Leaf) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(leaf.n, dtype=bool), np.zeros(leaf.n)

    def _term(self, q: wq.Term, leaf: _Leaf) -> tuple[np.ndarray, np.ndarray]:
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return self._empty(leaf)
        field = schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return self._empty(leaf)
        side = leaf.sidecar
        found = None
        if side is not None and self.bm25f and q.fieldname in side.fields:
            found = side.postings(q.fieldname, btext)
        if found is None or not field.scorable:
            return self._by_whoosh(q.matcher(leaf.searcher, leaf.searcher.context()), leaf)
        docs, weights = found
        idf, avgfl = self._term_stats(q.fieldname, btext)
        b, k1 = self._bm25_params(q.fieldname)
        tf = weights.astype(np.float64)
        fl = side.lengths(q.fieldname)[docs]
        score = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        if q.boost != 1.0:
            score = score * q.boost
        mask = np.zeros(leaf.n, dtype=bool)
        mask[docs] = True
        out = np.zeros(leaf.n)
        out[docs] = score
        return mask, out

    def _term_stats(self, fieldname: str, btext: bytes) -> tuple[float, float]:
        """whoosh's idf and average field length, from the whole index (as BM25FScorer)."""
        key = (fieldname, btext)
        stats = self._stats.get(key)
        if stats is None:
            if len(self._stats) >= _STATS_CACHE:
                self._stats.clear()  # a long-lived searcher meets an unbounded stream of terms
            s = self.searcher
            stats = self._stats[key] = (s.idf(fieldname, btext), s.avg_field_length(fieldname) or 1)
        return stats

    def _bm25_params(self, fieldname: str) -> tuple[float, float]:
        w = self.weighting
        return w._field_B.get(fieldname, w.B), w.K1

    def _by_whoosh(self, m, leaf: _Leaf) -> tuple[np.ndarray, np.ndarray]:
        """Run a whoosh matcher over one segment (deleted documents are already skipped)."""
        ids, scores = [], []
        while m.is_active():
            ids.append(m.id())
            scores.append(m.score())
            m.next()
        mask = np.zeros(leaf.n, dtype=bool)
        out = np.zeros(leaf.n)
        if ids:
            mask[ids] = True
            out[ids] = scores
        return mask, out
