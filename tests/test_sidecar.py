"""The sidecar's packed postings (format 2) read back exactly, and format 1 is still read."""

from __future__ import annotations

import shutil
import sqlite3
from array import array
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from searcher import Searcher, build_index, layout, sidecar


@pytest.mark.parametrize(
    ("docs", "weights", "packed"),
    [
        ([0, 1, 2, 65_537, 130_000], [1, 2, 3, 4, 65_535], (True, True)),  # gaps and counts that fit
        ([5, 70_000, 140_001], [1, 1, 1], (False, True)),  # a gap over 16 bits: 32-bit numbers
        ([3, 4], [1.5, 2.0], (True, False)),  # a weight that is not a count: floats
        ([3, 4], [1, 70_000], (True, False)),  # a count over 16 bits: floats
        ([], [], (True, True)),
    ],
)
def test_postings_round_trip_packed_where_they_fit(docs, weights, packed):
    d, w = sidecar.pack_docs(array("I", docs)), sidecar.pack_weights(array("f", weights))
    assert (d[:1] == b"\x01", w[:1] == b"\x01") == packed
    got_docs, got_weights = sidecar.unpack_docs(d), sidecar.unpack_weights(w)
    assert got_docs.dtype == np.intp and got_weights.dtype == np.float64
    assert got_docs.tolist() == docs and got_weights.tolist() == [float(x) for x in weights]
    if packed == (True, True) and docs:
        assert len(d) + len(w) == 8 + 4 * len(docs)  # 4 bytes a posting, against 8 in format 1


def test_an_unknown_tag_is_damage():
    with pytest.raises(ValueError):
        sidecar.unpack_docs(b"\x07\x00\x00\x00\x01\x00")


def _rewrite_as_format_1(path: Path) -> None:
    """The sidecar as an index of the previous version wrote it: plain 32-bit blobs, format "1"."""
    with closing(sqlite3.connect(path)) as con:
        rows = con.execute("SELECT field, term, docs, weights FROM postings").fetchall()
        for field, term, docs, weights in rows:
            plain_docs = np.asarray(sidecar.unpack_docs(docs), dtype=np.uint32).tobytes()
            plain_weights = np.asarray(sidecar.unpack_weights(weights), dtype=np.float32).tobytes()
            con.execute(
                "UPDATE postings SET docs = ?, weights = ? WHERE field = ? AND term = ?",
                (plain_docs, plain_weights, field, term),
            )
        con.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
        con.commit()


def test_an_index_with_format_1_sidecars_searches_the_same(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index(corpus_dir, index, procs=1)
    old = tmp_path / "old"
    shutil.copytree(index, old)
    sidecars = list(layout.current_generation(old).path.glob(f"*.{sidecar.EXT}"))
    assert sidecars
    for path in sidecars:
        _rewrite_as_format_1(path)
    queries = ["đảng viên", "ket luan 21", "Bộ Chính trị", "công tác cán bộ"]
    with Searcher(index) as new_s, Searcher(old) as old_s:
        for q in queries:
            a, b = new_s.search(q), old_s.search(q)
            assert a.total and [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits], q
