"""The numpy executor answers exactly as whoosh's own matchers and collector.

whoosh is the reference: the same query, run through whoosh's TopCollector with
pruning off, must give the same documents in the same order with the same
scores and the same total, on indexes where the sidecar holds frequent terms,
where it holds every term, where it is missing, and across incremental updates
(several segments, deletions), whichever of its sparse and dense paths the
executor takes.

The executor's sparse evaluation is also held to the dense arrays of earlier
versions (:func:`dense_reference`, that code kept as it was) on synthetic
segments, bit for bit, with every node forced sparse, forced dense, and at the
real thresholds where nodes cross from one to the other.
"""

from __future__ import annotations

import json
import lzma
import re
import shutil
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import write_jsonl
from whoosh import collectors, scoring
from whoosh import fields as wf
from whoosh import query as wq

from searcher import Searcher, build_index, execute, indexer, layout, pair_postings, sidecar, update_index
from searcher.bulletins import read_txt

QUERIES = [
    "Đảng viên", "dang vien", "công tác tổ chức xây dựng Đảng", "cong tac to chuc",
    "Kết luận 21", "ket luan 21", "21-KL/TW", "Nghị quyết 18", "hội nghị -giao ban",
    '"xây dựng Đảng"', '"xay dung dang"', "tỉnh ủy OR thành ủy", "cán bộ", "ban tổ chức trung ương",
    "đồng chí Mai Văn Chính phát biểu chỉ đạo tại hội nghị như thế nào",
    "kết quả công tác phát triển đảng viên mới trong năm", "quý II-2022", "Bắc Giang",
    "khoá XIII", "hiệu quả", "cấp ủy", "nhân dân",
]


@contextmanager
def opened(s: Searcher):
    """The searcher's opened generation (whoosh searcher, executor) for the test's use."""
    using = getattr(s, "_using", None)
    if using is None:  # a Searcher with a single opened generation
        yield s._current()
    else:
        with using() as o:
            yield o


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
    queries = (plan.all_query, plan.best_query, plan.every_query, plan.strict_query, plan.together, plan.refs_first)
    return [q for q in queries if q is not None]


def build_twin(corpus: Path, index: Path, **kwargs) -> Path:
    """``build_index`` with ``pair_fold`` kept in whoosh (``indexer.PAIRS_APART`` off):
    the same documents, numbered alike, that whoosh's own searcher can answer for."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indexer, "PAIRS_APART", False)
        build_index(corpus, index, procs=1, **kwargs)
    return index


def assert_same_as_whoosh(index: Path, queries=QUERIES, limits=(1, 10, 40), *, reference: Path) -> int:
    """Compare every plan query at several depths with whoosh's answers on ``reference``
    (``index`` itself, or its twin whose ``pair_fold`` is whoosh's: whoosh's searcher
    finds no ``pair_fold`` term in a segment that keeps them apart); return how many
    had matches."""
    nonempty = 0
    with Searcher(index) as s, opened(s) as o, Searcher(reference) as r, opened(r) as ro:
        assert o.searcher.doc_count_all() == ro.searcher.doc_count_all()
        for text in queries:
            for q in plan_queries(s, text):
                for limit in limits:
                    ref_docs, ref_scores, ref_total = whoosh_top(ro.searcher, q, limit)
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


@pytest.fixture(scope="module")
def paragraph_twin(tmp_path_factory, paragraph_corpus) -> Path:
    return build_twin(paragraph_corpus, tmp_path_factory.mktemp("paragraph-twin") / "index")


def test_pair_postings_are_kept_apart_and_equal_whooshs(paragraph_index, paragraph_twin):
    """Every ``pair_fold`` term: in the pair postings file, not in whoosh's term table;
    the same documents and counts as the twin's whoosh postings, the same document
    frequencies through the executor; whoosh's own document frequency is 0."""
    with Searcher(paragraph_index) as s, opened(s) as o, Searcher(paragraph_twin) as t, opened(t) as to:
        (leaf,) = o.executor.leaves
        ((twin_reader, _),) = to.searcher.reader().leaf_readers()
        assert leaf.pairs is not None and not list(leaf.reader.lexicon(pair_postings.FIELD))
        terms = list(twin_reader.lexicon(pair_postings.FIELD))
        assert len(terms) == leaf.pairs.term_count > 1000
        for btext in terms:
            m = twin_reader.postings(pair_postings.FIELD, btext)
            want = []
            while m.is_active():
                want.append((m.id(), m.weight()))
                m.next()
            docs, weights = leaf.pairs.postings(btext)
            assert list(zip(docs.tolist(), weights.tolist())) == want, btext
            text = btext.decode()
            assert o.executor.doc_frequency(pair_postings.FIELD, text) == len(want)
            assert o.searcher.doc_frequency(pair_postings.FIELD, text) == 0
        assert leaf.pairs.postings("khong co".encode()) is None
        assert o.executor.doc_frequency(pair_postings.FIELD, "khong co") == 0


