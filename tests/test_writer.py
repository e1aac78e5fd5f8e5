"""The index job's writer (searcher.whoosh_internals.BulkWriter) against whoosh's own path.

The old path is whoosh's stock SegmentWriter (sort-and-pickle posting pool) with
every field analysed by its analyzer (``indexer.LEGACY_WRITER = True``); the
new one is the per-term posting pool fed pre-analysed fields, with small
posting lists inlined.  Both must give the same index: every field's terms,
document frequencies and term statistics, every posting (document number,
weight, positions / character spans), field lengths, stored fields, columns,
scoring sidecar and vocabulary.  With inlining off, the segment files must be
byte-identical.

Corpora: the seed corpus, and a few hundred VNTC politics articles when
``../shared/corpora/vntc.jsonl.xz`` exists (skipped otherwise).
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
import struct
import sys
from array import array
from pathlib import Path

import pytest
from whoosh import index as windex

from searcher import analysis, indexer, layout, pair_postings
from searcher import whoosh_internals as wi
from searcher.normalise import SYLLABLE_RE
from searcher.schema import build_schema

PROJECT = Path(__file__).resolve().parents[1]
SEEDS = PROJECT / "corpus"
VNTC = PROJECT.parent / "shared" / "corpora" / "vntc.jsonl.xz"
VNTC_ARTICLES = 300


# --- building ------------------------------------------------------------------------------


def build(corpus: Path, index: Path, *, legacy: bool, inline: int | None = None, protocol: int | None = None) -> Path:
    """Build ``corpus`` in one process with the old or the new writer; return the generation folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indexer, "LEGACY_WRITER", legacy)
        if inline is not None:
            mp.setattr(wi, "INLINE_POSTINGS", inline)
        if protocol is not None:
            mp.setattr(wi, "PICKLE_PROTOCOL", protocol)
        indexer.build_index(corpus, index, procs=1)
    return layout.current_generation(index).path


def _segment_files(gen: Path) -> tuple[str, dict[str, Path]]:
    """The one segment's id and its files by what follows the id (``.trm``, ``._syl_len.col``...)."""
    ix = windex.open_dir(str(gen))
    try:
        with ix.reader() as r:
            ((leaf, _),) = r.leaf_readers()
            segid = leaf.segment().segment_id()
    finally:
        ix.close()
    return segid, {p.name[len(segid) :]: p for p in gen.iterdir() if p.name.startswith(segid)}


# --- what an index holds ---------------------------------------------------------------------


def _value(v) -> bytes:
    # whoosh gives an empty posting value as None from a block and "" from an inlined list
    return bytes(v) if v else b""


def contents(gen: Path) -> dict:
    """Everything a one-segment index holds that queries can see, in comparable form."""
    ix = windex.open_dir(str(gen))
    out: dict = {}
    try:
        with ix.reader() as r:
            n = r.doc_count_all()
            out["doc_count"] = n
            out["stored"] = [r.stored_fields(d) for d in range(n)]
            schema = ix.schema
            by_field: dict[str, list[bytes]] = {}
            for name, btext in r.all_terms():
                by_field.setdefault(name, []).append(btext)
            for name in sorted(r.indexed_field_names()):
                fmt = schema[name].format
                terms = []
                for btext in by_field.get(name, []):
                    info = r.term_info(name, btext)
                    stats = (
                        info.doc_frequency(),
                        info.weight(),
                        info.min_length(),
                        info.max_length(),
                        info.max_weight(),
                        info.min_id(),
                        info.max_id(),
                    )
                    m = r.postings(name, btext)
                    posts = []
                    while m.is_active():
                        v = _value(m.value())
                        decoded = None
                        if fmt.supports("characters"):
                            decoded = m.value_as("characters")
                        elif fmt.supports("positions"):
                            decoded = m.value_as("positions")
                        posts.append((m.id(), m.weight(), v, decoded))
                        m.next()
                    assert len(posts) == info.doc_frequency()
                    terms.append((btext, stats, posts))
                out[f"terms:{name}"] = terms
                out[f"length:{name}"] = (r.field_length(name), [r.doc_field_length(d, name) for d in range(n)])
            for name in ("day", "source_key", "author_key", "cites"):
                if r.has_column(name):
                    out[f"column:{name}"] = list(r.column_reader(name))
    finally:
        ix.close()
    out["pairs"] = pair_postings_of(gen)
    (side,) = gen.glob("*.bantin")
    con = sqlite3.connect(side)
    try:
        out["sidecar"] = {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall()) for t in ("meta", "lengths", "postings", "pairs")
        }
    finally:
        con.close()
    con = sqlite3.connect(gen / "vocab.sqlite")
    try:
        out["vocab"] = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall()) for t in ("meta", "forms")}
    finally:
        con.close()
    return out


