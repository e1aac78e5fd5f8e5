"""The numpy executor answers exactly as whoosh's own matchers and collector.

whoosh is the reference: the same query, run through whoosh's TopCollector with
pruning off, must give the same documents in the same order with the same
scores and the same total, on indexes where the sidecar holds frequent terms,
where it holds every term, where it is missing, and across incremental updates
(several segments, deletions).
"""

from __future__ import annotations

import json
import lzma
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from whoosh import collectors
from whoosh import query as wq

from searcher import Searcher, build_index, layout, sidecar, update_index
from searcher.bulletins import read_txt

from conftest import write_jsonl

QUERIES = [
    "Đảng viên", "dang vien", "công tác tổ chức xây dựng Đảng", "cong tac to chuc",
    "Kết luận 21", "ket luan 21", "21-KL/TW", "Nghị quyết 18", "hội nghị -giao ban",
    '"xây dựng Đảng"', '"xay dung dang"', "tỉnh ủy OR thành ủy", "cán bộ", "ban tổ chức trung ương",
    "đồng chí Mai Văn Chính phát biểu chỉ đạo tại hội nghị như thế nào",
    "kết quả công tác phát triển đảng viên mới trong năm", "quý II-2022", "Bắc Giang",
    "khoá XIII", "hiệu quả", "cấp ủy", "nhân dân",
]


def whoosh_top(searcher, q, limit: int, allow=None):
    """The reference: whoosh's collector, exact (no block-quality pruning)."""
    top = collectors.TopCollector(limit=limit, usequality=False)
    top.replace = 0
    c = collectors.FilterCollector(top, allow=allow) if allow is not None else top
    searcher.search_with_collector(q, c)
    res = c.results()
    return [h.docnum for h in res], [h.score for h in res], len(res)


def plan_queries(s: Searcher, text: str) -> list[wq.Query]:
    plan = s.plan(text)
    return [q for q in (plan.all_query, plan.best_query, plan.every_query) if q is not None]


def assert_same_as_whoosh(index: Path, queries=QUERIES, limits=(1, 10, 40)) -> int:
    """Compare every plan query at several depths; return how many had matches."""
    nonempty = 0
    with Searcher(index) as s:
        o = s._current()
        for text in queries:
            for q in plan_queries(s, text):
                for limit in limits:
                    ref_docs, ref_scores, ref_total = whoosh_top(o.searcher, q, limit)
                    got = o.executor.top(q, limit)
                    where = f"{text!r} limit {limit}: {q}"
                    assert got.total == ref_total, where
                    assert got.docnums == ref_docs, where
                    assert got.scores == pytest.approx(ref_scores, rel=1e-9), where
                    nonempty += ref_total > 0
    return nonempty


def sidecar_rows(index: Path) -> int:
    gen = layout.current_generation(index).path
    total = 0
    for f in gen.glob(f"*.{sidecar.EXT}"):
        with closing(sqlite3.connect(f)) as con:
            total += con.execute("SELECT count(*) FROM postings").fetchone()[0]
    return total


@pytest.fixture(scope="module")
def paragraph_corpus(tmp_path_factory, corpus_dir) -> Path:
    """The seed bulletins cut into sentences: ~100 documents sharing many terms."""
    records = []
    for path in sorted(corpus_dir.glob("*.txt")):
        b = read_txt(path, corpus_dir)
        for i, para in enumerate(p for p in re.split(r"(?<=[.;:!?])\s+|\n", b.body) if len(p) > 30):
            records.append({"id": f"{path.stem[:3]}-{i:03d}", "title": b.title if i == 0 else "", "body": para})
    corpus = tmp_path_factory.mktemp("paragraphs")
    write_jsonl(corpus / "paragraphs.jsonl", records)
    assert len(records) > 60
    return corpus


@pytest.fixture(scope="module")
def paragraph_index(tmp_path_factory, paragraph_corpus) -> Path:
    index = tmp_path_factory.mktemp("paragraph-index") / "index"
    build_index(paragraph_corpus, index, procs=1)
    return index


def test_frequent_terms_are_in_the_sidecar_rare_ones_are_not(paragraph_index):
    with Searcher(paragraph_index) as s:
        (leaf,) = s._current().executor.leaves
        side = leaf.sidecar
        assert side is not None
        assert side.postings("fold", b"dang") is not None  # "đảng" is in most paragraphs
        assert side.postings("syl", "đảng".encode()) is not None
        assert side.postings("fold", b"bac") is None  # "Bắc Giang": a handful of paragraphs
        docs, weights = side.postings("fold", b"dang")
        assert len(docs) >= sidecar.MIN_POSTINGS and list(docs) == sorted(docs)
        assert all(w >= 1 for w in weights)


def test_executor_equals_whoosh_with_frequent_terms_in_the_sidecar(paragraph_index):
    assert sidecar_rows(paragraph_index) > 0
    assert assert_same_as_whoosh(paragraph_index) > 30


def test_executor_equals_whoosh_with_every_term_in_the_sidecar(tmp_path, paragraph_corpus, monkeypatch):
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", 1)
    index = tmp_path / "index"
    build_index(paragraph_corpus, index, procs=1)
    monkeypatch.undo()
    with Searcher(index) as s:
        reader = s._current().searcher.reader()
        terms = sum(len(list(reader.lexicon(f))) for f in sidecar.FIELDS)
    assert sidecar_rows(index) == terms > 3000
    assert assert_same_as_whoosh(index) > 30


