"""Forgiving queries end to end: raw Telex/VNI, typos, spelling variants,
abbreviations and "did you mean", on real indexes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import write_jsonl

from searcher import Searcher, build_index, update_index
from searcher.cli import main

RECORDS = [
    {"id": "lun", "title": "Sạt lở", "body": "Mặt đường bị lún sụt xuống sâu sau mưa lớn ở Hà Giang."},
    {"id": "net", "title": "Mạng", "body": "Người dân dùng Internet để nộp hồ sơ trực tuyến."},
    {"id": "ly", "title": "Quản lý", "body": "Công tác quản lý cán bộ và kỹ thuật được nâng cao; công ty báo cáo."},
    {"id": "li", "title": "Quản lí", "body": "Quản lí nhà nước về kĩ thuật; công ti đã qui định rõ."},
    {"id": "bct", "title": "BCT", "body": "Hội nghị của BCT về công tác cán bộ."},
    {"id": "full", "title": "Bộ Chính trị", "body": "Bộ Chính trị họp bàn về công tác cán bộ."},
    {"id": "tuan", "title": "Tuần", "body": "Trong tuần qua, ông Tuan và bà An đã đến thăm."},
]


def searcher_over(tmp_path_factory, name: str, records: list[dict]) -> Searcher:
    """A searcher over a fresh index of ``records`` (a one-file JSONL corpus)."""
    corpus = write_jsonl(tmp_path_factory.mktemp(name) / "corpus" / "r.jsonl", records).parent
    build_index(corpus, corpus.parent / "index")
    return Searcher(corpus.parent / "index")


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    with searcher_over(tmp_path_factory, "forgiving", RECORDS) as searcher:
        yield searcher


def ids(res) -> list[str]:
    return [h.id for h in res.hits]


@pytest.mark.parametrize("typed", ["luns sutj xuoongs", "lun1 sut5 xuo6ng1", "lusn sujt xuoosng"])
def test_raw_telex_and_vni_are_decoded(s, typed):
    res = s.search(typed)
    assert ids(res)[:1] == ["lun"]
    assert res.corrected == "lún sụt xuống"


def test_words_that_look_like_telex_are_never_decoded(s):
    plan = s.plan("tuan an")
    assert plan.corrected is None
    assert ids(s.search("tuan an")) == ["tuan"]


@pytest.mark.parametrize("typed", ["Interet", "Internnet", "Intrenet", "xyống", "lún sụy"])
def test_one_slip_is_corrected_and_the_exact_form_ranks_first(s, typed):
    res = s.search(typed)
    assert res.hits, typed
    assert res.corrected is not None and res.corrected != typed


def test_the_form_typed_outranks_a_correction(s):
    exact = s.search("Internet")
    assert exact.corrected is None and ids(exact) == ["net"]
    assert s.search("Interet").hits[0].score < exact.hits[0].score


@pytest.mark.parametrize(
    "query", ["quản lý kỹ thuật", "quản lí kĩ thuật", "quan ly ky thuat", "quan li ki thuat", "Quản Lý"]
)
def test_i_y_variants_meet(s, query):
    assert {"ly", "li"} <= set(ids(s.search(query)))


def test_qui_quy_and_cong_ti(s):
    assert "li" in ids(s.search("quy định"))
    assert {"ly", "li"} <= set(ids(s.search("công ty")))


def test_missing_horn_and_doubled_tone(s):
    assert ids(s.search("nguời dân"))[:1] == ["net"]
    assert "lun" in ids(s.search("đuờng"))
    assert "lun" in ids(s.search("mưaa lớn")) or "lun" in ids(s.search("mưa lớnn"))


def test_abbreviation_finds_the_full_form_and_back(s):
    short = s.search("BCT")
    assert set(ids(short)) == {"bct", "full"} and ids(short)[0] == "bct"  # the form typed first
    long = s.search("bộ chính trị")
    assert set(ids(long)) == {"bct", "full"} and ids(long)[0] == "full"
    assert set(ids(s.search("bo chinh tri"))) == {"bct", "full"}


def test_no_correct_searches_exactly_what_was_typed(s):
    assert s.search("luns sutj xuoongs", correct=False).total == 0
    assert ids(s.search("BCT", correct=False)) == ["bct"]


def test_words_no_bulletin_holds_together_fall_back_to_best_match(s):
    """A slip that makes another real word ("sâu" typed "sau") finds nothing with
    every word required: the best match answers, and says so."""
    res = s.search("lún sụt zzzqqq")
    assert res.mode == "best" and ids(res)[:1] == ["lun"]


def test_a_suggestion_when_nothing_matches(s):
    res = s.search("lún sụt zzzqqq", sort="newest")  # date order: no best-match reading
    assert res.total == 0 and res.suggestion == "lún sụt"


def test_numbers_are_never_corrected(seed_searcher, seed_ids):
    assert {h.id for h in seed_searcher.search("Kết luận 21").hits} == {seed_ids["003"], seed_ids["000"]}
    res = seed_searcher.search("Kết luận 12")
    assert res.total == 0 and res.mode == "ref"
    assert seed_searcher.search("ket luan 12").total == 0
    assert seed_searcher.plan("Kết luận 12").corrected is None


def test_cli_says_how_the_query_was_read(s):
    r = CliRunner().invoke(main, ["search", "--index", str(s.root), "luns sutj xuoongs"])
    assert r.exit_code == 0
    assert "showing results for “lún sụt xuống”" in r.stdout and "--no-correct" in r.stdout
    r = CliRunner().invoke(main, ["search", "--index", str(s.root), "luns sutj xuoongs", "--json"])
    assert json.loads(r.stdout)["corrected"] == "lún sụt xuống"
    r = CliRunner().invoke(main, ["search", "--index", str(s.root), "luns sutj xuoongs", "--no-correct"])
    assert r.exit_code == 1


def test_the_archive_adds_its_own_abbreviations(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Ban Tổ chức Tỉnh ủy họp\n\nBan Tổ chức Tỉnh ủy đã họp bàn công tác.\n", encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index)
    with Searcher(index) as s:
        assert s.search("BTCTU").total == 0
    (corpus / "abbreviations.txt").write_text("BTCTU = Ban Tổ chức Tỉnh ủy\nnot a line\n", encoding="utf-8")
    rep = update_index(corpus, index)
    assert rep.abbreviations_changed and rep.added == 0  # the table is not a bulletin
    assert any("abbreviations.txt:2" in w["message"] for w in rep.warnings)
    with Searcher(index) as s:
        assert [h.id for h in s.search("BTCTU").hits] == ["a"]
    assert not update_index(corpus, index).changed


# --- slips that make another real word: read from the neighbouring words -------------------------

CONTEXT_RECORDS = [
    {"id": "xang", "title": "Giá xăng", "body": "Giá xăng đã phải nhích lên từng ngày, người dân lo lắng."},
    {"id": "dn", "title": "Doanh nghiệp", "body": "Nhiều doanh nghiệp đã phải đóng cửa vì thiếu vốn."},
    {"id": "hq", "title": "Hải quân", "body": "Tàu hải quân tuần tra trên biển; cảng Hải Phòng đã đón tàu lớn."},
    {"id": "tl", "title": "Tương lai", "body": "Một tương lai xán lạn đang chờ các em học sinh."},
    {"id": "ai", "title": "Ai cũng biết", "body": "Ai cũng biết điều đó, bình thường ai cũng vui; tương ớt rất cay."},
]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    with searcher_over(tmp_path_factory, "context", CONTEXT_RECORDS) as searcher:
        yield searcher


@pytest.mark.parametrize(
    ("typed", "read", "found"),
    [
        ("đã hải nhích", "đã phải nhích", "xang"),  # "hải" is a word, but never beside "đã" or "nhích"
        ("đã phi nhích", "đã phải nhích", "xang"),  # not in the corpus: the neighbours pick the correction
        ("tương ai xán", "tương lai xán", "tl"),  # the slip is "ai", not the words beside it
    ],
)
def test_a_slip_that_makes_a_real_word_is_read_from_its_neighbours(ctx, typed, read, found):
    res = ctx.search(typed)
    assert res.corrected == read
    assert ids(res)[0] == found


@pytest.mark.parametrize("typed", ["đã phải nhích", "hải quân tuần tra", "tương lai xán lạn", "ai cũng biết"])
def test_words_seen_side_by_side_are_taken_as_typed(ctx, typed):
    assert ctx.plan(typed).corrected is None


def test_keywords_never_side_by_side_in_the_corpus_are_not_corrected_without_evidence(seed_searcher, seed_ids):
    # "chức Ninh" is in no bulletin, but nothing one letter from "Ninh" stands beside "chức" often enough.
    assert seed_searcher.plan("tổ chức Ninh").corrected is None
    assert [h.id for h in seed_searcher.search("tổ chức Ninh").hits] == [seed_ids["002"]]


def test_no_correct_reads_no_context(ctx):
    assert ctx.search("đã hải nhích", correct=False).corrected is None