def pair_postings_of(gen: Path) -> list | None:
    """The one segment's pair postings file, as ``(term, [(doc, count)...])`` (None: no file)."""
    (segid,) = {p.name.split(".")[0] for p in gen.glob("MAIN_*.*")}
    path = gen / f"{segid}.{pair_postings.EXT}"
    if not path.exists():
        return None
    pp = pair_postings.PairPostings(path)
    try:
        data = pp.arrays()
        ends = data.post_ends.tolist()
        docs, counts = data.docs.tolist(), data.counts.tolist()
        return [(t, list(zip(docs[a:b], counts[a:b]))) for t, a, b in zip(data.terms, [0, *ends[:-1]], ends)]
    finally:
        pp.close()


def assert_same_contents(old: dict, new: dict) -> None:
    assert old.keys() == new.keys()
    for key in old:
        if key.startswith("terms:"):
            a, b = old[key], new[key]
            assert [t for t, _, _ in a] == [t for t, _, _ in b], f"{key}: the terms differ"
            for (term, sa, pa), (_, sb, pb) in zip(a, b):
                assert sa == sb, f"{key} {term!r}: term statistics {sa} != {sb}"
                assert pa == pb, f"{key} {term!r}: postings differ"
        else:
            assert old[key] == new[key], f"{key} differs"


def assert_same_files(old_gen: Path, new_gen: Path) -> None:
    """Every segment file byte for byte; the table of contents up to the (random) segment id."""
    old_id, old_files = _segment_files(old_gen)
    new_id, new_files = _segment_files(new_gen)
    assert sorted(old_files) == sorted(new_files)
    for suffix in old_files:
        assert old_files[suffix].read_bytes() == new_files[suffix].read_bytes(), f"segment file {suffix} differs"
    (old_toc,) = old_gen.glob("*.toc")
    (new_toc,) = new_gen.glob("*.toc")
    old_random, new_random = old_id.rsplit("_", 1)[1], new_id.rsplit("_", 1)[1]  # "MAIN_<random>"
    assert old_toc.read_bytes().replace(old_random.encode(), new_random.encode()) == new_toc.read_bytes()


# --- corpora ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vntc_corpus(tmp_path_factory) -> Path:
    if not VNTC.exists():
        pytest.skip(f"{VNTC} not found")
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    try:
        from bench_index import prepare_corpus  # the first N "Chính trị Xã hội" articles
    finally:
        sys.path.remove(str(PROJECT / "benchmarks"))
    work = tmp_path_factory.mktemp("vntc")
    prepare_corpus(work, VNTC_ARTICLES)
    return work / "corpus"


@pytest.fixture(scope="module", params=["seed", "vntc"])
def corpus(request) -> Path:
    if request.param == "seed":
        if not SEEDS.is_dir():
            pytest.skip("seed corpus missing")
        return SEEDS
    return request.getfixturevalue("vntc_corpus")


@pytest.fixture(scope="module")
def old_build(corpus, tmp_path_factory) -> Path:
    return build(corpus, tmp_path_factory.mktemp("old") / "index", legacy=True)


# --- the two paths, compared ---------------------------------------------------------------


def test_new_writer_indexes_the_same(corpus, old_build, tmp_path):
    new = build(corpus, tmp_path / "index", legacy=False)
    old_c, new_c = contents(old_build), contents(new)
    assert old_c["doc_count"] > 0
    assert_same_contents(old_c, new_c)


