"""Every use of whoosh's private API, fenced in one module.

bantin keeps whoosh (whoosh-reloaded 2.7.5) as its index format, but writes
and commits segments in ways whoosh's public API does not offer: a job commits
segments written by several processes together, merges with its own policy,
tees postings into a scoring sidecar, and writes postings faster than whoosh's
stock writer.  Everything that touches a whoosh attribute or method whose name
starts with ``_``, or subclasses a whoosh writer, lives here behind small named
functions; every other module calls only whoosh's public API or this module.
An upgrade of whoosh is checked against this file (and ``tests/test_writer.py``,
which compares the two writers posting by posting, and file by file).

Writers
-------
:class:`TeeWriter`
    whoosh's own :class:`~whoosh.writing.SegmentWriter` (its sort-and-pickle
    posting pool, fields analysed by their analyzers), also writing the
    segment's scoring sidecar (:mod:`searcher.sidecar`).  The previous path,
    kept to compare against.
:class:`BulkWriter`
    the index job's writer, writing the same postings faster:

    * a per-term posting pool in compact arrays (:class:`TermPool`): no Python
      object per posting, no sorted runs pickled to disk and merged back;
    * fields given pre-analysed (:class:`searcher.analysis.Analysed`) are
      encoded here exactly as their whoosh format would encode them;
    * postings reach whoosh's codec a term at a time, each block filled at once
      (not a posting at a time), with each document's field length read once per
      field, not once per posting;
    * posting lists of at most :data:`INLINE_POSTINGS` postings are inlined
      into the term index, as whoosh intends but never does: its
      ``W3PostingsWriter`` calls ``terminfo.set_inline``, but the method is
      ``W3TermInfo.set_inlined`` (worked around by :class:`_InliningTermInfo`).
      Readers need nothing new (whoosh reads inlined postings as they are), but
      a *stock* whoosh writer cannot merge such a segment (it asserts bytes
      where an inlined list without values gives ``""``); bantin's writers can;
    * each field's term table rows are added in one loop (one write, the same
      MD5 hashes as whoosh's ``OrderedHashWriter``), and the rows of posting
      lists that are inlined or fit one block are made without whoosh's term
      info and block objects (:func:`_inlined_term_info`, :func:`_one_block_term`:
      most terms are pairs found in one or a few bulletins, and those objects
      cost more than the postings); ``_FAST_TERMS = False`` goes through
      whoosh's objects instead, and the writer's tests compare the files;
    * posting blocks and inlined lists are pickled with protocol
      :data:`PICKLE_PROTOCOL`, not whoosh's 2, which writes every ``bytes`` value
      as a call to ``codecs.encode`` on a latin-1 string (each byte above 127
      taking two): 20 % of the index.  whoosh reads them with ``pickle.loads``,
      which takes any protocol.  A block is stored uncompressed when zlib does
      not make it smaller (whoosh means to, for blocks under 20 bytes, but its
      check is overwritten on the next line); the block says so, as whoosh's do.

    * the pool keeps terms as text where they come as text (the analysis made,
      and hashed, them already) and writes them as UTF-8, in the same order.

    With ``inline_postings=0`` and ``pickle_protocol=2`` its segment files are
    byte-identical to :class:`TeeWriter`'s (``tests/test_writer.py`` checks).

Both writers keep the ``pair_fold`` postings out of whoosh (``pairs_apart``,
the default): they write them to the segment's pair postings file
(:mod:`searcher.pair_postings`), and a merge reads them back from the merged
segments' files, renumbered as whoosh renumbers their documents.  whoosh still
records the field's lengths.

Functions
---------
:func:`open_writer`, :func:`finish_segment`, :func:`write_sidecar_of`, :func:`merge_segments`,
:func:`commit_segments`: a job's writing steps; :func:`bm25_params`: the
per-field B and K1 of a BM25F model.

whoosh internals used (all here)
--------------------------------
``SegmentWriter``: ``_added``, ``_finalize_segment``, ``_close_segment``,
``_merge_segments``, ``_commit_toc``, ``_finish``, ``_flush_segment``,
``_check_state``, ``_check_fields``, ``_doc_boost``, ``_field_boost``, and its
``pool``, ``perdocwriter``, ``fieldwriter``, ``docnum`` attributes;
``W3FieldWriter``: ``_postwriter``, ``_postfile``, ``_format``, ``_btext``;
``W3PostingsWriter``: its constructor's
arguments (``_blocklimit``, ``_byteids``, ``_compression``, ``_inlinelimit``),
``start_postings``, ``finish_postings`` and ``_write_block`` (replaced),
``_blockcount``, ``_terminfo``, ``_format``, ``_startoffset``, ``written``,
``_postfile``, ``_new_block``, ``_mini_ids``, ``_mini_weights``,
``_mini_values`` and the block buffer ``_ids``, ``_weights``, ``_values``,
``_maxweight``, ``_minlength``, ``_maxlength``; ``W3TermInfo``: ``_struct``,
``set_inlined`` and the statistics ``to_bytes`` packs; ``BM25F._field_B``;
``W3FieldWriter._fieldid`` and ``_tindex``, an ``OrderedHashWriter``'s
``index``, ``buckets``, ``lastkey``, ``hashfn`` and ``dbfile``, and
``filetables.md5_hash``.
Reading: a segment reader's ``_terms`` (``W3TermsReader``), its ``_tindex``
(``OrderedHashReader``: ``closest_key_pos``, ``endofdata``, ``dbfile``),
``_fieldmap`` and ``_keycoder`` (:func:`field_doc_frequencies`).
"""

from __future__ import annotations

import hashlib
import pickle
import struct
import zlib
from array import array
from collections.abc import Iterator

from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter, W3TermInfo, W3TermsReader
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode
from whoosh.writing import SegmentWriter

from .analysis import Analysed
from .pair_postings import FIELD as PAIR_FIELD
from .pair_postings import PairArrays, PairPostings, pairs_path
from .pair_postings import write as write_pair_postings
from .sidecar import Collector, Contents, PairCounts, Sidecar, sidecar_path
from .sidecar import contents as sidecar_contents
from .sidecar import write as write_sidecar