def test_executor_equals_whoosh_without_sidecars(tmp_path, paragraph_index):
    """An index without sidecars (built before them, or one lost) answers the same."""
    index = tmp_path / "index"
    shutil.copytree(paragraph_index, index)
    gen = layout.current_generation(index).path
    meta = json.loads((gen / "meta.json").read_text())
    for f in gen.glob(f"*.{sidecar.EXT}"):
        f.unlink()
        del meta["files"][f.name]
    (gen / "meta.json").write_text(json.dumps(meta))
    with Searcher(index) as s:
        assert all(leaf.sidecar is None for leaf in s._current().executor.leaves)
    assert assert_same_as_whoosh(index) > 30
    with Searcher(index) as a, Searcher(paragraph_index) as b:
        for q in QUERIES:
            assert a.search(q).to_dict() == b.search(q).to_dict()


def test_executor_equals_whoosh_across_updates_with_deletions(tmp_path, paragraph_corpus, monkeypatch):
    """Segments from several jobs, deleted and replaced documents: still whoosh's answers,
    and a deleted document is never returned."""
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", 4)
    corpus = tmp_path / "corpus"
    shutil.copytree(paragraph_corpus, corpus)
    index = tmp_path / "index"
    lines = (corpus / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "paragraphs.jsonl").write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    build_index(corpus, index, procs=1)
    rest = [json.loads(x) for x in lines[40:]]
    gone = set()
    for round_ in range(3):
        write_jsonl(corpus / f"more-{round_}.jsonl", rest[round_ * 15 : (round_ + 1) * 15])
        records = [json.loads(x) for x in (corpus / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()]
        for r in records[round_ * 5 : round_ * 5 + 3]:
            r["body"] += f" Đảng viên cán bộ sửa lần {round_}"
        gone.add(records.pop()["id"])
        write_jsonl(corpus / "paragraphs.jsonl", records)
        rep = update_index(corpus, index, procs=1)
        assert not rep.rebuilt and (rep.added, rep.updated, rep.deleted) == (15, 3, 1)
    monkeypatch.undo()
    with Searcher(index) as s:
        ev = s._current().executor
        assert len(ev.leaves) >= 2 and any(leaf.live is not None for leaf in ev.leaves)
        assert all(leaf.sidecar is not None for leaf in ev.leaves)
        for q in ("Đảng viên", "dang vien can bo", "sửa lần", "Đảng"):
            assert not gone & {h.id for h in s.search(q, limit=200).hits}
    assert assert_same_as_whoosh(index, QUERIES + ["sửa lần 1", "sua lan"]) > 30


def test_a_sidecar_goes_with_its_segment(tmp_path, paragraph_corpus):
    """Merged-away segments lose their sidecar (whoosh's clean-up), live ones keep theirs."""
    corpus = tmp_path / "corpus"
    shutil.copytree(paragraph_corpus, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, procs=1)
    for i in range(6):
        write_jsonl(corpus / f"extra-{i}.jsonl", [{"id": f"x{i}", "title": "Hội nghị", "body": f"Đảng viên mới {i}"}])
        update_index(corpus, index, procs=1)
    gen = layout.current_generation(index).path
    with Searcher(index) as s:
        segments = {leaf.reader.segment().segment_id() for leaf in s._current().executor.leaves}
    sidecars = {f.name.removesuffix(f".{sidecar.EXT}") for f in gen.glob(f"*.{sidecar.EXT}")}
    assert sidecars == segments
    assert len(segments) < 7  # small segments were merged


def test_cites_filter_equals_whoosh_filter(seed_index):
    with Searcher(seed_index) as s:
        o = s._current()
        allow = s._cites_filter("Kết luận 21")
        for text in ("Đảng", "cong tac", "hội nghị"):
            q = s.plan(text).all_query
            ref_docs, _, ref_total = whoosh_top(o.searcher, q, 10, allow)
            got = o.executor.top(q, 10, allow)
            assert (got.docnums, got.total) == (ref_docs, ref_total)
            assert 0 < got.total < o.searcher.doc_count()


@pytest.mark.shared
@pytest.mark.slow
def test_executor_equals_whoosh_on_real_news(tmp_path, shared_dir):
    """600 VNTC articles: real vocabulary and lengths, terms with hundreds of postings."""
    src = shared_dir / "corpora" / "vntc.jsonl.xz"
    if not src.exists():
        pytest.skip(f"{src} is missing")
    records = []
    with lzma.open(src, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            records.append({"id": r["id"], "title": r["title"], "body": r["body"]})
            if len(records) == 600:
                break
    write_jsonl(tmp_path / "corpus" / "vntc.jsonl", records)
    index = tmp_path / "index"
    build_index(tmp_path / "corpus", index)
    queries = ["ha noi", "Hà Nội", "bo cong an", "tai nạn giao thông", "o nhiem moi truong",
               "Thành phố Hồ Chí Minh", "giá vàng tăng", "bóng đá", "chinh phu", "Nghị định 181"]
    assert assert_same_as_whoosh(index, queries) > 20