def test_without_inlining_the_files_are_byte_identical(corpus, old_build, tmp_path):
    new = build(corpus, tmp_path / "index", legacy=False, inline=0, protocol=2)
    assert_same_files(old_build, new)


def test_inlining_moves_short_lists_into_the_term_index(corpus, old_build, tmp_path):
    new = build(corpus, tmp_path / "index", legacy=False)
    _, old_files = _segment_files(old_build)
    _, new_files = _segment_files(new)
    ix = windex.open_dir(str(new))
    try:
        with ix.reader() as r:
            infos = [r.term_info(name, t) for name, t in r.all_terms() if name in ("pair_fold", "syl", "id")]
    finally:
        ix.close()
    short = [i for i in infos if i.doc_frequency() <= wi.INLINE_POSTINGS]
    assert short and all(i.is_inlined() for i in short)
    assert not any(i.is_inlined() for i in infos if i.doc_frequency() > wi.INLINE_POSTINGS)
    assert new_files[".pst"].stat().st_size < old_files[".pst"].stat().st_size


def test_blocks_pickled_with_bytes_as_bytes_are_smaller_and_read_the_same(corpus, tmp_path):
    """Protocol 3 (and no zlib where it does not help) against whoosh's protocol 2:
    the same postings, in smaller term index and postings files."""
    whoosh_pickles = build(corpus, tmp_path / "p2", legacy=False, protocol=2)
    ours = build(corpus, tmp_path / "p3", legacy=False)
    assert wi.PICKLE_PROTOCOL == 3
    assert_same_contents(contents(whoosh_pickles), contents(ours))
    _, before = _segment_files(whoosh_pickles)
    _, after = _segment_files(ours)
    for suffix in (".pst", ".trm"):
        assert after[suffix].stat().st_size < before[suffix].stat().st_size, suffix


def test_searches_find_the_same(corpus, old_build, tmp_path):
    """Queries through the searcher (sidecar scoring and whoosh matchers) give the same hits."""
    from searcher.search import Searcher

    new = build(corpus, tmp_path / "index", legacy=False)
    queries = ["Kết luận 21", "ket luan", "đảng viên", "Hà Nội", '"ban chấp hành"', "quốc hội", "tham nhũng"]
    results = []
    for gen in (old_build, new):
        with Searcher(gen.parent) as s:
            results.append([[(h.id, round(h.score, 9)) for h in s.search(q, limit=20).hits] for q in queries])
    assert results[0] == results[1]


# --- merges: segments with inlined postings go back through the pool --------------------------


def test_incremental_updates_and_merges_keep_the_postings(tmp_path):
    """Segments added one job at a time and merged by the job's policy (segments
    with inlined postings read back into the pool) hold, per document, what one
    old-path build of the same corpus holds."""
    if not SEEDS.is_dir():
        pytest.skip("seed corpus missing")
    seeds = sorted(SEEDS.glob("*.txt"))
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for p in seeds[:4]:  # a first segment of 4 documents (a size tier of its own)...
        shutil.copy(p, corpus / p.name)
    indexer.update_index(corpus, index, procs=1)
    # ... then one document per job: the fourth one-document job merges three of them
    extra = [seeds[4], *(seeds[i] for i in range(3))]
    for n, p in enumerate(extra):
        shutil.copy(p, corpus / (p.name if n == 0 else f"copy_{n}.txt"))
        indexer.update_index(corpus, index, procs=1)
    (corpus / "copy_2.txt").unlink()  # and a deletion
    indexer.update_index(corpus, index, procs=1)
    gen = layout.current_generation(index).path
    ix = windex.open_dir(str(gen))
    try:
        with ix.reader() as r:
            assert len(r.leaf_readers()) < 1 + len(extra)  # some were merged
            # merged or not, each bulletin's stored syllables are those of its stored body
            for _, stored in r.iter_docs():
                assert analysis.stored_layout(stored) == analysis.Layout.of_text(stored["body"])
    finally:
        ix.close()
    old = build(corpus, tmp_path / "old", legacy=True)
    assert by_document(gen) == by_document(old)
    # and pair_fold's postings as whoosh holds them in an index that keeps them there
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indexer, "PAIRS_APART", False)
        twin = build(corpus, tmp_path / "twin", legacy=False)
    assert not list(twin.glob(f"*.{pair_postings.EXT}")) and list(gen.glob(f"*.{pair_postings.EXT}"))
    assert by_document(gen) == by_document(twin)
    assert len(by_document(gen)[pair_postings.FIELD]) > 500


