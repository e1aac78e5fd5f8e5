"""The ``pair_fold`` field's postings, in a file of flat arrays beside each segment.

``pair_fold`` (adjacent syllables without diacritics, "ket luan") holds nine in
ten of an index's terms, most of them found in one or two bulletins.  whoosh
writes each term a pickled block and a row of its term table, and that per-term
work was a quarter of the index job's time and half of the index.  So the
writers of :mod:`searcher.whoosh_internals` keep these postings out of whoosh
and write them here, all at once, as sorted arrays; whoosh still keeps the
field's lengths (its BM25F statistics), and :class:`searcher.execute.QueryExecutor`
reads the terms from here.  whoosh's own searcher finds no ``pair_fold`` term
in such a segment.

A file, ``<segment>.pairs``, named like the segment's own files (whoosh's
clean-up deletes it with its segment; generations share it by hard link)::

    magic "BTPAIRS1"
    header: format, documents, terms, postings, and the width in bytes of
            each array below (little-endian, each section padded to 8 bytes)
    term_ends   where each term's bytes end in the term text (terms in bytes order)
    post_ends   where each term's postings end
    docs        document numbers, ascending within a term
    counts      how many times the term is in that document (its BM25F weight)
    text        the terms' UTF-8 bytes, end to end

The file is memory-mapped: a look-up is a binary search over the terms (a few
microseconds), then a slice of two arrays.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DamagedFileError

FIELD = "pair_fold"
EXT = "pairs"
MAGIC = b"BTPAIRS1"
FORMAT = 1
_HEADER = struct.Struct("<8sIIQQBBBB")  # magic, format, documents, terms, postings, widths
_ALIGN = 8
_UNSIGNED = {1: "<u1", 2: "<u2", 4: "<u4", 8: "<u8"}


def pairs_path(folder: str | os.PathLike, segment) -> Path:
    return Path(folder) / f"{segment.segment_id()}.{EXT}"


def _width(largest: int, widths=(1, 2, 4, 8)) -> int:
    """The fewest bytes (among ``widths``) an unsigned number up to ``largest`` needs."""
    for w in widths:
        if largest < 1 << (8 * w):
            return w
    raise ValueError(f"{largest} does not fit in {widths[-1]} bytes")


def _padded(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


@dataclass
class PairArrays:
    """A segment's ``pair_fold`` postings as arrays, terms in bytes order.

    ``terms``: each term's UTF-8 bytes; ``post_ends[i]``: where term ``i``'s
    postings end in ``docs`` and ``counts`` (numpy integer arrays; each term's
    documents ascending)."""

    terms: list[bytes]
    post_ends: Any
    docs: Any
    counts: Any


def write(path: Path, data: PairArrays, documents: int) -> None:
    """Write ``data`` (the postings of a segment of ``documents`` bulletins) to ``path``."""
    import numpy as np

    terms = data.terms
    post_ends = np.asarray(data.post_ends, dtype=np.int64)
    docs = np.asarray(data.docs)
    counts = np.asarray(data.counts)
    if len(post_ends) != len(terms) or len(docs) != len(counts) or (len(terms) and post_ends[-1] != len(docs)):
        raise ValueError("pair postings: terms, ends, documents and counts disagree")
    if len(counts) and int(counts.min()) < 1:
        raise ValueError("pair postings: a count below 1")
    term_ends = np.cumsum(np.fromiter(map(len, terms), dtype=np.int64, count=len(terms)))
    text_bytes = int(term_ends[-1]) if len(terms) else 0
    tw, pw = _width(text_bytes, (4, 8)), _width(len(docs), (4, 8))
    dw = _width(max(documents - 1, 0), (2, 4))
    cw = _width(int(counts.max()) if len(counts) else 0, (1, 2, 4))
    header = _HEADER.pack(MAGIC, FORMAT, documents, len(terms), len(docs), tw, pw, dw, cw)
    sections = [
        header,
        term_ends.astype(_UNSIGNED[tw]).tobytes(),
        post_ends.astype(_UNSIGNED[pw]).tobytes(),
        docs.astype(_UNSIGNED[dw]).tobytes(),
        counts.astype(_UNSIGNED[cw]).tobytes(),
        b"".join(terms),
    ]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        for s in sections:
            f.write(s)
            f.write(b"\0" * (_padded(len(s)) - len(s)))
    os.replace(tmp, path)


class PairPostings:
    """One segment's ``pair_fold`` postings, read from its ``.pairs`` file (memory-mapped).

    Raises :class:`~searcher.errors.DamagedFileError` for a file that is not one,
    or whose parts disagree; a look-up checks what it reads."""

    def __init__(self, path: Path):
        import numpy as np

        self.path = path
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < _HEADER.size:
                raise DamagedFileError(f"{path.name}: {size} bytes, too short for a pair postings file")
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            magic, fmt, self.documents, self.term_count, self.posting_count, tw, pw, dw, cw = _HEADER.unpack_from(
                self._map
            )
            if magic != MAGIC or fmt != FORMAT:
                raise DamagedFileError(f"{path.name}: not a pair postings file of format {FORMAT}")
            if tw not in (4, 8) or pw not in (4, 8) or dw not in (2, 4) or cw not in (1, 2, 4):
                raise DamagedFileError(f"{path.name}: unknown array widths {tw, pw, dw, cw}")
            at = _padded(_HEADER.size)
            views = []
            for width, count in (
                (tw, self.term_count),
                (pw, self.term_count),
                (dw, self.posting_count),
                (cw, self.posting_count),
            ):
                if at + width * count > size:
                    raise DamagedFileError(f"{path.name}: shorter than its header says ({size} bytes)")
                views.append(np.frombuffer(self._map, dtype=_UNSIGNED[width], count=count, offset=at))
                at += _padded(width * count)
            self._term_ends, self._post_ends, self._docs, self._counts = views
            self._text_at = at
            text = int(self._term_ends[-1]) if self.term_count else 0
            if _padded(at + text) != size or (self.term_count and int(self._post_ends[-1]) != self.posting_count):
                raise DamagedFileError(f"{path.name}: its parts disagree with its size ({size} bytes)")
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, folder: str | os.PathLike, segment) -> PairPostings | None:
        """The segment's pair postings, or None if its pairs are in whoosh (no file)."""
        path = pairs_path(folder, segment)
        return cls(path) if path.exists() else None

    def _term(self, i: int) -> bytes:
        ends = self._term_ends
        a = self._text_at + (int(ends[i - 1]) if i else 0)
        return self._map[a : self._text_at + int(ends[i])]

    def _find(self, btext: bytes) -> int:
        """The index of ``btext`` among the terms, or -1."""
        lo, hi = 0, self.term_count
        while lo < hi:
            mid = (lo + hi) // 2
            if self._term(mid) < btext:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < self.term_count and self._term(lo) == btext else -1

    def _span(self, i: int) -> tuple[int, int]:
        a = int(self._post_ends[i - 1]) if i else 0
        b = int(self._post_ends[i])
        if not 0 <= a < b <= self.posting_count:
            raise DamagedFileError(f"{self.path.name}: the postings of term {i} are out of order")
        return a, b

    def doc_frequency(self, btext: bytes) -> int:
        """How many of the segment's bulletins hold ``btext`` (deleted ones too, as whoosh counts)."""
        i = self._find(btext)
        if i < 0:
            return 0
        a, b = self._span(i)
        return b - a

    def postings(self, btext: bytes):
        """``(docnums, weights)`` of ``btext``: new ``intp`` and ``float64`` arrays, the
        caller's to change; None if no bulletin of the segment holds it."""
        import numpy as np

        i = self._find(btext)
        if i < 0:
            return None
        a, b = self._span(i)
        docs = self._docs[a:b].astype(np.intp)
        if int(docs[-1]) >= self.documents or (b - a > 1 and not bool(np.all(docs[1:] > docs[:-1]))):
            raise DamagedFileError(f"{self.path.name}: the documents of {btext!r} are damaged")
        return docs, self._counts[a:b].astype(np.float64)

    def arrays(self) -> PairArrays:
        """Everything the file holds (a merge reads its segments' postings so)."""
        import numpy as np

        ends = self._term_ends.tolist()
        text = self._map[self._text_at : self._text_at + (ends[-1] if ends else 0)]
        terms = [text[a:b] for a, b in zip([0, *ends[:-1]], ends)]
        return PairArrays(terms, self._post_ends.astype(np.int64), self._docs.copy(), self._counts.copy())

    def close(self) -> None:
        m = getattr(self, "_map", None)
        if m is not None:
            for name in ("_term_ends", "_post_ends", "_docs", "_counts"):  # views of the map
                self.__dict__.pop(name, None)
            try:
                m.close()
            except BufferError:  # a caller still holds a view: unmapped when it is collected
                pass
