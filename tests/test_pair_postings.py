"""The pair postings file (searcher.pair_postings): what is written is read back,
look-ups find exactly the terms written, and a damaged file is reported as damage."""

from __future__ import annotations

import numpy as np
import pytest

from searcher import pair_postings as pp
from searcher.errors import DAMAGE, DamagedFileError


def arrays(postings: dict[bytes, list[tuple[int, int]]]) -> pp.PairArrays:
    terms = sorted(postings)
    ends = np.cumsum([len(postings[t]) for t in terms], dtype=np.int64)
    docs = np.array([d for t in terms for d, _ in postings[t]], dtype=np.int64)
    counts = np.array([c for t in terms for _, c in postings[t]], dtype=np.int64)
    return pp.PairArrays(terms, ends, docs, counts)


POSTINGS = {
    b"ban chap": [(0, 1), (3, 2), (7, 1)],
    b"chap hanh": [(3, 1)],
    b"ket luan": [(1, 4), (2, 1), (5, 300)],  # a count above 255: two bytes a count
    b"xay dung": [(7, 1)],
    "đảng ủy".encode(): [(4, 1)],  # bytes above 127 sort last
}


@pytest.mark.parametrize("documents", [8, 70_000])  # 2-byte and 4-byte document numbers
def test_what_is_written_is_read_back(tmp_path, documents):
    path = tmp_path / "x.pairs"
    pp.write(path, arrays(POSTINGS), documents)
    r = pp.PairPostings(path)
    try:
        assert (r.documents, r.term_count, r.posting_count) == (documents, 5, 9)
        for term, posts in POSTINGS.items():
            docs, weights = r.postings(term)
            assert docs.dtype == np.intp and weights.dtype == np.float64
            assert list(zip(docs.tolist(), weights.tolist())) == [(d, float(c)) for d, c in posts]
            assert r.doc_frequency(term) == len(posts)
            docs[0] = 99  # the caller's to change: the file is not
            assert r.postings(term)[0][0] == posts[0][0]
        for absent in (b"", b"a", b"ban", b"ban chap ", b"chap", b"zzz", "đảng".encode(), "ủy".encode()):
            assert r.postings(absent) is None and r.doc_frequency(absent) == 0
        back = r.arrays()
        assert back.terms == sorted(POSTINGS)
        assert back.docs.tolist() == arrays(POSTINGS).docs.tolist()
        assert back.counts.tolist() == arrays(POSTINGS).counts.tolist()
    finally:
        r.close()


def test_an_empty_segment(tmp_path):
    path = tmp_path / "x.pairs"
    pp.write(path, arrays({}), 3)
    r = pp.PairPostings(path)
    try:
        assert r.term_count == 0 and r.postings(b"ket luan") is None and r.arrays().terms == []
    finally:
        r.close()


def test_disagreeing_arrays_are_not_written(tmp_path):
    bad = arrays(POSTINGS)
    bad.counts[0] = 0
    with pytest.raises(ValueError):
        pp.write(tmp_path / "x.pairs", bad, 8)
    short = arrays(POSTINGS)
    short.post_ends[-1] -= 1
    with pytest.raises(ValueError):
        pp.write(tmp_path / "y.pairs", short, 8)
    assert not list(tmp_path.iterdir())


def damaged(tmp_path, change):
    path = tmp_path / "x.pairs"
    pp.write(path, arrays(POSTINGS), 8)
    data = bytearray(path.read_bytes())
    change(data)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.__delitem__(slice(len(d) - 9, None)),  # cut short
        lambda d: d.__delitem__(slice(20, None)),  # shorter than its header
        lambda d: d.__setitem__(slice(0, 8), b"NOTPAIRS"),  # another file
        lambda d: d.__setitem__(slice(8, 12), (2).to_bytes(4, "little")),  # a format to come
        lambda d: d.__setitem__(32, 3),  # a width no writer uses (the term ends')
        lambda d: d.extend(b"\0" * 8),  # longer than its parts
    ],
    ids=["cut", "no-header", "magic", "format", "width", "longer"],
)
def test_a_damaged_file_is_damage(tmp_path, change):
    with pytest.raises(DamagedFileError):
        pp.PairPostings(damaged(tmp_path, change))
    assert issubclass(DamagedFileError, DAMAGE)


def test_damaged_postings_are_found_when_read(tmp_path):
    """Documents out of order, or beyond the segment: damage, not wrong answers."""
    # the first documents (2 bytes each, after the header and two 4-byte term arrays of 5)
    at = 40 + 24 + 24

    def swap(d):
        d[at : at + 2], d[at + 2 : at + 4] = d[at + 2 : at + 4], d[at : at + 2]

    r = pp.PairPostings(damaged(tmp_path, swap))
    try:
        assert r.postings(b"xay dung") is not None  # another term reads as it was
        with pytest.raises(DamagedFileError):
            r.postings(b"ban chap")
    finally:
        r.close()