def test_frequent_terms_are_in_the_sidecar_rare_ones_are_not(paragraph_index):
    with Searcher(paragraph_index) as s, opened(s) as o:
        (leaf,) = o.executor.leaves
        side = leaf.sidecar
        assert side is not None
        assert side.postings("fold", b"dang") is not None  # "đảng" is in most paragraphs
        assert side.postings("syl", "đảng".encode()) is not None
        assert side.postings("fold", b"bac") is None  # "Bắc Giang": a handful of paragraphs
        docs, weights = side.postings("fold", b"dang")
        assert len(docs) >= sidecar.MIN_POSTINGS and list(docs) == sorted(docs)
        assert all(w >= 1 for w in weights)
        for field in sidecar.FIELDS:  # lengths as whoosh codes them in a byte: the executor looks them up
            codes = leaf.length_codes(field)
            assert codes is not None and np.array_equal(execute._LENGTHS[codes], side.lengths(field))


def test_executor_equals_whoosh_with_frequent_terms_in_the_sidecar(paragraph_index, paragraph_twin):
    assert sidecar_rows(paragraph_index) > 0
    assert assert_same_as_whoosh(paragraph_index, reference=paragraph_twin) > 30


def test_executor_equals_whoosh_with_pair_fold_in_whoosh(paragraph_twin):
    """An index whose ``pair_fold`` is whoosh's (``PAIRS_APART`` off): the executor reads it there."""
    gen = layout.current_generation(paragraph_twin).path
    assert not list(gen.glob(f"*.{pair_postings.EXT}"))
    assert assert_same_as_whoosh(paragraph_twin, reference=paragraph_twin) > 30


def test_executor_equals_whoosh_with_every_term_in_the_sidecar(tmp_path, paragraph_corpus, paragraph_twin, monkeypatch):
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", 1)
    index = tmp_path / "index"
    build_index(paragraph_corpus, index, procs=1)
    monkeypatch.undo()
    with Searcher(index) as s, opened(s) as o:
        reader = o.searcher.reader()
        terms = sum(len(list(reader.lexicon(f))) for f in sidecar.FIELDS)  # pair_fold: none in whoosh
    assert sidecar_rows(index) == terms > 1000
    assert assert_same_as_whoosh(index, reference=paragraph_twin) > 30


# Thresholds that force one path: every OR dense / every node sparse, every alignment
# by position table / by binary search, ANDs narrowing on any segment or on none,
# ORs inside them narrowed always.
PATHS = {
    "all-dense": {"DENSE_SHARE": 1e12, "TABLE_PROBES": 0.0},
    "all-sparse-binary-search": {"DENSE_SHARE": 1e-12, "TABLE_PROBES": 1e12},
    "sparse-tables": {"DENSE_SHARE": 1e-12, "TABLE_PROBES": 0.0},
    "narrowed": {"NARROW_MIN_DOCS": 0},
    "narrowed-every-or": {"NARROW_MIN_DOCS": 0, "NARROW_SHARE": 1e12},
    "narrowed-dense": {"NARROW_MIN_DOCS": 0, "NARROW_SHARE": 1e12, "DENSE_SHARE": 1e12, "TABLE_PROBES": 0.0},
    "narrowed-sparse": {"NARROW_MIN_DOCS": 0, "NARROW_SHARE": 1e12, "DENSE_SHARE": 1e-12, "TABLE_PROBES": 1e12},
    "never-narrowed": {"NARROW_MIN_DOCS": 10**12},
    "narrowed-counts-always": {"NARROW_MIN_DOCS": 0, "NARROW_SHARE": 1e12, "COUNTS_SHARE": 1e12},
    "narrowed-counts-never": {"NARROW_MIN_DOCS": 0, "NARROW_SHARE": 1e12, "COUNTS_SHARE": 1e-12},
}