__all__ = [
    "INLINE_POSTINGS",
    "PICKLE_PROTOCOL",
    "TeeWriter",
    "BulkWriter",
    "TermPool",
    "open_writer",
    "finish_segment",
    "write_sidecar_of",
    "merge_segments",
    "commit_segments",
    "bm25_params",
    "field_doc_frequencies",
]

# Posting lists this short go into the term index itself instead of a zlib block of
# their own in the postings file.  On 1,500 articles: index -8.0 % at 1, -8.3 % at 2,
# -7.0 % at 4, -4.2 % at 8, -0.3 % at 16, +4.1 % at 32 (an inlined list is pickled
# uncompressed).  1, as Lucene's "pulsing": the single-posting terms (most of them)
# gain nearly all of it, and every term found in two documents or more is still
# read from the postings file.  See benchmarks/results/bench_build.md.
INLINE_POSTINGS = 1

# The pickle protocol of posting blocks and inlined lists (whoosh writes 2).  3 is the
# first to write bytes as they are; 4 adds a 9-byte frame to every pickle.  On 1,500
# articles (one process): index 48.1 MB with 2, 38.2 MB with 4, 38.0 MB with 3 (and
# blocks left uncompressed where zlib does not help); build time the same.
PICKLE_PROTOCOL = 3

# Postings turned into Python lists at a time when a field is written (bounds the
# transient memory of a large field).
_CHUNK_POSTINGS = 1 << 16

_EXACT_SINGLE = 1 << 24  # whole numbers up to this are exact in single precision

_INT_BYTES = 4  # StructFile.write_int: a signed 32-bit number
_UINT_BYTES = 4  # whoosh.system.pack_uint: an unsigned 32-bit number

# Write each field's term table rows in one loop, and short lists' rows without whoosh's
# objects (False: through whoosh's field writer a term at a time; the writer's tests
# compare the two ways byte for byte).
_FAST_TERMS = True
_ROWS_AT_ONCE = 1 << 15  # term table rows held before they are written


# --- the job's steps ------------------------------------------------------------------------


def open_writer(ix, *, bulk: bool = True, lock: bool = True, compound: bool = False, **kwargs):
    """A segment writer on ``ix``: :class:`BulkWriter` (``bulk``) or :class:`TeeWriter`.

    ``lock=False`` skips whoosh's write lock (a worker writing a segment for a job
    that holds the lock).  ``kwargs`` go to the writer (``inline_postings``,
    ``pairs_of``...).
    """
    cls = BulkWriter if bulk else TeeWriter
    return cls(ix, _lk=lock, compound=compound, **kwargs)


def finish_segment(writer):
    """Write out the documents added to ``writer`` as a segment and return it
    (None if nothing was added); the writer's files are closed either way.
    The segment is not committed: pass it to :func:`commit_segments`."""
    if writer._added:
        return writer._finalize_segment()
    writer._close_segment()
    return None


def write_sidecar_of(folder, segment, data: Contents) -> None:
    """Write the sidecar a ``sidecar_later`` writer left for ``segment``, into ``folder``."""
    write_sidecar(sidecar_path(folder, segment), data)


def merge_segments(writer, policy) -> list:
    """Run the merge ``policy(writer, segments)`` on the index's segments; return the
    segments it keeps (those it merged are now part of the writer's new segment)."""
    return writer._merge_segments(policy, False, True)


def commit_segments(writer, segments: list) -> None:
    """Commit ``segments`` (kept ones, those of worker processes) and the writer's own
    new segment, if it has documents: write the index's table of contents, delete the
    files of segments no longer used, release the writer."""
    segments = list(segments)
    own = finish_segment(writer)
    if own is not None:
        segments.append(own)
    writer._commit_toc(segments)
    writer._finish()


def bm25_params(weighting, fieldname: str) -> tuple[float, float]:
    """``(B, K1)`` a :class:`whoosh.scoring.BM25F` model uses for ``fieldname``."""
    return weighting._field_B.get(fieldname, weighting.B), weighting.K1


# --- reading the term table ----------------------------------------------------------------------

_RECORD_LENGTHS = struct.Struct("!ii")  # a term table record: key length, value length, then both
_DOC_FREQUENCY = struct.Struct("!I")  # in a term's value (W3TermInfo: flags "B", weight "f", then this)
_DOC_FREQUENCY_AT = 1 + 4
_READ_AHEAD = 1 << 20  # bytes of the term table read at a time