@pytest.mark.parametrize("legacy", [False, True], ids=["bulk", "legacy"])
def test_a_merge_renumbers_the_pair_postings_of_a_segment_with_deletions(tmp_path, monkeypatch, legacy):
    """A merged segment whose first bulletin was deleted: its other bulletins' pair
    postings follow them to their new numbers (as whoosh renumbers its postings),
    with either writer."""
    if not SEEDS.is_dir():
        pytest.skip("seed corpus missing")
    monkeypatch.setattr(indexer, "LEGACY_WRITER", legacy)
    seeds = sorted(SEEDS.glob("*.txt"))
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for p in seeds[:4]:  # segment A: 4 bulletins
        shutil.copy(p, corpus / p.name)
    indexer.update_index(corpus, index, procs=1)
    shutil.copy(seeds[4], corpus / "b1.txt")  # segment B: 2 bulletins
    (corpus / "b2.txt").write_text(seeds[1].read_text(encoding="utf-8") + "\nPhụ lục: Ban Tổ chức Tỉnh ủy.", encoding="utf-8")
    indexer.update_index(corpus, index, procs=1)
    shutil.copy(seeds[2], corpus / "c.txt")  # segment C: 1
    indexer.update_index(corpus, index, procs=1)
    (corpus / "b1.txt").unlink()  # B's first bulletin deleted; segment D: 1
    shutil.copy(seeds[3], corpus / "d.txt")
    indexer.update_index(corpus, index, procs=1)
    (corpus / "e.txt").write_text(seeds[0].read_text(encoding="utf-8") + "\nHội nghị giao ban quý.", encoding="utf-8")
    indexer.update_index(corpus, index, procs=1)  # B, C and D merged, with E
    gen = layout.current_generation(index).path
    ix = windex.open_dir(str(gen))
    try:
        with ix.reader() as r:
            sizes = sorted(leaf.doc_count_all() for leaf, _ in r.leaf_readers())
    finally:
        ix.close()
    assert sizes == [4, 4]  # A; B (less its deleted bulletin), C, D and E
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indexer, "PAIRS_APART", False)
        twin = build(corpus, tmp_path / "twin", legacy=False)
    got, want = by_document(gen), by_document(twin)
    assert got[pair_postings.FIELD] == want[pair_postings.FIELD]
    assert got == want


def by_document(gen: Path) -> dict:
    """Postings keyed by document id (segment layouts differ): field -> term -> {id: (weight, value)}."""
    ix = windex.open_dir(str(gen))
    out: dict = {}
    try:
        with ix.reader() as r:
            ids = {d: r.stored_fields(d)["id"] for d in range(r.doc_count_all()) if not r.is_deleted(d)}
            for name, btext in r.all_terms():
                m = r.postings(name, btext)
                posts = {}
                while m.is_active():
                    posts[ids[m.id()]] = (m.weight(), _value(m.value()))
                    m.next()
                if posts:  # a deleted document's terms stay until its segment is merged
                    out.setdefault(name, {})[btext] = posts
            # pair postings kept apart, as whoosh's postings of a Frequency field would read
            for leaf, offset in r.leaf_readers():
                pp = pair_postings.PairPostings.open(gen, leaf.segment())
                if pp is None:
                    continue
                try:
                    data = pp.arrays()
                finally:
                    pp.close()
                ends = data.post_ends.tolist()
                docs, counts = data.docs.tolist(), data.counts.tolist()
                for btext, a, b in zip(data.terms, [0, *ends[:-1]], ends):
                    posts = {
                        ids[offset + d]: (float(c), struct.pack("!I", c))
                        for d, c in zip(docs[a:b], counts[a:b])
                        if offset + d in ids
                    }
                    if posts:  # a term of several segments: each adds its documents
                        out.setdefault(pair_postings.FIELD, {}).setdefault(btext, {}).update(posts)
    finally:
        ix.close()
    return out