def force(monkeypatch, path: str) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(execute, name, value)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_executor_equals_whoosh_on_every_path(paragraph_index, paragraph_twin, monkeypatch, path):
    """The default thresholds mix both paths on these ~100 documents ("đảng" is in
    most of them); forcing one path must not change an answer."""
    force(monkeypatch, path)
    assert assert_same_as_whoosh(paragraph_index, limits=(10,), reference=paragraph_twin) > 10


def test_executor_equals_whoosh_without_sidecars(tmp_path, paragraph_index, paragraph_twin):
    """An index without sidecars (built before them, or one lost) answers the same."""
    index = tmp_path / "index"
    shutil.copytree(paragraph_index, index)
    gen = layout.current_generation(index).path
    meta = json.loads((gen / "meta.json").read_text())
    for f in gen.glob(f"*.{sidecar.EXT}"):
        f.unlink()
        del meta["files"][f.name]
    (gen / "meta.json").write_text(json.dumps(meta))
    with Searcher(index) as s, opened(s) as o:
        assert all(leaf.sidecar is None and leaf.pairs is not None for leaf in o.executor.leaves)
    assert assert_same_as_whoosh(index, reference=paragraph_twin) > 30
    with Searcher(index) as a, Searcher(paragraph_index) as b:
        for q in QUERIES:
            assert a.search(q).to_dict() == b.search(q).to_dict()


def _updated(tmp_path: Path, paragraph_corpus: Path, name: str, apart: bool) -> tuple[Path, set[str]]:
    """An index of 40 paragraphs, then three jobs that add, change and delete some;
    ``apart``: ``indexer.PAIRS_APART``.  Returns the index and the deleted ids."""
    corpus = tmp_path / f"corpus-{name}"
    shutil.copytree(paragraph_corpus, corpus)
    index = tmp_path / name
    lines = (corpus / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "paragraphs.jsonl").write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sidecar, "MIN_POSTINGS", 4)
        mp.setattr(indexer, "PAIRS_APART", apart)
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
    return index, gone


def test_executor_equals_whoosh_across_updates_with_deletions(tmp_path, paragraph_corpus):
    """Segments from several jobs, deleted and replaced documents: still whoosh's answers,
    and a deleted document is never returned."""
    index, gone = _updated(tmp_path, paragraph_corpus, "index", apart=True)
    twin, _ = _updated(tmp_path, paragraph_corpus, "twin", apart=False)
    with Searcher(index) as s, opened(s) as o:
        ev = o.executor
        assert len(ev.leaves) >= 2 and any(leaf.live is not None for leaf in ev.leaves)
        assert all(leaf.sidecar is not None and leaf.pairs is not None for leaf in ev.leaves)
        for q in ("Đảng viên", "dang vien can bo", "sửa lần", "Đảng"):
            assert not gone & {h.id for h in s.search(q, limit=200).hits}
    assert assert_same_as_whoosh(index, QUERIES + ["sửa lần 1", "sua lan"], reference=twin) > 30


def test_a_sidecar_goes_with_its_segment(tmp_path, paragraph_corpus):
    """Merged-away segments lose their sidecar and pair postings (whoosh's clean-up),
    live ones keep theirs."""
    corpus = tmp_path / "corpus"
    shutil.copytree(paragraph_corpus, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, procs=1)
    for i in range(6):
        write_jsonl(corpus / f"extra-{i}.jsonl", [{"id": f"x{i}", "title": "Hội nghị", "body": f"Đảng viên mới {i}"}])
        update_index(corpus, index, procs=1)
    gen = layout.current_generation(index).path
    with Searcher(index) as s, opened(s) as o:
        segments = {leaf.reader.segment().segment_id() for leaf in o.executor.leaves}
    sidecars = {f.name.removesuffix(f".{sidecar.EXT}") for f in gen.glob(f"*.{sidecar.EXT}")}
    assert sidecars == segments
    pairs = {f.name.removesuffix(f".{pair_postings.EXT}") for f in gen.glob(f"*.{pair_postings.EXT}")}
    assert pairs == segments
    assert len(segments) < 7  # small segments were merged


