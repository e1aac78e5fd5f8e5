"""Scoring postings beside each whoosh segment, for vectorised BM25F.

whoosh keeps a term's postings in pickled, zlib-compressed blocks together
with its positions, and scores them one posting at a time in Python: a common
query ("ha noi", thousands of matching bulletins, ~30 terms over several
fields) spent 200–300 ms there on 12,500 articles.  So every segment also gets
a small SQLite file, ``<segment>.bantin``, holding for each frequent term its
document numbers and weights as plain arrays, and each document's field
lengths; :mod:`searcher.execute` scores them with numpy, exactly as whoosh's
BM25F would.

* Written by the index job, from the postings its writer hands whoosh's codec
  (the writers of :mod:`searcher.whoosh_internals` fill a :class:`Collector`),
  so it costs no second analysis; merges produce theirs the same way.
* Named like a segment file, so whoosh's own clean-up deletes it with its
  segment, and generations share it by hard link like the segment's files.
* Terms with fewer than :data:`MIN_POSTINGS` postings are left to whoosh (cheap
  there); a missing sidecar makes a segment's scoring slower, never different
  (but the typo reader then finds none of its accented pairs, below).
* Format 2 packs a term's postings in 4 bytes each where it can: document
  numbers as 16-bit gaps, weights (term counts) as 16-bit integers; a term
  whose gaps or weights do not fit keeps 32-bit numbers and floats (see
  :func:`pack_docs`, :func:`pack_weights`).  Format 1 (8 bytes a posting) is
  still read.
* Format 3 adds the segment's **accented pairs**: for every pair of adjacent
  syllables with their diacritics ("đã phải"), how many of the segment's
  bulletins hold it, keyed by a 64-bit fingerprint of the pair
  (:func:`pair_key`).  The typo reader asks these counts ("đã hải" is in no
  bulletin, "đã phải" in 900); they used to be a whoosh field of their own
  (``pair``), which took a third of the index for a count.  A merged segment
  adds its sources' counts and takes away those of their deleted bulletins,
  whose pairs are read again from their stored text (:class:`PairCounts`).
  Formats 1 and 2 have no pairs: every count is 0 there.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EXT = "bantin"
FORMAT = "3"
_READABLE = ("1", "2", "3")
# Format 2: each blob starts with a 4-byte tag (the rest stays aligned).
_PLAIN, _PACKED = b"\x00\x00\x00\x00", b"\x01\x00\x00\x00"
MIN_POSTINGS = 32
FIELDS = ("title", "title_fold", "syl", "fold", "pair_fold", "word", "ref")
_ROWS_PER_INSERT = 5000
_MMAP_BYTES = 1 << 30  # at most this much of one sidecar mapped (SQLite's mmap_size)


def sidecar_path(folder: str | os.PathLike, segment) -> Path:
    return Path(folder) / f"{segment.segment_id()}.{EXT}"


class Collector:
    """Gathers the postings of :data:`FIELDS`' frequent terms, as the segment's
    postings are written: a term at a time (:meth:`add_term`), or from whoosh's
    sorted posting stream (:meth:`tee`)."""

    def __init__(self, fields=FIELDS, min_postings: int | None = None):
        self.fields = frozenset(fields)
        self.min_postings = MIN_POSTINGS if min_postings is None else min_postings
        self.rows: list[tuple[str, bytes, bytes, bytes]] = []

    def tee(self, items):
        """Yield whoosh's ``(field, term, docnum, weight, value)`` postings unchanged,
        keeping a copy of the ones we score."""
        wanted = self.fields
        key = None
        docs, weights = array("I"), array("f")
        for item in items:
            fieldname, btext, docnum, weight, _value = item
            if fieldname in wanted and docnum >= 0:  # docnum -1: whoosh's spelling hack
                if (fieldname, btext) != key:
                    self._keep(key, docs, weights)
                    key, docs, weights = (fieldname, btext), array("I"), array("f")
                docs.append(docnum)
                weights.append(weight)
            yield item
        self._keep(key, docs, weights)

    def _keep(self, key, docs: array, weights: array) -> None:
        if key is not None and len(docs) >= self.min_postings:
            self.rows.append((key[0], key[1], pack_docs(docs), pack_weights(weights)))

    def add_term(self, fieldname: str, btext: bytes, docs, weights) -> None:
        """Keep one term's postings (document numbers ascending), if it is frequent enough."""
        if fieldname in self.fields and len(docs) >= self.min_postings:
            self.rows.append((fieldname, btext, pack_docs(array("I", docs)), pack_weights(array("f", weights))))


def pack_docs(docs: array) -> bytes:
    """Ascending document numbers: 16-bit gaps when every gap fits, else 32-bit numbers."""
    import numpy as np

    a = np.frombuffer(docs, dtype=np.uint32)
    gaps = np.diff(a, prepend=np.uint32(0))
    if len(gaps) and int(gaps.max()) > 0xFFFF:
        return _PLAIN + a.astype("<u4").tobytes()
    return _PACKED + gaps.astype("<u2").tobytes()