# --- the one syllable pass ------------------------------------------------------------------

TEXTS = [
    "",
    "   ,.;  ",
    "Hà",
    "Hà Nội",
    "Kết luận 21-KL/TW của Bộ Chính trị: kết luận, KẾT LUẬN, kết   luận.",
    "hoà hòa HOÀ Hoà; uỷ ủy qủa quả; Đảng đảng dang",
    "a a a a a b a",
    "Thủ tướng Nguyễn Tấn Dũng\nngày 12/3/2007 tại TP.HCM (Việt Nam) – 100% đại biểu",
    "x_y 3,5 tỷ đồng ① Ｋｅｔ",
]


@pytest.mark.parametrize("text", TEXTS)
def test_one_syllable_pass_gives_each_fields_own_terms(text):
    """Every pre-analysed field encodes to exactly what whoosh's field.index(text) gives."""
    schema = build_schema()
    title, title_fold = analysis.title_fields(text)
    syl, fold, pairs, pair_fold, layout = analysis.body_fields(text)
    given = {
        "title": title,
        "title_fold": title_fold,
        "syl": syl,
        "fold": fold,
        "pair_fold": pair_fold,
        "word": analysis.word_counts(text),
    }
    for name, value in given.items():
        field = schema[name]
        assert sorted(wi._encode(field, value)) == sorted(field.index(text)), name  # noqa: SLF001
    # the accented pairs, counted in the sidecar, are the pair analyzer's distinct terms
    expected = {t.text for t in analysis.pair_analyzer()(text)}
    assert set(pairs) == expected == set(analysis.body_pairs(text))
    # the stored layout: every distinct syllable as written, once, sorted; read back,
    # the syllables in order and the sentence ends between them, as READ reads the text
    assert layout == analysis.Layout.of_text(text)
    distinct = set(SYLLABLE_RE.findall(text))
    assert layout.syllables == " ".join(sorted(distinct)) and layout.distinct() == distinct
    assert unread(layout) == analysis.READ.findall(text)


def unread(layout: analysis.Layout) -> list[str]:
    """The ``READ.findall`` items a layout stands for: syllables, and "" for each sentence end."""
    listed = layout.syllables.split(" ")
    ids, ends = layout.positions()
    items: list[str] = []
    k = 0
    for i, sid in enumerate(ids.tolist()):
        while k < len(ends) and ends[k] == i:
            items.append("")
            k += 1
        items.append(listed[sid])
    items += [""] * (len(ends) - k)
    return items


def test_a_layout_with_more_distinct_syllables_than_two_bytes_count():
    text = " ".join(f"w{i}" for i in range(70_000)) + ".\n" + "w5 w69999"
    layout = analysis.Layout.of_text(text)
    assert layout.stream[0] == 4 and unread(layout) == analysis.READ.findall(text)


def test_a_damaged_layout_stream_is_damage_not_a_bug():
    """Cut short, with a width that is not 2 or 4, or naming a syllable its list
    lacks: ``struct.error``, which the searcher reports as a damaged index."""
    good = analysis.Layout.of_text("Một câu. Hai câu; ba\n\nbốn")
    assert len(good.positions()[0]) == 6 and len(good.positions()[1]) == 3
    damaged = [
        good.stream[:-3],  # cut inside the sentence ends
        good.stream[:8],  # cut inside the syllables
        bytes([3]) + good.stream[1:],  # a width of 3
    ]
    for stream in damaged:
        with pytest.raises(struct.error):
            analysis.Layout(good.syllables, stream).positions()
    fewer = " ".join(good.syllables.split(" ")[:-1])  # the list lost its last syllable
    with pytest.raises(struct.error):
        analysis.Layout(fewer, good.stream).positions()