def test_cites_filter_equals_whoosh_filter(seed_index):
    with Searcher(seed_index) as s, opened(s) as o:
        allow = s._cites_filter(["Kết luận 21"])
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
    build_index(tmp_path / "corpus", index, procs=1)
    twin = build_twin(tmp_path / "corpus", tmp_path / "twin")
    queries = ["ha noi", "Hà Nội", "bo cong an", "tai nạn giao thông", "o nhiem moi truong",
               "Thành phố Hồ Chí Minh", "giá vàng tăng", "bóng đá", "chinh phu", "Nghị định 181"]
    assert assert_same_as_whoosh(index, queries, reference=twin) > 20


# -- the sparse executor against the dense arrays of earlier versions ------------------------------


class _FakeSidecar:
    """A sidecar in memory: postings of every term, field lengths."""

    def __init__(self, n: int, postings: dict, lengths: dict):
        self.documents = n
        self.fields = frozenset(lengths)
        self._postings = postings
        self._lengths = lengths

    def postings(self, field: str, btext: bytes):
        """As :meth:`searcher.sidecar.Sidecar.postings`: new ``intp`` and ``float64`` arrays."""
        docs, weights = self._postings.get((field, btext), (np.zeros(0, np.uint32), np.zeros(0, np.float32)))
        return docs.astype(np.intp), weights.astype(np.float64)

    def lengths(self, field: str):
        return self._lengths[field]


class _FakeReader:
    def __init__(self, n: int, deleted: set[int]):
        self.n, self.deleted_docs_set = n, deleted

    def doc_count_all(self) -> int:
        return self.n

    def has_deletions(self) -> bool:
        return bool(self.deleted_docs_set)


class _FakeLeafSearcher:
    def __init__(self, reader):
        self._reader = reader

    def reader(self):
        return self._reader


class _FakeSearcher:
    """What :class:`~searcher.execute.QueryExecutor` reads of a whoosh searcher."""

    FIELDS = ("syl", "fold", "title", "pair")

    def __init__(self, segments: list[tuple[int, set[int]]]):
        self.schema = wf.Schema(**{f: wf.TEXT() for f in self.FIELDS})
        self.weighting = scoring.BM25F(title_B=0.5)
        self._leaves, off = [], 0
        for n, deleted in segments:
            self._leaves.append((_FakeLeafSearcher(_FakeReader(n, deleted)), off))
            off += n

    def leaf_searchers(self):
        return self._leaves

    def idf(self, field: str, btext: bytes) -> float:
        return 1.0 + (sum(btext) % 97) / 13.0

    def doc_frequency(self, field: str, btext: bytes) -> int:
        """Any estimate will do (it orders an AND's parts): an arbitrary one, so every order is tried."""
        return (sum(btext) * 7 + len(field)) % 11

    def avg_field_length(self, field: str) -> float:
        return {"syl": 310.0, "fold": 305.5, "title": 11.25, "pair": 290.0}[field]


# Posting shares of the synthetic vocabulary: from most of a segment to a handful of documents.
SHARES = (0.9, 0.6, 0.35, 0.2, 0.13, 0.1, 0.06, 0.03, 0.015, 0.008, 0.004, 0.002)