def pack_weights(weights: array) -> bytes:
    """Weights: 16-bit integers when each is one (term counts are), else 32-bit floats."""
    import numpy as np

    w = np.frombuffer(weights, dtype=np.float32)
    ints = w.astype(np.uint16)
    if len(w) and (float(w.min()) < 0 or float(w.max()) > 0xFFFF or not np.array_equal(ints, w)):
        return _PLAIN + w.astype("<f4").tobytes()
    return _PACKED + ints.astype("<u2").tobytes()


def unpack_docs(blob: bytes):
    """The document numbers of :func:`pack_docs`, as a new ``intp`` array."""
    import numpy as np

    packed, values = _unpack(blob, "<u4")
    return np.cumsum(values, dtype=np.intp) if packed else values.astype(np.intp)


def unpack_weights(blob: bytes):
    """The weights of :func:`pack_weights`, as a new ``float64`` array."""
    import numpy as np

    return _unpack(blob, "<f4")[1].astype(np.float64)


def _unpack(blob: bytes, plain: str):
    """``(packed, values)`` of a format-2 blob: its 16-bit values, or its ``plain`` ones."""
    import numpy as np

    tag = blob[:4]
    if tag not in (_PACKED, _PLAIN):
        raise ValueError("unknown packing")
    packed = tag == _PACKED
    return packed, np.frombuffer(blob, dtype="<u2" if packed else plain, offset=4)


_Collector = Collector  # the name it had


def pair_keys(pairs: Iterable[str]):
    """The 64-bit fingerprint (signed, as SQLite keys are) each pair is counted
    under, lazily.  With half a million pairs in a segment, two pairs share one
    by chance once in about 36 trillion look-ups."""
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes  # the index job's hot loop: bound once
    return (from_bytes(blake2b(p.encode("utf-8"), digest_size=8).digest(), "little", signed=True) for p in pairs)


def pair_key(pair: str) -> int:
    """:func:`pair_keys` of one pair."""
    return next(pair_keys((pair,)))


class PairCounts:
    """A segment's accented pairs and how many of its bulletins hold each, as
    its writer gathers them: each new bulletin's distinct pairs (:meth:`add`),
    and for a merge, the counts of the merged segments (:meth:`add_counts`)
    less the pairs of their deleted bulletins (:meth:`remove`)."""

    def __init__(self):
        # pair -> bulletins, for the bulletins added: each distinct pair is fingerprinted
        # once, when the segment is written (a fifth as many hashes as pairs added)
        self._added: Counter[str] = Counter()
        self._counted: list[tuple[object, object]] = []  # (keys, counts) arrays: merged and removed

    def add(self, pairs: Iterable[str]) -> None:
        """One bulletin's distinct pairs."""
        self._added.update(pairs)  # counted in C

    def add_counts(self, keys, counts) -> None:
        self._counted.append((keys, counts))

    def remove(self, pairs: Iterable[str]) -> None:
        """A deleted bulletin's distinct pairs, counted in a segment being merged."""
        import numpy as np

        keys = np.fromiter(pair_keys(pairs), dtype=np.int64)
        self._counted.append((keys, np.full(len(keys), -1, dtype=np.int64)))

    def totals(self):
        """``(keys, counts)``: the distinct keys ascending, each with its count (> 0)."""
        import numpy as np

        added = self._added
        keys = [np.fromiter(pair_keys(added), dtype=np.int64, count=len(added))]
        counts = [np.fromiter(added.values(), dtype=np.int64, count=len(added))]
        keys += [np.asarray(k, dtype=np.int64) for k, _ in self._counted]
        counts += [np.asarray(c, dtype=np.int64) for _, c in self._counted]
        every = np.concatenate(keys)
        unique, where = np.unique(every, return_inverse=True)
        totals = np.bincount(where, weights=np.concatenate(counts), minlength=len(unique)).astype(np.int64)
        kept = totals > 0
        return unique[kept], totals[kept]


@dataclass
class Contents:
    """What a segment's sidecar holds, ready to be written by :func:`write`.

    Plain bytes and lists: a forked index worker hands it to the job, which
    writes the file.  A forked process must not call SQLite: a thread of the
    parent may have held one of SQLite's process-wide locks at the fork, and
    the child would wait for it for ever (a searching thread beside an index
    job in one process does that).
    """

    documents: int
    min_postings: int
    lengths: list[tuple[str, bytes]]  # (field, each document's length as float32)
    rows: list[tuple[str, bytes, bytes, bytes]]  # (field, term, docs, weights), in key order
    pair_keys: bytes  # int64, ascending
    pair_counts: bytes  # int64


def contents(collector: Collector, reader, doc_count: int, pairs: PairCounts | None = None) -> Contents:
    """The sidecar of one finished segment (``reader`` reads that segment)."""
    import numpy as np

    lengths = []
    for f in sorted(collector.fields):
        # BM25F reads lengths back through a lossy byte encoding: store exactly what it
        # reads (whoosh answers None for an empty field, which has no postings anyway).
        lens = array("f", (reader.doc_field_length(d, f, 1) or 0 for d in range(doc_count)))
        lengths.append((f, lens.tobytes()))
    rows = sorted(collector.rows, key=lambda r: (r[0], r[1]))  # in key order: full index pages
    keys, counts = pairs.totals() if pairs is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    return Contents(doc_count, collector.min_postings, lengths, rows, keys.tobytes(), counts.tobytes())