def test_ref_keys_as_counts_encode_like_the_list():
    field = build_schema()["ref"]
    keys = ["kl:21", "kl:21/tw", "nq:18", "kl:21"]
    assert sorted(wi._encode(field, analysis.counts(keys))) == sorted(field.index(keys))  # noqa: SLF001


def test_pre_analysed_value_must_fit_the_format():
    schema = build_schema()
    with pytest.raises(TypeError):
        wi._encode(schema["syl"], analysis.counts(["a"]))  # noqa: SLF001 - counts cannot give positions


@pytest.mark.parametrize("inline, protocol", [(None, None), (0, None), (3, None), (None, 2)])
def test_term_rows_made_directly_are_whooshs_own(corpus, tmp_path, monkeypatch, inline, protocol):
    """The term table written in one loop, its short lists' rows made without whoosh's
    objects, is byte for byte what whoosh's field writer writes a term at a time
    (inlined lists of one posting, the default, of none, and of up to three; and
    with whoosh's own pickles and postings writer)."""
    monkeypatch.setattr(wi, "_ROWS_AT_ONCE", 7)  # rows written in many small groups
    monkeypatch.setattr(wi, "_FAST_TERMS", False)
    slow = build(corpus, tmp_path / "slow", legacy=False, inline=inline, protocol=protocol)
    monkeypatch.setattr(wi, "_FAST_TERMS", True)
    fast = build(corpus, tmp_path / "fast", legacy=False, inline=inline, protocol=protocol)
    assert_same_files(slow, fast)
    assert_same_contents(contents(slow), contents(fast))


@pytest.mark.parametrize(
    "before, boost",
    [
        ([], 1.0),  # a new field
        ([(b"x", 1, 1.0, b"\x00\x00\x00\x01")], 1.0),  # after values of the same size
        ([(b"x", 1, 1.0, b"\x01\x02")], 1.0),  # after a value of another size: every length kept
        ([(b"x", 1, 1.0, b"\x01\x02"), (b"y", 1, 1.0, b"")], 1.0),  # lengths already kept
        ([(b"x", 1, 1.0, b"\x00\x00\x00\x01")], 0.1),  # weights not exact in single precision
        ([(b"x", 1, 0.1, b"\x00\x00\x00\x01")], 1.0),  # already doubles
    ],
)
@pytest.mark.parametrize("fb", [1.5, 1.0])  # 1.0 with boost 1.0: weights are the counts themselves
def test_counts_added_at_once_leave_the_pool_as_one_at_a_time(before, boost, fb):
    """_FieldPostings.add_counts against add_items with the items whoosh's Frequency
    format gives (terms as text, as ``_encode(..., text=True)`` gives them to the pool):
    the same term ids and their type, documents, weights (and their precision), values
    and value lengths, and the same field length."""
    from whoosh.system import pack_uint

    counts = {"kết luận": 2, "bộ chính": 1, "x": 3, "đảng ủy": 70000}
    one, many = wi._FieldPostings(), wi._FieldPostings()
    for pool in (one, many):
        pool.add_items(0, before, 1.0, True)
    items = [(t, n, float(n) * fb, pack_uint(n)) for t, n in counts.items()]
    assert one.add_items(7, items, boost, True) == many.add_counts(7, counts, fb, boost, True) == 70006
    assert many.add_counts(8, {}, fb, boost, True) == 0
    for slot in wi._FieldPostings.__slots__:
        a, b = getattr(one, slot), getattr(many, slot)
        assert type(a) is type(b) and a == b, slot
        if isinstance(a, array):
            assert a.typecode == b.typecode, slot
    assert many.add_counts(9, {"x": 1}, fb, boost, False) == 0
    state = {slot: copy.copy(getattr(many, slot)) for slot in ("terms", "tids", "docs", "weights", "values")}
    with pytest.raises(struct.error):  # a count that is no 32-bit number: the pool is left as it was
        many.add_counts(10, {"new term": 2**32}, fb, boost, True)
    assert {slot: getattr(many, slot) for slot in state} == state