def synthetic_executor(seed: int, sizes=(3000, 1700)) -> tuple[execute.QueryExecutor, list[str]]:
    """Segments (the second with deletions; the first with lengths as whoosh codes them in
    a byte, the second not) where every term of a small vocabulary has postings of a
    share of SHARES, a term "gone" none."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(len(SHARES))]
    segments = [(n, set(rng.choice(n, size=n // 20, replace=False).tolist()) if k else set())
                for k, n in enumerate(sizes)]
    ev = execute.QueryExecutor(_FakeSearcher(segments), "/nonexistent")
    for k, leaf in enumerate(ev.leaves):
        n = leaf.n
        lengths = {f: np.round(rng.gamma(4.0, 80.0 if f != "title" else 3.0, n)) + 1 for f in _FakeSearcher.FIELDS}
        if k == 0:  # byte-encoded as whoosh stores them (the executor looks them up by byte), or not
            lengths = {f: execute._LENGTHS[np.minimum(np.searchsorted(execute._LENGTHS, v), 255)]
                       for f, v in lengths.items()}
        postings = {}
        for f in _FakeSearcher.FIELDS:
            for w, share in zip(words, SHARES):
                share = share * rng.uniform(0.7, 1.3)
                docs = np.flatnonzero(rng.random(n) < share).astype(np.uint32)
                weights = rng.integers(1, 6, len(docs)).astype(np.float32)
                postings[(f, w.encode())] = (docs, weights)
        leaf.sidecar = _FakeSidecar(n, postings, lengths)
    return ev, words + ["gone"]


def dense_reference(ev: execute.QueryExecutor, q, leaf) -> tuple[np.ndarray, np.ndarray]:
    """The executor's evaluation as it was before the sparse one: dense arrays for every
    node (kept verbatim apart from the sidecar-only terms)."""
    kind = type(q)
    if kind is wq.Term:
        field = ev.searcher.schema[q.fieldname]
        btext = field.to_bytes(q.text)
        docs, weights = leaf.sidecar.postings(q.fieldname, btext)
        idf, avgfl = ev._term_stats(q.fieldname, btext)
        b, k1 = ev._bm25_params(q.fieldname)
        tf = weights.astype(np.float64)
        fl = leaf.sidecar.lengths(q.fieldname)[docs]
        score = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        if q.boost != 1.0:
            score = score * q.boost
        mask = np.zeros(leaf.n, dtype=bool)
        mask[docs] = True
        out = np.zeros(leaf.n)
        out[docs] = score
        return mask, out
    if kind in (wq.Or, wq.And):
        subs = q.subqueries
        if not subs:
            return np.zeros(leaf.n, dtype=bool), np.zeros(leaf.n)
        if len(subs) == 1:
            return dense_reference(ev, subs[0], leaf)
        parts = [dense_reference(ev, sub, leaf) for sub in subs]
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
        ma, sa = dense_reference(ev, q.a, leaf)
        mb, sb = dense_reference(ev, q.b, leaf)
        return ma, np.where(ma & mb, sa + sb, sa)
    assert kind is wq.AndNot
    ma, sa = dense_reference(ev, q.a, leaf)
    mb, _ = dense_reference(ev, q.b, leaf)
    mask = ma & ~mb
    return mask, np.where(mask, sa, 0.0)


def random_query(rng, words: list[str], depth: int = 3):
    """A random tree of Term/Or/And/AndMaybe/AndNot with boosts, single-child and empty
    compounds, and terms without postings."""
    boost = float(rng.choice([1.0, 1.0, 0.5, 2.25, 0.1]))
    if depth == 0 or rng.random() < 0.25:
        return wq.Term(str(rng.choice(_FakeSearcher.FIELDS)), str(rng.choice(words)), boost=boost)
    kind = rng.choice(["or", "or", "and", "maybe", "not"])
    if kind in ("or", "and"):
        k = int(rng.choice([0, 1, 2, 3, 4, 6, 9] if kind == "or" else [1, 2, 2, 3, 4]))
        subs = [random_query(rng, words, depth - 1) for _ in range(k)]
        return (wq.Or if kind == "or" else wq.And)(subs, boost=boost)
    a, b = random_query(rng, words, depth - 1), random_query(rng, words, depth - 1)
    return wq.AndMaybe(a, b) if kind == "maybe" else wq.AndNot(a, b)


def bantin_shaped_query(words: list[str]):
    """AndMaybe(And(Or(syllable terms) x 3), Or(bonus pair terms)), 26 terms."""
    syl = [wq.Or([wq.Term("fold", words[i]), wq.Term("syl", words[i + 1], boost=1.0),
                  wq.Term("syl", words[i + 3], boost=0.3), wq.Term("title", words[i], boost=2.0),
                  wq.Term("title", words[i + 1], boost=0.6), wq.Term("syl", words[i + 5], boost=0.1)])
           for i in (0, 1, 2)]
    bonus = [wq.Term("pair", words[i], boost=0.7) for i in range(3, 11)]
    return wq.AndMaybe(wq.And(syl), wq.Or(bonus))


def assert_same_as_dense(ev: execute.QueryExecutor, q, allow=None, keep=None) -> int:
    """Matches (documents, scores to the bit, masks, totals) and rankings equal the dense code's."""
    got = ev.match(q, allow, keep)
    ref_masks, ref_scores = [], []
    for leaf in ev.leaves:
        if q is None:
            m, s = np.ones(leaf.n, dtype=bool), np.zeros(leaf.n)
        else:
            m, s = dense_reference(ev, q, leaf)
        if allow is not None:
            m = m & dense_reference(ev, allow, leaf)[0]
        if keep is not None:
            m = m & keep(leaf)
        if leaf.live is not None:
            m = m & leaf.live
        ref_masks.append(m)
        ref_scores.append(s)
    for docs, vals, mask, m, s in zip(got.docs, got.values, got.masks, ref_masks, ref_scores):
        assert np.array_equal(docs, np.flatnonzero(m)), q
        assert np.array_equal(mask, m), q
        assert np.array_equal(vals, s[docs]), q  # the same sums, to the bit
    assert got.total == sum(int(m.sum()) for m in ref_masks)
    if q is not None:
        for n in {1, 2, 10, got.total, got.total + 1}:
            assert ev.reaches(q, n, allow, keep) is (got.total >= n), (q, n)
    mask, score = np.concatenate(ref_masks), np.concatenate(ref_scores)
    docs = np.flatnonzero(mask)
    for limit, offset in ((1, 0), (10, 0), (25, 40), (10**6, 0)):
        order = np.lexsort((docs, -score[docs]))[offset : offset + limit]
        res = ev.ranked(got, limit, offset)
        assert res.docnums == docs[order].tolist() and res.scores == score[docs][order].tolist(), q
        assert res.total == len(docs)
    return got.total