def write(path: Path, data: Contents) -> None:
    """Write a sidecar file (atomically: a temporary file, then renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
        con.execute("CREATE TABLE lengths(field TEXT PRIMARY KEY, data BLOB)")
        # A rowid table and its key index: on the slice, 19 % smaller than WITHOUT ROWID
        # (whose rows of a few hundred bytes overflow its pages) and faster to look up.
        con.execute("CREATE TABLE postings(field TEXT, term BLOB, docs BLOB, weights BLOB, PRIMARY KEY(field, term))")
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", FORMAT), ("documents", str(data.documents)), ("min_postings", str(data.min_postings))],
        )
        con.executemany("INSERT INTO lengths VALUES (?, ?)", data.lengths)
        rows = data.rows
        for i in range(0, len(rows), _ROWS_PER_INSERT):
            con.executemany("INSERT INTO postings VALUES (?, ?, ?, ?)", rows[i : i + _ROWS_PER_INSERT])
        # Keyed by the fingerprint itself (the rowid): no second index, about 15 bytes a pair.
        con.execute("CREATE TABLE pairs(key INTEGER PRIMARY KEY, bulletins INTEGER)")
        keys, counts = array("q", data.pair_keys), array("q", data.pair_counts)  # keys ascending: pages in order
        con.executemany("INSERT INTO pairs VALUES (?, ?)", zip(keys, counts))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)


class Sidecar:
    """Read side of one segment's sidecar (opened read-only and immutable)."""

    def __init__(self, path: Path):
        uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        self.con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # Read through a memory map, not a read() call per page (file-backed pages, shared
        # by every process): a term's look-up took 9 µs instead of 15 in format 1, 4 in format 2.
        self.con.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
        meta = dict(self.con.execute("SELECT key, value FROM meta"))
        self.format = meta.get("format")
        if self.format not in _READABLE:
            raise ValueError(f"sidecar format {self.format!r}, expected one of {', '.join(_READABLE)}")
        self.documents = int(meta["documents"])
        self.fields = frozenset(f for (f,) in self.con.execute("SELECT field FROM lengths"))
        self.has_pairs = self.format not in ("1", "2")
        self._lengths: dict[str, object] = {}

    @classmethod
    def open(cls, folder: str | os.PathLike, segment) -> Sidecar | None:
        """The segment's sidecar, or None if it has none (an index built before them)."""
        path = sidecar_path(folder, segment)
        return cls(path) if path.exists() else None

    def lengths(self, field: str):
        import numpy as np

        arr = self._lengths.get(field)
        if arr is None:
            (blob,) = self.con.execute("SELECT data FROM lengths WHERE field = ?", (field,)).fetchone()
            arr = self._lengths[field] = np.frombuffer(blob, dtype=np.float32).astype(np.float64)
            if len(arr) != self.documents:
                raise ValueError(f"sidecar lengths of {field!r}: {len(arr)} values for {self.documents} documents")
        return arr

    def postings(self, field: str, btext: bytes):
        """``(docnums, weights)``: new ``intp`` and ``float64`` arrays, the caller's to
        change; or None when whoosh must be asked (rare or absent term)."""
        import numpy as np

        row = self.con.execute(
            "SELECT docs, weights FROM postings WHERE field = ? AND term = ?", (field, btext)
        ).fetchone()
        if row is None:
            return None
        damaged = ValueError(f"sidecar postings of {field}:{btext!r} are damaged")
        try:
            if self.format == "1":
                docs = np.frombuffer(row[0], dtype=np.uint32).astype(np.intp)
                weights = np.frombuffer(row[1], dtype=np.float32).astype(np.float64)
            else:
                docs, weights = unpack_docs(row[0]), unpack_weights(row[1])
        except ValueError:  # a blob of the wrong size or tag
            raise damaged from None
        if len(docs) != len(weights) or (len(docs) and int(docs[-1]) >= self.documents):
            raise damaged
        return docs, weights

    def pair_count(self, pair: str) -> int:
        """How many of the segment's bulletins hold ``pair`` (0 before format 3)."""
        if not self.has_pairs:
            return 0
        row = self.con.execute("SELECT bulletins FROM pairs WHERE key = ?", (pair_key(pair),)).fetchone()
        return int(row[0]) if row else 0

    def pair_counts(self):
        """``(keys, counts)`` of every pair (empty arrays before format 3)."""
        import numpy as np

        rows = self.con.execute("SELECT key, bulletins FROM pairs").fetchall() if self.has_pairs else []
        keys = np.fromiter((k for k, _ in rows), dtype=np.int64, count=len(rows))
        counts = np.fromiter((n for _, n in rows), dtype=np.int64, count=len(rows))
        return keys, counts

    def close(self) -> None:
        self.con.close()