def field_doc_frequencies(leaf, fieldname: str) -> Iterator[tuple[bytes, int]]:
    """``(term, document frequency)`` for every term of ``fieldname`` in one segment's
    reader, in term order: what ``leaf.iter_field`` gives, with its term infos'
    ``doc_frequency()``.

    Read from the term table's records as they lie, a megabyte at a time.
    ``iter_field`` decodes every term's whole info for the same number (unpickling
    the postings inlined in it) and reads the file three times per term: three
    quarters of the time of rebuilding the vocabulary, which every index job does.
    A reader of another codec is read through ``iter_field``.
    """
    terms = getattr(leaf, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        for btext, info in leaf.iter_field(fieldname):
            yield btext, info.doc_frequency()
        return
    if fieldname not in terms._fieldmap:
        return
    prefix = terms._keycoder(fieldname, b"")
    tindex = terms._tindex
    pos = tindex.closest_key_pos(prefix)
    if pos is None:
        return
    end, dbfile, n = tindex.endofdata, tindex.dbfile, len(prefix)
    head, at = _RECORD_LENGTHS.size, _DOC_FREQUENCY_AT
    buf, base = b"", pos  # buf holds the file's bytes from base on
    while pos < end:
        off = pos - base
        if off + head > len(buf):
            buf, base, off = dbfile.get(pos, min(max(_READ_AHEAD, head), end - pos)), pos, 0
        keylen, datalen = _RECORD_LENGTHS.unpack_from(buf, off)
        if keylen < 0 or datalen < 0:  # damage; read on, it could loop for ever
            raise struct.error(f"damaged term table: a record of length {keylen}, {datalen} at {pos}")
        stop = off + head + keylen + datalen
        if stop > len(buf):
            if off == 0:  # one record longer than a read: read it whole
                buf = dbfile.get(pos, head + keylen + datalen)
            else:
                buf, base = b"", pos
                continue
        k = off + head
        key = buf[k : k + keylen]
        if key[:n] != prefix:
            return
        yield key[n:], _DOC_FREQUENCY.unpack_from(buf, k + keylen + at)[0]
        pos += head + keylen + datalen


# --- TeeWriter: whoosh's writer, plus the scoring sidecar -------------------------------------------


class TeeWriter(SegmentWriter):
    """whoosh's segment writer, also writing the segment's sidecar (see :mod:`searcher.sidecar`).

    A document's accented pairs, given as ``_pairs`` (whoosh ignores names that
    start with ``_``), go to the sidecar's pair counts.  A merge adds the merged
    segments' counts and takes away those of their deleted documents, whose
    pairs ``pairs_of(stored_fields)`` reads again from what they stored.

    With ``sidecar_later``, the finished segment's sidecar is not written but
    left in :attr:`sidecar` (a forked worker's writer: the job writes it).
    """

    _collector: Collector | None = None
    sidecar: Contents | None = None
    _pair_arrays: PairArrays | None = None

    def __init__(self, ix, *, pairs_of=None, sidecar_later: bool = False, pairs_apart: bool = True, **kwargs):
        super().__init__(ix, **kwargs)
        self._pairs = PairCounts()
        self._pairs_of = pairs_of
        self._sidecar_later = sidecar_later
        # the pair_fold postings go to the segment's pair postings file, not to whoosh
        self._pairs_apart = pairs_apart and PAIR_FIELD in self.schema

    def add_document(self, **fields):
        super().add_document(**fields)
        self._pairs.add(fields.get("_pairs", ()))

    def add_reader(self, reader):
        """whoosh's merge of a segment into this writer's, with its pair postings and counts."""
        basedoc = self.docnum
        super().add_reader(reader)
        pairs = PairPostings.open(self.storage.folder, reader.segment())
        if pairs is not None:
            import numpy as np

            try:
                data = pairs.arrays()
            finally:
                pairs.close()
            # whoosh numbers the reader's live documents on from basedoc, in order
            n = reader.doc_count_all()
            live = np.ones(n, dtype=bool)
            if reader.has_deletions():
                live[sorted(reader.deleted_docs_set)] = False
            new_doc = np.where(live, basedoc + np.cumsum(live) - 1, -1)
            if basedoc + int(live.sum()) != self.docnum:
                raise RuntimeError(f"merging {reader.segment().segment_id()}: documents numbered unlike whoosh")
            self._add_pair_postings(data, new_doc)
        side = Sidecar.open(self.storage.folder, reader.segment())
        if side is None:
            return
        try:
            if not side.has_pairs:
                return
            self._pairs.add_counts(*side.pair_counts())
        finally:
            side.close()
        if reader.has_deletions():
            if self._pairs_of is None:
                raise ValueError("merging a segment with deletions needs pairs_of to recount its pairs")
            for docnum in sorted(reader.deleted_docs_set):
                self._pairs.remove(self._pairs_of(reader.stored_fields(docnum)))

    def _add_pair_postings(self, data: PairArrays, new_doc) -> None:
        """Add a merged segment's pair postings to the pool (``new_doc``: each of its
        document numbers here, -1 for a deleted one), a posting at a time."""
        import numpy as np

        ends = np.asarray(data.post_ends).tolist()
        docs, counts = np.asarray(new_doc)[data.docs].tolist(), np.asarray(data.counts).tolist()
        add = self.pool.add
        for term, a, b in zip(data.terms, [0, *ends[:-1]], ends):
            for d, c in zip(docs[a:b], counts[a:b]):
                if d >= 0:
                    add((PAIR_FIELD, term, d, float(c), pack_uint(c)))

    def _flush_segment(self):
        self._collector = Collector()
        pool_postings = self.pool.iter_postings
        if self._pairs_apart:
            sink = _PairSink()
            self.pool.iter_postings = lambda: self._collector.tee(sink.divert(pool_postings()))
        else:
            self.pool.iter_postings = lambda: self._collector.tee(pool_postings())
        try:
            super()._flush_segment()
        finally:
            self.pool.iter_postings = pool_postings
        if self._pairs_apart:
            self._pair_arrays = sink.arrays()

    def _finalize_segment(self):
        from whoosh.reading import SegmentReader

        segment = super()._finalize_segment()
        if self._pairs_apart:
            data = self._pair_arrays if self._pair_arrays is not None else _no_pairs()
            self._pair_arrays = None
            write_pair_postings(pairs_path(self.storage.folder, segment), data, segment.doc_count_all())
        reader = SegmentReader(self.storage, self.schema, segment)
        try:
            data = sidecar_contents(self._collector, reader, segment.doc_count_all(), self._pairs)
        finally:
            reader.close()
        self._collector = None
        self._pairs = PairCounts()
        if self._sidecar_later:
            self.sidecar = data
        else:
            write_sidecar(sidecar_path(self.storage.folder, segment), data)
        return segment


def _no_pairs() -> PairArrays:
    import numpy as np

    return PairArrays([], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


class _PairSink:
    """Takes the pair postings out of whoosh's sorted posting stream (:meth:`divert`)
    and gives them as :class:`PairArrays` (:meth:`arrays`)."""

    def __init__(self):
        self.terms: list[bytes] = []
        self.ends: list[int] = []
        self.docs = array("I")
        self.weights = array("d")

    def divert(self, items):
        terms, ends, docs, weights = self.terms, self.ends, self.docs, self.weights
        for item in items:
            if item[0] != PAIR_FIELD:
                yield item
                continue
            _, btext, docnum, weight, _value = item
            if not terms or terms[-1] != btext:
                if terms:
                    ends.append(len(docs))
                terms.append(btext)
            docs.append(docnum)
            weights.append(weight)

    def arrays(self) -> PairArrays:
        import numpy as np

        ends = [*self.ends, len(self.docs)] if self.terms else []
        w = np.frombuffer(self.weights, dtype=np.float64)
        counts = w.astype(np.int64)
        if not np.array_equal(counts, w):
            raise ValueError(f"{PAIR_FIELD} postings whose weights are not whole counts cannot be kept apart")
        return PairArrays(self.terms, np.array(ends, dtype=np.int64), np.frombuffer(self.docs, np.uint32), counts)


# --- the per-term posting pool ------------------------------------------------------------------


class _FieldPostings:
    """The postings of one field in arrival order, in flat arrays: a term id,
    document number, weight and encoded value per posting (about 20 bytes and
    the value, where whoosh's pool holds a tuple of five objects)."""

    __slots__ = ("terms", "keys", "tids", "docs", "weights", "values", "vsize", "vlens")

    def __init__(self):
        # term -> term id (order of first arrival).  The terms as the first one came: text
        # (pre-analysed values: their hashes are kept, as the analysis made them, where
        # each bytes key would be made and hashed again; written as UTF-8, whose byte
        # order is the text's code point order) or bytes (a numeric field's terms are no
        # text); the others are turned into that type (see _key).
        self.terms: dict = {}
        self.keys: type | None = None  # str or bytes, once a term came
        self.tids = array("I")
        self.docs = array("I")
        # single precision while every weight fits one exactly (term counts do); widened to
        # doubles otherwise, as whoosh keeps each block's greatest weight unrounded
        self.weights = array("f")
        self.values = bytearray()  # the encoded values, end to end
        self.vsize: int | None = None  # the length of every value so far (-1: they vary)
        self.vlens: array | None = None  # each value's length, once they vary

    def __len__(self) -> int:
        return len(self.docs)

    def add(self, btext: bytes, docnum: int, weight, vbytes) -> None:
        # None, b"" and the "" of an inlined list without values: no value
        self.add_items(docnum, ((btext, 0, weight, vbytes if vbytes else b""),), 1.0, False)

    def add_items(self, docnum: int, items, boost: float, scorable: bool) -> int:
        """Add one document's ``(term, frequency, weight, value)`` items (terms as text,
        or as UTF-8 bytes as a field's ``index`` gives them; values bytes); return the
        field's length in it."""
        terms, tids, docs, weights, values = self.terms, self.tids, self.docs, self.weights, self.values
        vsize, vlens = self.vsize, self.vlens
        length = 0
        for term, freq, weight, vbytes in items:
            length += freq
            if term.__class__ is not self.keys:
                term = self._key(term)
            tid = terms.get(term)
            if tid is None:
                tid = terms[term] = len(terms)
            tids.append(tid)
            docs.append(docnum)
            weight *= boost
            weights.append(weight)
            if weights[-1] != weight and weights.typecode == "f":  # not exact in single precision
                weights = self.weights = array("d", weights)
                weights[-1] = weight
            values += vbytes
            size = len(vbytes)
            if size != vsize:
                if vsize is None:  # the first value
                    vsize = size
                else:
                    if vsize >= 0:  # the first of another length: keep every length from now on
                        vlens = self.vlens = array("I", [vsize]) * (len(docs) - 1)
                        vsize = -1
                    assert vlens is not None
                    vlens.append(size)
        self.vsize = vsize
        return length if scorable else 0

    def _key(self, term):
        """``term`` (text or UTF-8 bytes) as the store's keys are; the first sets their type."""
        if self.keys is None:
            self.keys = type(term)
        if self.keys is str and term.__class__ is bytes:
            return term.decode("utf-8")
        if self.keys is bytes and term.__class__ is str:
            return term.encode("utf-8")
        return term

    def add_counts(self, docnum: int, counts: dict, field_boost: float, boost: float, scorable: bool) -> int:
        """:meth:`add_items` for a document's terms and counts in a Frequency field
        (``{term: count}``), with the items whoosh's format would give (weight
        ``float(count) * field_boost``, value ``pack_uint(count)``) and ``boost``.  The same pool
        state, built a list at a time instead of a posting at a time."""
        k = len(counts)
        if not k:
            return 0
        # everything that can fail (a count that is not a 32-bit number...) before the pool changes
        ns = list(counts.values())
        packed = struct.pack(f"!{k}I", *ns)  # pack_uint, end to end
        if field_boost * boost == 1.0 and max(ns) <= _EXACT_SINGLE:
            ws = None  # each weight is float(n) * field_boost * boost == float(n), exact in single precision
        else:
            ws = [float(n) * field_boost * boost for n in ns]  # as _encode, then add_items, compute it
        terms = self.terms
        if self.keys is not str:
            if self.keys is None:
                self.keys = str
            else:
                counts = {self._key(t): n for t, n in counts.items()}
        tids = [terms.get(t) for t in counts]
        if None in tids:
            for i, t in enumerate(counts):
                if tids[i] is None:
                    tids[i] = terms.setdefault(t, len(terms))
        before = len(self.docs)
        self.tids.extend(tids)
        self.docs.extend(array("I", (docnum,)) * k)
        if ws is None:
            self.weights.extend(array(self.weights.typecode, ns))
        elif self.weights.typecode == "f":
            single = array("f", ws)
            if single.tolist() != ws:  # not all exact in single precision: doubles from now on
                self.weights = array("d", self.weights)
                single = array("d", ws)
            self.weights.extend(single)
        else:
            self.weights.extend(ws)
        self._add_uint_values(packed, before, k)
        return sum(ns) if scorable else 0

    def _add_uint_values(self, packed: bytes, before: int, k: int) -> None:
        """Append ``k`` values of ``pack_uint`` (4 bytes each, end to end in ``packed``)
        after the pool's first ``before`` postings, keeping every value's length once
        lengths vary (as :meth:`add_items` does a value at a time)."""
        self.values += packed
        size, vsize = _UINT_BYTES, self.vsize
        if vsize is None:
            self.vsize = size
        elif vsize != size:
            if vsize >= 0:  # the first of another length: keep every length from now on
                self.vlens = array("I", [vsize]) * before
                self.vsize = -1
            assert self.vlens is not None
            self.vlens.extend(array("I", [size]) * k)

    def _order(self):
        """``(terms, per_term, order)``: the terms in bytes order, how many postings each
        has, and the postings' positions sorted by term, then document number."""
        import numpy as np

        terms = self.terms
        ordered = sorted(terms)
        rank = np.empty(len(terms), dtype=np.int64)
        rank[np.fromiter((terms[t] for t in ordered), dtype=np.int64, count=len(ordered))] = np.arange(len(ordered))
        r = rank[np.frombuffer(self.tids, dtype=np.uint32)]
        docs = np.frombuffer(self.docs, dtype=np.uint32)
        order = np.argsort((r << 32) | docs, kind="stable")
        return ordered, np.bincount(r, minlength=len(ordered)), order

    def _weights(self):
        import numpy as np

        return np.frombuffer(self.weights, dtype=np.float32 if self.weights.typecode == "f" else np.float64)

    def pair_arrays(self) -> PairArrays | None:
        """The postings as :class:`PairArrays` (sorted as :meth:`sorted_terms`), or None
        if a weight is not a whole count (a boost): those stay whoosh's to write."""
        import numpy as np

        if not len(self.docs):
            return _no_pairs()
        ordered, per_term, order = self._order()
        weights = self._weights()[order]
        counts = weights.astype(np.int64)
        if not np.array_equal(counts, weights) or int(counts.min()) < 1:
            return None
        docs = np.frombuffer(self.docs, dtype=np.uint32)[order]
        terms = [t.encode("utf-8") for t in ordered] if self.keys is str else ordered
        return PairArrays(terms, np.cumsum(per_term), docs, counts)

    def add_pairs(self, data: PairArrays, new_doc) -> None:
        """Add a merged segment's pair postings (``new_doc``: each of its document
        numbers here, -1 for a deleted one) with the values and weights a
        Frequency format gives a count: :meth:`add_counts`' pool state, an array at a time."""
        import numpy as np

        per_term = np.diff(np.asarray(data.post_ends, dtype=np.int64), prepend=0).astype(np.int64)
        docs = np.asarray(new_doc, dtype=np.int64)[np.asarray(data.docs, dtype=np.int64)]
        keep = docs >= 0
        if not keep.any():
            return
        terms = self.terms
        tid_of = np.fromiter(
            (terms.setdefault(self._key(t), len(terms)) for t in data.terms),
            dtype=np.uint32,
            count=len(data.terms),
        )
        counts = np.asarray(data.counts, dtype=np.int64)[keep]
        before = len(self.docs)
        self.tids.frombytes(np.repeat(tid_of, per_term)[keep].tobytes())
        self.docs.frombytes(docs[keep].astype(np.uint32).tobytes())
        if self.weights.typecode == "f" and int(counts.max()) > _EXACT_SINGLE:  # not exact in single precision
            self.weights = array("d", self.weights)
        self.weights.frombytes(counts.astype(self._weights().dtype).tobytes())
        self._add_uint_values(counts.astype(">u4").tobytes(), before, len(counts))  # pack_uint, end to end

    def sorted_terms(self):
        """Yield ``(term, docnums, weights, values)`` by term (bytes order), each
        term's postings by document number: what whoosh's sorted pool would give."""
        import numpy as np

        n = len(self.docs)
        if not n:
            return
        ordered, per_term, order = self._order()
        counts = per_term.tolist()
        docs = np.frombuffer(self.docs, dtype=np.uint32)[order]
        weights = self._weights()[order]
        if self.vlens is None:  # every value of one size
            vlens = np.full(n, self.vsize, dtype=np.int64)
            vstart = order * self.vsize
        else:
            vlens = np.frombuffer(self.vlens, dtype=np.uint32).astype(np.int64)
            vstart = np.zeros(n, dtype=np.int64)
            np.cumsum(vlens[:-1], out=vstart[1:])
            vstart, vlens = vstart[order], vlens[order]
        del order
        blob = bytes(self.values)

        base = chunk_end = 0
        d = w = v = None
        pos = 0
        text = self.keys is str
        for term, count in zip(ordered, counts):
            btext = term.encode("utf-8") if text else term
            end = pos + count
            if end > chunk_end:  # turn the next postings into Python lists
                base, chunk_end = pos, min(n, max(pos + _CHUNK_POSTINGS, end))
                d = docs[base:chunk_end].tolist()
                w = weights[base:chunk_end].tolist()
                starts = vstart[base:chunk_end].tolist()
                stops = (vstart[base:chunk_end] + vlens[base:chunk_end]).tolist()
                v = [blob[a:b] for a, b in zip(starts, stops)]
            a, b = pos - base, end - base
            yield btext, d[a:b], w[a:b], v[a:b]
            pos = end


class TermPool:
    """A segment's postings, held per field and term in compact arrays until the
    segment is written (in place of whoosh's ``PostingPool``, which sorts runs of
    posting tuples, pickles them to disk and merges them back)."""

    def __init__(self):
        self.fields: dict[str, _FieldPostings] = {}

    def field(self, fieldname: str) -> _FieldPostings:
        store = self.fields.get(fieldname)
        if store is None:
            store = self.fields[fieldname] = _FieldPostings()
        return store

    # whoosh's pool interface (SegmentWriter.add_reader, iter_postings, _close_segment)

    def add(self, item) -> None:
        """Add one ``(fieldname, term, docnum, weight, value)`` posting."""
        fieldname, btext, docnum, weight, vbytes = item
        if docnum < 0:
            raise ValueError("spelling postings (docnum -1) are not supported")
        self.field(fieldname).add(btext, docnum, weight, vbytes)

    def iter_postings(self):
        """Every posting as ``(fieldname, term, docnum, weight, value)``, sorted."""
        for fieldname in sorted(self.fields):
            for btext, docs, weights, values in self.fields[fieldname].sorted_terms():
                for d, w, v in zip(docs, weights, values):
                    yield fieldname, btext, d, w, v

    def cleanup(self) -> None:
        self.fields = {}


# --- BulkWriter ------------------------------------------------------------------------------


class _InliningTermInfo(W3TermInfo):
    """whoosh's term info, answering to the name its postings writer calls.

    ``W3PostingsWriter.finish_postings`` inlines a short posting list with
    ``terminfo.set_inline(...)``, a method W3TermInfo does not have (it has
    ``set_inlined``), so stock whoosh never inlines.  The class is never pickled:
    the term index holds the term info's bytes, which whoosh reads as its own
    (:meth:`W3TermInfo.from_bytes`).  An inlined list is pickled with
    ``protocol``.
    """

    def __init__(self, protocol: int = 2):
        super().__init__()
        self.protocol = protocol

    def set_inline(self, ids, weights, values):
        self.set_inlined(ids, weights, values)

    def to_bytes(self):
        if self.protocol == 2 or not self.is_inlined():
            return super().to_bytes()
        # W3TermInfo.to_bytes, but for the protocol
        st = self._struct.pack(
            True,
            self._weight,
            self._df,
            0 if self._minlength is None else length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
            self._maxweight,
            0xFFFFFFFF if self._minid is None else self._minid,
            0xFFFFFFFF if self._maxid is None else self._maxid,
        )
        return st + pickle.dumps(self.inlined_postings(), self.protocol)


class _CountedFile(StructFile):
    """A file whoosh's term table writes through, that knows where it is by counting
    the bytes written, where whoosh asks the file (``tell``, a system call) twice per
    term.  Arrays and pickles go through :meth:`write` too (``is_real`` off), so
    every byte is counted; the byte-identity test of the writer checks the offsets."""

    def __init__(self, like: StructFile):
        super().__init__(like.file, name=like._name, onclose=like.onclose)
        self.is_real = False
        self._at = like.tell()

    def write(self, b) -> int:
        self._at += len(b)
        return self.file.write(b)

    def write_pickle(self, obj, protocol: int = -1) -> None:
        self.write(pickle.dumps(obj, protocol))  # StructFile's dumps into the file itself

    def tell(self) -> int:
        return self._at

    def seek(self, *args, **kwargs):
        raise OSError("the term table is written in one pass")


class _PostingsWriter(W3PostingsWriter):
    """whoosh's postings writer, its blocks pickled with ``protocol`` and left
    uncompressed when zlib would not make them smaller.  It counts the bytes it
    writes instead of asking the file where it is twice per term (``tell``, a
    system call each time: about 1 µs, 0.2 s of a 13 s one-process build of
    1,500 articles)."""

    def __init__(self, like: W3PostingsWriter, protocol: int):
        super().__init__(
            like._postfile,
            like._blocklimit,
            byteids=like._byteids,
            compression=like._compression,
            inlinelimit=like._inlinelimit,
        )
        self.protocol = protocol
        self._at = like._postfile.tell()  # where the next byte goes: only this writer writes the file

    def start_postings(self, format_, terminfo):
        # W3PostingsWriter.start_postings, with the counted offset
        if self._terminfo:
            raise RuntimeError("start_postings called inside a term")
        self._format = format_
        self._blockcount = 0
        self._new_block()
        self._terminfo = terminfo
        self._startoffset = self._at

    def finish_postings(self):
        # W3PostingsWriter.finish_postings, with the counted offset
        terminfo = self._terminfo
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inline(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            terminfo.set_extent(self._startoffset, self._at - self._startoffset)
        self._terminfo = None
        return terminfo

    def _write_block(self, last=False):
        # W3PostingsWriter._write_block, but for the protocol and the compression
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
            self._at += len(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data, comp = _block_data(
            (self._mini_ids(), self._mini_weights(), self._mini_values()), self.protocol, self._compression
        )
        ids = self._ids
        info = (
            len(ids),
            ids[-1],
            self._maxweight,
            comp,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, self.protocol)
        length = len(infobytes) + len(data)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(infobytes)
        self._postfile.write(data)
        self._at += _INT_BYTES + length
        self._blockcount += 1
        self._new_block()


def _block_data(block: tuple, protocol: int, level: int) -> tuple[bytes, int]:
    """A block's ``(ids, weights, values)`` pickled, and zlib-compressed at ``level``
    where that makes it smaller: the bytes, and the level they are compressed at (0: not)."""
    data = pickle.dumps(block, protocol)
    if level:
        packed = zlib.compress(data, level)
        if len(packed) < len(data):
            return packed, level
    return data, 0


def _encode(field, value: Analysed, text: bool = False):
    """``(term bytes, frequency, weight, encoded value)`` of a pre-analysed value, as
    ``field.index(text)`` would give them (the field's format's own encoding);
    ``text``: each term as text, not bytes (what the posting pool keeps)."""
    fmt = field.format
    fb = fmt.field_boost
    kind, terms = value.kind, value.terms
    ftype = type(fmt)
    if kind == "counts":
        if ftype is formats.Frequency:
            return [((t if text else t.encode("utf-8")), n, float(n) * fb, pack_uint(n)) for t, n in terms.items()]
        if ftype is formats.Existence:
            return [((t if text else t.encode("utf-8")), 1, fb, b"") for t in terms]
    elif kind == "positions":
        if ftype is formats.Positions:
            enc = fmt.encode
            return [
                ((t if text else t.encode("utf-8")), len(ps), float(len(ps)) * fb, enc(ps)) for t, ps in terms.items()
            ]
        if ftype is formats.Frequency:
            return [
                ((t if text else t.encode("utf-8")), len(ps), float(len(ps)) * fb, pack_uint(len(ps)))
                for t, ps in terms.items()
            ]
    elif kind == "chars":
        if ftype is formats.Characters:
            enc = fmt.encode
            return [
                ((t if text else t.encode("utf-8")), len(cs), float(len(cs)) * fb, enc(cs)) for t, cs in terms.items()
            ]
        if ftype is formats.Positions:
            enc = fmt.encode
            return [
                ((t if text else t.encode("utf-8")), len(cs), float(len(cs)) * fb, enc([c[0] for c in cs]))
                for t, cs in terms.items()
            ]
        if ftype is formats.Frequency:
            return [
                ((t if text else t.encode("utf-8")), len(cs), float(len(cs)) * fb, pack_uint(len(cs)))
                for t, cs in terms.items()
            ]
    raise TypeError(f"a pre-analysed value of kind {kind!r} cannot fill a {ftype.__name__} field")


class BulkWriter(TeeWriter):
    """The index job's segment writer: same postings as :class:`TeeWriter`, written
    faster (see the module doc).  Field values may be text (analysed by the field's
    analyzer, as whoosh does), lists of terms, or :class:`~searcher.analysis.Analysed`;
    a stored field given pre-analysed needs its text as ``_stored_<name>``."""

    def __init__(self, ix, *, inline_postings: int | None = None, pickle_protocol: int | None = None, **kwargs):
        super().__init__(ix, **kwargs)
        if not isinstance(self.fieldwriter, W3FieldWriter):
            self.cancel()
            raise TypeError(f"BulkWriter writes whoosh's W3 codec, not {type(self.fieldwriter).__name__}")
        # at most this many postings are inlined (None: INLINE_POSTINGS; 0: none, as stock whoosh)
        self.inline_postings = INLINE_POSTINGS if inline_postings is None else inline_postings
        # None: PICKLE_PROTOCOL; 2: whoosh's own bytes
        self.pickle_protocol = PICKLE_PROTOCOL if pickle_protocol is None else pickle_protocol
        self.pool = TermPool()  # whoosh's PostingPool, replaced, had written nothing yet

    def add_document(self, **fields):
        """whoosh's ``SegmentWriter.add_document``, postings into the :class:`TermPool`."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                analysed = isinstance(value, Analysed)
                if field.separate_spelling() or field.vector:
                    raise ValueError(f"field {fieldname!r}: spelling and vector fields are not supported")
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    store = pool.field(fieldname)
                    fmt = field.format
                    if analysed and value.kind == "counts" and type(fmt) is formats.Frequency:
                        length = store.add_counts(docnum, value.terms, fmt.field_boost, boost, field.scorable)
                    else:
                        items = _encode(field, value, text=True) if analysed else field.index(value)
                        length = store.add_items(docnum, items, boost, field.scorable)
                customval = fields.get(f"_stored_{fieldname}", value)
                if field.stored and isinstance(customval, Analysed):
                    raise ValueError(f"field {fieldname!r} is stored: give its text as _stored_{fieldname}")
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._pairs.add(fields.get("_pairs", ()))
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        collector = self._collector = Collector()
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            fields = self.pool.fields
            for fieldname in sorted(fields):
                store = fields.pop(fieldname)  # its memory goes as soon as it is written
                if fieldname == PAIR_FIELD and self._pairs_apart:
                    self._pair_arrays = store.pair_arrays()  # None: not whole counts, whoosh's
                    self._pairs_apart = self._pair_arrays is not None
                if len(store) and not (fieldname == PAIR_FIELD and self._pairs_apart):
                    self._write_field(fieldname, store, lengths, collector)
                del store
        finally:
            lengths.close()  # a reader: closing it cannot fail
        # not in the finally: on a full disk, closing the field writer fails again, and that
        # second error would keep the first one's frames (this writer, its open files) alive
        # in its context; the job cancels the writer instead
        self.fieldwriter.close()

    def _add_pair_postings(self, data: PairArrays, new_doc) -> None:
        self.pool.field(PAIR_FIELD).add_pairs(data, new_doc)

    def _write_field(self, fieldname: str, store: _FieldPostings, lengths, collector: Collector) -> None:
        """One field's postings into whoosh's field writer, a term at a time."""
        fw = self.fieldwriter
        fieldobj = self.schema[fieldname]
        fw.start_field(fieldname, fieldobj)
        protocol = self.pickle_protocol
        if protocol != 2:
            fw._postwriter = _PostingsWriter(fw._postwriter, protocol)
        if type(fw._tindex.dbfile) is not _CountedFile:
            fw._tindex.dbfile = _CountedFile(fw._tindex.dbfile)
        pw = fw._postwriter
        pw._inlinelimit = self.inline_postings + 1  # whoosh inlines lists *shorter* than this
        fmt = fw._format
        blocklimit = pw._blocklimit
        # each document's (byte-encoded) length, read once per field, as whoosh's
        # add_postings reads it once per posting
        dfl = lengths.doc_field_length
        lens = [dfl(d, fieldname) for d in range(lengths.doc_count_all())]
        # the sidecar keeps the frequent terms of its fields
        least = collector.min_postings if fieldname in collector.fields else None
        # the term table's rows (whoosh's W3FieldWriter.finish_term, a term at a time), added
        # together at the end; short lists' rows are made here, without whoosh's objects
        fast = _FAST_TERMS
        inline = min(self.inline_postings, blocklimit) if fast else 0
        prefix = pack_ushort(fw._fieldid)
        # a list in one block written here too, where the postings writer is this module's
        one_block = fast and type(pw) is _PostingsWriter and pw._terminfo is None
        fixed = fmt.fixed_value_size()
        rows: list[tuple[bytes, bytes]] = []
        for btext, docs, weights, values in store.sorted_terms():
            n = len(docs)
            if least is not None and n >= least:
                collector.add_term(fieldname, btext, docs, weights)
            if len(rows) >= _ROWS_AT_ONCE:
                _add_in_order(fw._tindex, rows)
                rows = []
            if n <= inline:
                rows.append((prefix + btext, _inlined_term_info(docs, weights, values, lens, protocol)))
                continue
            if one_block and n <= blocklimit:
                rows.append((prefix + btext, _one_block_term(pw, docs, weights, values, lens, protocol, fixed)))
                continue
            fw._btext = btext
            pw.start_postings(fmt, _InliningTermInfo(protocol))
            if n <= blocklimit:
                _fill_block(pw, docs, weights, values, lens)
            else:
                for a in range(0, n, blocklimit):
                    if a:
                        pw._write_block()  # as add_posting does when a full block meets the next posting
                    b = a + blocklimit
                    _fill_block(pw, docs[a:b], weights[a:b], values[a:b], lens)
            if fast:
                rows.append((prefix + btext, pw.finish_postings().to_bytes()))
            else:
                fw.finish_term()
        _add_in_order(fw._tindex, rows)
        fw.finish_field()


# A term info's statistics: inlined or not, total weight, documents, shortest and longest
# length (as bytes), greatest weight, first and last document.
_TERM_INFO = W3TermInfo._struct


def _block_stats(docs: list, weights: list, lens: list) -> tuple[array, float, int | None, int]:
    """What whoosh's postings writer keeps of a block of postings as ``add_posting`` adds them:
    the weights in single precision, the greatest weight (0 unless positive), and the
    shortest and longest non-zero field length of its documents (None and 0 if none)."""
    top = max(weights)
    present = [lens[d] for d in docs if lens[d]]
    shortest, longest = (min(present), max(present)) if present else (None, 0)
    return array("f", weights), (top if top > 0 else 0), shortest, longest


def _term_stats(inlined: bool, docs: list, w32: array, top: float, shortest: int | None, longest: int) -> bytes:
    """The statistics ``W3TermInfo.to_bytes`` packs for a term whose postings are one block."""
    lo = 0 if shortest is None else length_to_byte(shortest)
    return _TERM_INFO.pack(inlined, sum(w32), len(docs), lo, length_to_byte(longest), top, docs[0], docs[-1])


def _inlined_term_info(docs: list, weights: list, values: list, lens: list, protocol: int) -> bytes:
    """The term table's value for a posting list inlined into it: the bytes of an
    :class:`_InliningTermInfo` after whoosh's ``start_postings``, :func:`_fill_block`,
    ``finish_postings`` and ``to_bytes`` (the byte-identity test of the writer
    compares the two ways), without making the objects: most terms are pairs found
    in one bulletin, each of which took about 10 µs that way."""
    w32, top, shortest, longest = _block_stats(docs, weights, lens)
    kept = tuple(v for v in values if v)
    return _term_stats(True, docs, w32, top, shortest, longest) + pickle.dumps(
        (tuple(docs), tuple(w32), kept), protocol
    )


def _one_block_term(
    pw: _PostingsWriter, docs: list, weights: list, values: list, lens: list, protocol: int, fixed
) -> bytes:
    """Write a posting list that fits one block into the postings file; return its
    term table value.  What :class:`_PostingsWriter` writes and whoosh's term info
    packs after ``start_postings``, :func:`_fill_block`, ``finish_postings`` (with
    its last ``_write_block``) and ``to_bytes`` (the byte-identity test of the writer
    compares the two ways), without making the objects.  ``fixed``: the format's
    ``fixed_value_size()``."""
    start = pw._at
    w32, top, shortest, longest = _block_stats(docs, weights, lens)
    kept = [v for v in values if v]
    # W3PostingsWriter._mini_ids, _mini_weights, _mini_values
    ids = tuple(delta_encode(docs))
    if all(w == 1.0 for w in w32):
        mini_weights = None
    elif all(w == w32[0] for w in w32):
        mini_weights = w32[0]
    else:
        mini_weights = tuple(w32)
    mini_values: tuple | bytes | None
    if fixed is None or fixed < 0:
        mini_values = tuple(kept)
    elif fixed == 0:
        mini_values = None
    else:
        mini_values = b"".join(kept)
    data, comp = _block_data((ids, mini_weights, mini_values), protocol, pw._compression)
    info = pickle.dumps((len(docs), docs[-1], top, comp, length_to_byte(shortest), length_to_byte(longest)), protocol)
    size = len(info) + len(data)
    pw._postfile.write(b"".join((WHOOSH3_HEADER_MAGIC, pack_int(-size), info, data)))  # the last block
    pw._at += len(WHOOSH3_HEADER_MAGIC) + _INT_BYTES + size
    return _term_stats(False, docs, w32, top, shortest, longest) + pack_long(start) + pack_int(pw._at - start)


def _add_in_order(tindex, rows: list) -> None:
    """``tindex.add(key, value)`` for each row, keys in increasing order, in one loop.

    whoosh's ``OrderedHashWriter.add``, for every row of a field at once: the
    same bytes, positions and hashes (MD5's last four bytes, as ``md5_hash``),
    one write.  Another table or hash function is given its rows one by one."""
    dbfile = tindex.dbfile
    if type(tindex) is not OrderedHashWriter or tindex.hashfn is not md5_hash or type(dbfile) is not _CountedFile:
        for key, value in rows:
            tindex.add(key, value)
        return
    index, buckets, lastkey = tindex.index, tindex.buckets, tindex.lastkey
    pos = dbfile.tell()
    lengths, md5 = _RECORD_LENGTHS.pack, hashlib.md5
    out: list[bytes] = []
    for key, value in rows:
        if key <= lastkey:
            raise ValueError(f"Keys must increase: {lastkey!r}..{key!r}")
        index.append(pos)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        buckets[h & 255].append((h, pos))
        record = lengths(len(key), len(value))
        out += (record, key, value)
        pos += len(record) + len(key) + len(value)
        lastkey = key
    dbfile.write(b"".join(out))
    tindex.lastkey = lastkey


def _fill_block(pw, docs: list, weights: list, values: list, lens: list) -> None:
    """Put postings into the postings writer's buffered block, as that many
    ``add_posting`` calls would (ids, weights, non-empty values, block statistics)."""
    pw._ids = array("I", docs)
    pw._weights, pw._maxweight, pw._minlength, pw._maxlength = _block_stats(docs, weights, lens)
    pw._values = [v for v in values if v]