@pytest.mark.parametrize("path", ["default", *sorted(PATHS)])
def test_sparse_evaluation_equals_the_dense_arrays(monkeypatch, path):
    if path != "default":
        force(monkeypatch, path)
    ev, words = synthetic_executor(seed=7)
    assert any(leaf.live is not None for leaf in ev.leaves)
    assert [leaf.length_codes("syl") is not None for leaf in ev.leaves] == [True, False]
    rng = np.random.default_rng(11)
    queries = [bantin_shaped_query(words), bantin_shaped_query(words[4:] + words[:4])]
    queries += [random_query(rng, words) for _ in range(150)]
    totals = [assert_same_as_dense(ev, q) for q in queries]
    assert sum(t > 0 for t in totals) > 80 and sum(t == 0 for t in totals) > 3
    keep = lambda leaf: np.arange(leaf.n) % 3 != 0  # noqa: E731
    allow = wq.Or([wq.Term("syl", words[5]), wq.Term("title", words[2])])
    for q in queries[:40]:
        assert_same_as_dense(ev, q, allow=allow, keep=keep)
    assert_same_as_dense(ev, None, allow=allow, keep=keep)


@pytest.mark.parametrize("path", ["default", "narrowed", "never-narrowed"])
def test_an_and_asked_whether_it_reaches_n_stops_early_and_answers_as_match(monkeypatch, path):
    """ANDs at the root, asked whether they match at least n documents (filters and
    deletions too): the answer of counting them all, and the commonest parts left
    unread once too few documents are left."""
    if path != "default":
        force(monkeypatch, path)
    ev, words = synthetic_executor(seed=5)
    rng = np.random.default_rng(9)
    keep = lambda leaf: np.arange(leaf.n) % 4 != 1  # noqa: E731
    allow = wq.Or([wq.Term("syl", words[3]), wq.Term("fold", words[1])])
    for _ in range(120):
        q = wq.And([random_query(rng, words, depth=2) for _ in range(int(rng.integers(2, 6)))])
        for filters in ((None, None), (allow, keep)):
            total = ev.match(q, *filters).total
            for n in {1, 3, 10, 40, total, total + 1, max(total - 1, 1)}:
                assert ev.reaches(q, n, *filters) is (total >= n), (q, n, filters)
    # rare words first: once fewer than n are left, the common words are never read
    read = []
    real_term = ev._term
    monkeypatch.setattr(ev, "_term", lambda q, leaf, within=None: read.append(q.text) or real_term(q, leaf, within))
    sizes = lambda field, btext: sum(len(leaf.sidecar._postings[(field, btext)][0]) for leaf in ev.leaves)  # noqa: E731
    monkeypatch.setattr(ev.searcher, "doc_frequency", sizes)  # true document frequencies
    rare, common = words[-2], words[0]  # a share of 0.004 and of 0.9 of each segment
    q = wq.And([wq.Term("syl", common), wq.Term("syl", rare)])
    assert not ev.reaches(q, 1000)
    narrowing = all(leaf.n >= execute.NARROW_MIN_DOCS for leaf in ev.leaves)
    assert (common in read) is not narrowing, read


