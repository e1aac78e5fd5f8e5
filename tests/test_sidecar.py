"""The sidecar's packed postings (format 2) read back exactly, and format 1 is still
read; its accented pair counts (format 3) follow new bulletins, merges and deletions."""

from __future__ import annotations

import shutil
import sqlite3
from array import array
from collections import Counter
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as windex
from whoosh.reading import SegmentReader

from searcher import Searcher, analysis, build_index, layout, sidecar
from searcher import whoosh_internals as wi
from searcher.schema import build_schema


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


# --- accented pair counts --------------------------------------------------------------------

BODIES = {
    "a": "Đã phải nhích dần từng bước. Kết luận 21 của Bộ Chính trị.",
    "b": "Bộ Chính trị đã phải họp. Hoà bình, hòa bình!",
    "c": "Kết luận số 21-KL/TW; đã hải nhích.",
    "d": "Hà",
    "e": "Bộ Chính trị kết luận: đã phải làm ngay.",
    "f": "",
}


def _oracle(bodies) -> Counter:
    """Bulletins holding each pair, by the pair analyzer (the whoosh chain)."""
    out: Counter = Counter()
    for body in bodies:
        out.update({sidecar.pair_key(t.text) for t in analysis.pair_analyzer()(body)})
    return out


def _sidecar_counts(folder: Path) -> Counter:
    out: Counter = Counter()
    for path in folder.glob(f"*.{sidecar.EXT}"):
        side = sidecar.Sidecar(path)
        try:
            keys, counts = side.pair_counts()
            out.update(dict(zip(keys.tolist(), counts.tolist(), strict=True)))
        finally:
            side.close()
    return out


def _add(writer, ids) -> None:
    for i in ids:
        writer.add_document(id=i, body=BODIES[i], _pairs=analysis.body_pairs(BODIES[i]))


def _merge_all(writer, segments):
    for seg in segments:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return []


@pytest.mark.parametrize("bulk", [True, False])
def test_pair_counts_follow_merges_and_deletions(tmp_path, bulk):
    """Two segments, then a deletion in each and a merge of everything: the merged
    sidecar counts exactly the live bulletins' pairs (deleted ones read again)."""
    ix = windex.create_in(str(tmp_path), build_schema())

    def writer():
        return wi.open_writer(ix, bulk=bulk, pairs_of=lambda stored: analysis.body_pairs(stored["body"]))

    for ids in (["a", "b", "c"], ["d", "e"]):
        w = writer()
        _add(w, ids)
        wi.commit_segments(w, wi.merge_segments(w, lambda _w, segments: segments))
    assert _sidecar_counts(tmp_path) == _oracle(BODIES[i] for i in "abcde")
    assert len(list(tmp_path.glob(f"*.{sidecar.EXT}"))) == 2

    w = writer()
    w.delete_by_term("id", "b")
    w.delete_by_term("id", "e")
    _add(w, ["f"])
    wi.commit_segments(w, wi.merge_segments(w, _merge_all))
    ix.close()
    (path,) = tmp_path.glob(f"*.{sidecar.EXT}")  # the merged segments' sidecars went with them
    live = _oracle(BODIES[i] for i in "acdf")
    assert _sidecar_counts(tmp_path) == live
    side = sidecar.Sidecar(path)
    try:
        assert side.pair_count("bộ chính") == 1  # "a" only: "b" and "e" are gone
        assert side.pair_count("đã phải") == 1 and side.pair_count("đã hải") == 1
        assert side.pair_count("đã hại") == 0
    finally:
        side.close()


def test_merging_deletions_without_a_way_to_recount_them_is_refused(tmp_path):
    ix = windex.create_in(str(tmp_path), build_schema())
    w = wi.open_writer(ix)
    _add(w, ["a", "b"])
    wi.commit_segments(w, [])
    w = wi.open_writer(ix)  # no pairs_of
    w.delete_by_term("id", "a")
    with pytest.raises(ValueError, match="pairs_of"):
        wi.merge_segments(w, _merge_all)
    w.cancel()
    ix.close()


def test_an_updated_index_counts_the_accented_pairs_of_its_bulletins(tmp_path, corpus_dir):
    """The typo reader's counts after an index job adds a bulletin and changes one
    (whose old version is deleted, and its pairs taken out when the job merges)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, procs=1)
    (corpus / "zz_extra.txt").write_text("Tiêu đề\n\nBộ Chính trị đã phải họp về kết luận 21.\n", encoding="utf-8")
    changed = sorted(corpus.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nĐã hải nhích thêm.\n", encoding="utf-8")
    build_index(corpus, index, procs=1)
    gen = layout.current_generation(index).path
    assert len(list(gen.glob(f"*.{sidecar.EXT}"))) == 1  # the job merged its small segments
    ix = windex.open_dir(str(gen))
    try:
        with ix.reader() as r:
            assert not r.has_deletions()
            bodies = [r.stored_fields(d)["body"] for d in range(r.doc_count_all())]
    finally:
        ix.close()
    assert len(bodies) == 6
    assert _sidecar_counts(gen) == _oracle(bodies)