def test_a_common_term_among_the_documents_an_and_left_is_read_from_its_counts(monkeypatch):
    """On a narrowing segment, a common word asked only within the documents the rare
    word left is looked up in its counts (a byte per document), never scored whole;
    the counts cache stays within its budget; the answers are those of the dense arrays."""
    force(monkeypatch, "narrowed")
    ev, words = synthetic_executor(seed=13)
    sizes = lambda field, btext: sum(len(leaf.sidecar.postings(field, btext)[0]) for leaf in ev.leaves)  # noqa: E731
    monkeypatch.setattr(ev.searcher, "doc_frequency", sizes)  # true document frequencies
    common, rare = words[0], words[-2]  # shares 0.9 and 0.004: above and below 1/COUNTS_SHARE
    q = wq.And([wq.Term("syl", rare), wq.Term("syl", common)])
    assert assert_same_as_dense(ev, q) > 0
    for leaf in ev.leaves:
        counts = ev._dense_counts[(leaf.offset, "syl", common.encode())]
        docs, weights = leaf.sidecar.postings("syl", common.encode())
        assert counts.dtype == np.uint8 and counts.shape == (leaf.n,)
        assert np.array_equal(np.flatnonzero(counts), docs) and np.array_equal(counts[docs], weights)
        assert (leaf.offset, "syl", common.encode()) not in ev._scored  # only the rare word is scored whole
        assert (leaf.offset, "syl", rare.encode()) in ev._scored
    # a budget of about one segment's counts: the least recently used go, the total stays bounded
    budget = max(leaf.n for leaf in ev.leaves) + 100
    monkeypatch.setattr(execute, "_COUNTS_CACHE_BYTES", budget)
    ev.forget_terms()
    rng = np.random.default_rng(4)
    for _ in range(40):
        assert_same_as_dense(ev, wq.And([wq.Term("syl", rare), random_query(rng, words, depth=2)]))
        kept = sum(execute._counts_bytes(c) for c in ev._dense_counts.values())
        assert kept == ev._dense_counts.nbytes <= budget
    # a budget smaller than any segment's counts: never held, the postings read instead
    monkeypatch.setattr(execute, "_COUNTS_CACHE_BYTES", min(leaf.n for leaf in ev.leaves) - 1)
    ev.forget_terms()
    assert assert_same_as_dense(ev, q) > 0
    assert ev._dense_counts and all(c is None for c in ev._dense_counts.values())
    assert (ev.leaves[0].offset, "syl", common.encode()) in ev._scored


def test_dense_counts_hold_whole_counts_only():
    docs = np.array([1, 4, 6], dtype=np.intp)
    got = execute.dense_counts(docs, np.array([1.0, 255.0, 3.0]), 8)
    assert got.dtype == np.uint8 and got.tolist() == [0, 1, 0, 0, 255, 0, 3, 0]
    got = execute.dense_counts(docs, np.array([1.0, 256.0, 3.0]), 8)
    assert got.dtype == np.uint16 and got[4] == 256
    assert execute.dense_counts(docs, np.array([1.0, 2.5, 3.0]), 8) is None  # a weighted posting
    assert execute.dense_counts(docs, np.array([1.0, 70000.0, 3.0]), 8) is None
    assert execute.dense_counts(docs, np.array([0.0, 2.0, 3.0]), 8) is None  # 0 would read as absent
    assert execute.dense_counts(docs[:0], np.zeros(0), 8).tolist() == [0] * 8


def test_nodes_cross_between_sparse_and_dense():
    """At the real thresholds: an OR whose postings cross n/DENSE_SHARE is summed densely
    and stays dense only if its union is that large; AND/AND-MAYBE/AND-NOT take dense
    and sparse parts in any mix; alignments use binary search and position tables; the
    segment's reused arrays come back clean."""
    n = 8000
    scratch = execute._Scratch(n)
    rng = np.random.default_rng(3)

    def hits(count):
        docs = np.sort(rng.choice(n, size=count, replace=False)).astype(np.intp)
        return execute._Hits(docs, rng.random(count) * 5)

    def as_dense(h):
        mask, score = np.zeros(n, dtype=bool), np.zeros(n)
        mask[h.docs], score[h.docs] = True, h.vals
        return mask, score

    def check(h, mask, score):
        docs, vals = h.sparse()
        assert np.array_equal(docs, np.flatnonzero(mask)) and np.array_equal(vals, score[docs])

    cut = n // execute.DENSE_SHARE
    small = [hits(cut // 8) for _ in range(4)]  # postings sum to cut // 2: sparse merge
    large = [hits(cut // 2 + 50) for _ in range(4)]  # postings sum past the cut, union too: dense
    overlapping = [execute._Hits(small[0].docs, small[0].vals * k) for k in (1.0, 0.5, 2.0, 1, 1, 1, 1, 1, 1)]
    assert sum(p.size for p in overlapping) > cut  # summed densely, but the union is small: back to sparse
    for parts, dense in ((small, False), (large, True), (overlapping, False)):
        got = execute._or(iter(parts), scratch)
        assert got.dense is dense
        ref = [as_dense(p) for p in parts]
        check(got, np.logical_or.reduce([m for m, _ in ref]), np.add.reduce([s for _, s in ref]))
    del got
    small_or = execute._or(small, scratch)
    assert not small_or.dense
    b_mask, b_score = as_dense(small_or)
    a_mask, a_score = as_dense(execute._Hits(*execute._or(large, scratch).sparse()))
    cases = [("dense", "sparse"), ("sparse", "dense"), ("dense", "dense"), ("sparse", "sparse")]
    for a_kind, b_kind in cases:
        for op in ("and", "maybe", "not"):
            a = execute._or(large, scratch) if a_kind == "dense" else small_or
            b = execute._or(large, scratch) if b_kind == "dense" else small_or
            assert (a.dense, b.dense) == (a_kind == "dense", b_kind == "dense")
            am, as_ = (a_mask, a_score) if a_kind == "dense" else (b_mask, b_score)
            bm, bs = (a_mask, a_score) if b_kind == "dense" else (b_mask, b_score)
            if op == "and":
                mask = am & bm
                want = np.where(mask, np.add.reduce([as_, bs]), 0.0)

                def within(h):
                    def evaluate(keys):  # what h matches among the documents left
                        if keys is None:
                            return h
                        docs, vals = h.sparse()
                        inside = np.isin(docs, keys)
                        return execute._Hits(docs[inside], vals[inside])

                    return evaluate

                check(execute._and([(0, within(a)), (1, within(b))], None, scratch), mask, want)
                # evaluated the other way round, the scores still added in query order
                check(execute._and([(1, within(b)), (0, within(a))], None, scratch), mask, want)
                # parts that ignore the documents left (a small segment's): the same
                check(execute._and([(0, lambda keys: a), (1, lambda keys: b)], None, scratch), mask, want)
            elif op == "maybe":
                check(execute._and_maybe(a, b, scratch), am, np.where(am & bm, as_ + bs, as_))
            else:
                mask = am & ~bm
                check(execute._and_not(a, b, scratch), mask, np.where(mask, as_, 0.0))
            del a, b
    assert 1 <= len(scratch._dense) <= execute._Scratch.KEEP  # dense arrays went back for reuse
    mask, score = scratch.dense()
    assert not mask.any() and not score.any()  # ... and come out clean
    for la, lb in ((5, 4000), (4000, 5), (300, 300), (2000, 3000), (0, 10), (1, 1)):  # binary search and tables
        a, b = hits(la), hits(lb)
        i, j = execute._align(a.docs, b.docs, scratch)
        both = np.intersect1d(a.docs, b.docs)
        assert np.array_equal(a.docs[i], both) and np.array_equal(b.docs[j], both)
    table = scratch.table()
    assert (table == -1).all()  # the position table was given back as found
