"""End-to-end tests of searching: the seed corpus and tiny corpora built per test.

Rankings may shift a little while the weights are tuned, so these tests check
the product requirements (which bulletins, in which order where it matters),
never exact scores.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

import pytest

from searcher import Searcher
from searcher.errors import BantinError, DocumentNotFound, QueryError
from searcher.models import Hit, SearchResult
from searcher.normalise import SYLLABLE_RE, clean_text, fold, norm_syllable, syllables
from searcher.refs import find_refs
from searcher.snippets import Terms, match_spans

KL21_QUERIES = ["Kết luận 21", "ket luan 21", "KẾT LUẬN 21", "Kết luận số 21", "KL 21", "21-KL/TW"]


def ids(res: SearchResult) -> list[str]:
    return [h.id for h in res.hits]


def prefixes(res: SearchResult) -> list[str]:
    return [h.id[:3] for h in res.hits]


def doc_folds(title: str, body: str) -> set[str]:
    """Every syllable of a bulletin without diacritics: what a brute-force scan sees."""
    return {fold(norm_syllable(s)) for s, _, _ in syllables(clean_text(f"{title}\n{body}"))}


def query_folds(query: str) -> set[str]:
    return {fold(norm_syllable(s)) for s, _, _ in syllables(clean_text(query))}


def contains_phrase(text: str, phrase: str) -> bool:
    """``phrase``'s syllables appear consecutively in ``text`` (diacritics ignored)."""
    t = [fold(norm_syllable(s)) for s, _, _ in syllables(clean_text(text))]
    p = [fold(norm_syllable(s)) for s, _, _ in syllables(clean_text(phrase))]
    return any(t[i : i + len(p)] == p for i in range(len(t) - len(p) + 1))


@pytest.fixture(scope="module")
def s(seed_searcher) -> Searcher:
    return seed_searcher


@pytest.fixture(scope="module")
def docs(s, seed_ids) -> dict:
    """Every seed bulletin as stored, by prefix."""
    return {p: s.get(i) for p, i in seed_ids.items()}


# --- the queries on the five seeds ------------------------------------------


@pytest.mark.parametrize("query", KL21_QUERIES)
def test_kl21_finds_exactly_003_then_000(s, seed_ids, query):
    res = s.search(query)
    assert res.total == 2
    assert ids(res) == [seed_ids["003"], seed_ids["000"]]


@pytest.mark.parametrize("query", ["Kết luận 21", "ket luan 21", "KẾT LUẬN 21", "Kết luận số 21"])
def test_kl21_top_snippet_highlights_the_reference(s, query):
    top = s.search(query).hits[0]
    marked = [top.snippet[a:b] for a, b in top.highlights]
    assert any("ket luan" in fold(m) for m in marked), marked
    assert any("21" in m for m in marked), marked


def test_uy_vien_bo_chinh_tri_ranks_000_and_004_first(s, seed_ids):
    for query in ("uỷ viên bộ chính trị", "ủy viên bộ chính trị"):
        res = s.search(query)
        assert set(ids(res)[:2]) == {seed_ids["000"], seed_ids["004"]}, query


def test_eth_dang_vien_ranks_000_and_001_first(s, seed_ids):
    res = s.search("\u00d0ảng viên")
    assert set(ids(res)[:2]) == {seed_ids["000"], seed_ids["001"]}


def test_khoa_xiii_ranks_003_first(s, seed_ids):
    for query in ("khoá XIII", "khóa XIII"):
        assert ids(s.search(query))[0] == seed_ids["003"], query


def test_phrase_with_canonical_tone_finds_misspelt_hieu_qua(s, seed_ids, docs):
    assert "hiệu qủa thực hiện nhiệm vụ" in docs["000"].body  # the bulletin's own spelling
    res = s.search('"chất lượng, hiệu quả thực hiện nhiệm vụ"')
    assert seed_ids["000"] in ids(res)


def test_portal_boilerplate_is_not_searchable(s):
    res = s.search("PublishingPortal")
    assert res.total == 0 and res.hits == []


def test_kl28_ranks_003_first(s, seed_ids):
    assert ids(s.search("Kết luận 28"))[0] == seed_ids["003"]


def test_kl99_finds_nothing_and_says_why(s):
    res = s.search("Kết luận 99")
    assert res.total == 0 and res.hits == []
    assert res.notice and "Kết luận 99" in res.notice
    assert res.mode == "ref"


# --- documents ---------------------------------------------------------------------


def test_get_returns_clean_title_and_dates(s, seed_ids):
    d3 = s.get(seed_ids["003"])
    assert d3.title == "Làm tốt việc quán triệt, triển khai các văn bản mới về công tác tổ chức xây dựng \u0110ảng"
    assert "\u00d0" not in d3.title
    assert d3.date == dt.date(2022, 4, 5)
    assert s.get(seed_ids["000"]).date == dt.date(2022, 6, 30)
    assert s.get(seed_ids["004"]).date == dt.date(2022, 12, 29)


def test_get_unknown_id_raises_document_not_found(s):
    with pytest.raises(DocumentNotFound) as info:
        s.get("999_does_not_exist")
    assert "999_does_not_exist" in str(info.value)


def test_hit_title_and_date_match_the_document(s, seed_ids):
    for h in s.search("Trương Thị Mai").hits:
        d = s.get(h.id)
        assert (h.title, h.date) == (d.title, d.date)


# --- offsets ---------------------------------------------------------------------------


OFFSET_QUERIES = [
    "Kết luận 21",
    "ket luan 21",
    "uỷ viên bộ chính trị",
    "Trương Thị Mai",
    "truong thi mai",
    "khoá XIII",
    "hiệu quả",
    "\u00d0ảng viên",
    '"Ninh Hải" OR Thái Nguyên',
]


@pytest.mark.parametrize("query", OFFSET_QUERIES)
def test_highlights_point_at_query_terms(s, query):
    res = s.search(query)
    assert res.hits
    terms = query_folds(query)
    ref_keys = {k for r in find_refs(clean_text(query)) for k in r.keys()}
    marked_somewhere = False
    for h in res.hits:
        prev_end = -1
        for a, b in h.highlights:
            assert 0 <= a < b <= len(h.snippet), (h.id, a, b)
            assert a >= prev_end  # sorted, not overlapping
            prev_end = b
            text = h.snippet[a:b]
            syls = {fold(norm_syllable(x)) for x, _, _ in syllables(text)}
            is_ref = any(ref_keys.intersection(r.keys()) for r in find_refs(text))
            assert syls <= terms or is_ref, (h.id, text)
            marked_somewhere = True
    assert marked_somewhere


def _spans_token_by_token(text: str, terms) -> list[tuple[int, int]]:
    """The oracle: every syllable token of ``text`` read on its own (what the index pass does)."""
    hits = [
        (m.start(), m.end())
        for m in SYLLABLE_RE.finditer(text)
        if norm_syllable(m.group()) in terms.norms or fold(norm_syllable(m.group())) in terms.folds
    ]
    merged: list[tuple[int, int]] = []
    for a, b in hits:
        if merged and re.fullmatch(r"[\s\-]{1,3}", text[merged[-1][1] : a]):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


TRICKY_TEXTS = [
    "an Thanh an, an_an 2an an2 an",  # "an" inside words, beside "_" and digits, at both ends
    "Kết luận KẾT LUẬN kết-luận kết  -  luận kếtluận",
    "hoà hòa HOÀ Hoà\u00a0bình, Đảng \u00d0ảng",
]


@pytest.mark.parametrize("words", ["an", "kết luận", "ket luan", "hoà bình", "đảng viên"])
def test_snippet_matches_are_the_syllables_the_index_reads(docs, words):
    terms = Terms(
        frozenset(norm_syllable(w) for w in words.split()), frozenset(fold(norm_syllable(w)) for w in words.split())
    )
    texts = TRICKY_TEXTS + [clean_text(d.body) for d in docs.values()]
    found = 0
    for text in texts:
        expected = _spans_token_by_token(text, terms)
        assert match_spans(text, terms) == expected, text[:60]
        found += len(expected)
    assert found


def test_stored_reference_spans_are_exact(s, docs):
    count = 0
    for prefix, d in docs.items():
        found = find_refs(d.body)
        for r in d.refs:
            assert set(r.spans) == {(f.start, f.end) for f in found if f.key == r.key}, (prefix, r)
            count += len(r.spans)
    assert count >= 20  # 000, 001, 003 and 004 cite documents


def test_hit_ref_spans_are_exact(s):
    for h in s.search("Kết luận 21").hits:
        body = s.get(h.id).body
        assert h.refs
        for r in h.refs:
            for start, end in r.spans:
                assert find_refs(body[start:end])[0].key == r.key


# --- query syntax ----------------------------------------------------------------------


def test_quoted_phrase_needs_adjacent_words(s, seed_ids, docs):
    loose = s.search("Ban Tổ chức Tỉnh ủy", limit=10)
    phrase = s.search('"Ban Tổ chức Tỉnh ủy"', limit=10)
    want = {seed_ids[p] for p, d in docs.items() if contains_phrase(d.body, "Ban Tổ chức Tỉnh ủy")}
    assert want and len(want) < loose.total
    assert set(ids(phrase)) == want
    assert phrase.total == len(want)


def test_quoted_phrase_that_is_not_in_any_bulletin(s, seed_ids):
    assert ids(s.search("tổ chức Ninh")) == [seed_ids["002"]]  # every word, scattered
    assert s.search('"tổ chức Ninh"').total == 0  # never side by side


def test_quoted_phrase_found_only_in_a_title(s, seed_ids, docs):
    """003's headline, quoted: the words are adjacent only in its title."""
    assert not contains_phrase(docs["003"].body, "Làm tốt việc quán triệt")
    res = s.search('"Làm tốt việc quán triệt"')
    assert ids(res) == [seed_ids["003"]]


def test_or_returns_the_union(s):
    a = set(ids(s.search("Ninh Hải")))
    b = set(ids(s.search("Bắc Kạn")))
    assert a and b and a != b
    union = s.search("Ninh Hải OR Bắc Kạn")
    assert set(ids(union)) == a | b
    assert union.total == len(a | b)


def test_or_of_three_phrases(s):
    parts = ['"Vĩnh Phúc"', '"Ninh Hải"', '"Thái Nguyên"']
    each = [set(ids(s.search(p))) for p in parts]
    assert all(each)
    assert set(ids(s.search(" OR ".join(parts)))) == set().union(*each)


def test_excluding_a_phrase_removes_a_known_hit(s, seed_ids):
    base = set(ids(s.search("Trương Thị Mai")))
    assert {seed_ids["000"], seed_ids["004"]} <= base
    res = s.search('Trương Thị Mai -"Võ Văn Thưởng"')
    assert seed_ids["004"] not in ids(res)
    assert set(ids(res)) == base - {seed_ids["004"]}


def test_excluding_an_accented_word_keeps_other_accents(s, seed_ids, docs):
    """``-Thưởng`` drops the bulletin naming Võ Văn Thưởng, not every "Thường trực"."""
    assert "Thưởng" in docs["004"].body
    assert "Thưởng" not in docs["000"].body and "Thường" in docs["000"].body
    res = s.search("Trương Thị Mai -Thưởng")
    assert seed_ids["004"] not in ids(res)
    assert seed_ids["000"] in ids(res)


def test_excluding_a_place_removes_its_bulletin(s, seed_ids):
    base = ids(s.search("hội nghị", limit=10))
    assert seed_ids["002"] in base
    res = s.search("hội nghị -Ninh", limit=10)
    assert set(ids(res)) == set(base) - {seed_ids["002"]}


def test_title_field_restricts_to_titles(s, seed_ids, docs):
    anywhere = set(ids(s.search("giao", limit=10)))
    in_title = s.search("title:giao", limit=10)
    want = {seed_ids[p] for p, d in docs.items() if "giao" in doc_folds(d.title, "")}
    assert want == {seed_ids["000"]}
    assert set(ids(in_title)) == want
    assert len(anywhere) > len(want)


def test_title_word_absent_from_titles_finds_nothing(s, seed_ids):
    assert ids(s.search("Bắc Kạn")) == [seed_ids["001"]]  # in 001's body only
    assert s.search("title:Kạn").total == 0


def test_title_phrase(s, seed_ids):
    assert ids(s.search('title:"Hội nghị"')) == [seed_ids["002"]]


MALFORMED = ['"kết luận', "kết luận OR", "OR kết luận", "- kết luận", "kết luận -", "title:",
             "OR", "-", "- - -", "OR OR", '"', '""', 'title:"', "title:-", "-title:hội", "AND",
             "kết luận ((", "kết luận )", "title:title:", "-\"\"", "kết  luận\t21", "*", "kết*"]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_syntax_raises_nothing_but_query_error(s, query):
    try:
        res = s.search(query)
    except QueryError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert isinstance(res, SearchResult)
        assert res.total >= len(res.hits)


@pytest.mark.parametrize("query", ["kết luận OR", "OR kết luận", "- kết luận", "kết luận -"])
def test_malformed_syntax_reads_as_the_plain_words(s, query):
    assert ids(s.search(query)) == ids(s.search("kết luận"))


def test_unbalanced_quote_runs_to_the_end_as_a_phrase(s):
    assert ids(s.search('"kết luận')) == ids(s.search('"kết luận"'))
    assert set(ids(s.search('"kết luận'))) <= set(ids(s.search("kết luận")))
    assert ids(s.search('"kết luận')) != []


@pytest.mark.parametrize("query", ["OR", "-", "- - -", '""', "-title:hội"])
def test_nothing_to_search_is_a_query_error(s, query):
    with pytest.raises(QueryError):
        s.search(query)


# --- tone, diacritics and look-alikes ------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [("hoà", "hòa"), ("uỷ", "ủy"), ("khoá", "khóa"), ("\u00d0ảng", "Đảng"), ("Uỷ viên", "ủy viên"),
     ("Tỉnh uỷ", "tỉnh ủy"), ("hiệu qủa", "hiệu quả"), ("\u00d0ảng viên", "Đảng viên")],
)
def test_tone_style_and_lookalikes_give_the_same_results(s, a, b):
    ra, rb = s.search(a), s.search(b)
    assert ra.hits
    assert ids(ra) == ids(rb)
    assert ra.total == rb.total


@pytest.mark.parametrize("query, phrase", [("truong thi mai", "Trương Thị Mai"), ("dang vien", "đảng viên")])
def test_query_without_diacritics_finds_the_accented_text(s, seed_ids, docs, query, phrase):
    want = {seed_ids[p] for p, d in docs.items() if phrase.lower() in f"{d.title}\n{d.body}".lower()}
    assert want
    res = s.search(query, limit=10)
    assert want <= set(ids(res))


def test_truong_thi_mai_without_diacritics_ranks_her_bulletins_first(s, seed_ids):
    assert set(ids(s.search("truong thi mai"))[:2]) == {seed_ids["000"], seed_ids["004"]}


# --- ranking on tiny corpora -------------------------------------------------------------

FILL_A = "Hội nghị tổng kết công tác năm 2022 diễn ra tại thành phố Bắc Giang."
FILL_B = "Các đại biểu đã thảo luận về nhiệm vụ trọng tâm của năm tới."
FILL_C = "Ban Tổ chức Trung ương chủ trì hội nghị giao ban trực tuyến."


def rec(id_: str, body: str, title: str = "Tin tổng hợp") -> dict:
    return {"id": id_, "title": title, "body": body}


def test_a_dated_symbol_ranks_its_own_document_first(tiny_index):
    """"Nghị định 17/2001/NĐ-CP": the one bulletin citing it outranks one citing
    Nghị định 17/2006/NĐ-CP four times; the bare "Nghị định 17" still ranks by citations."""
    index = tiny_index([
        rec("y2006", f"{FILL_A} Theo Nghị định 17/2006/NĐ-CP, Nghị định 17/2006/NĐ-CP quy định rõ; "
                     f"Nghị định 17/2006/NĐ-CP và Nghị định 17/2006/NĐ-CP. {FILL_B}"),
        rec("y2001", f"{FILL_A} Thực hiện Nghị định 17/2001/NĐ-CP về đầu tư. {FILL_B}"),
        rec("bare", f"{FILL_A} Theo Nghị định 17 của Chính phủ. {FILL_B}"),
        rec("none", f"{FILL_C} {FILL_B}"),
    ])
    with Searcher(index) as s:
        for q in ("Nghị định 17/2001/NĐ-CP", "nghi dinh 17/2001/ND-CP", "NĐ 17/2001/NĐ-CP"):
            assert ids(s.search(q))[0] == "y2001", q
        assert ids(s.search("Nghị định 17/2006/NĐ-CP"))[0] == "y2006"
        bare = s.search("Nghị định 17")
        assert ids(bare)[0] == "y2006" and set(ids(bare)) == {"y2006", "y2001", "bare"}


def test_html_entities_in_records_are_text_not_terms(tiny_index):
    index = tiny_index([
        rec("gd", f"{FILL_A} Bộ GD&amp;ĐT công bố phương án thi. {FILL_B}"),
        rec("none", f"{FILL_C} {FILL_B}"),
    ])
    with Searcher(index) as s:
        assert s.search("amp").total == 0
        res = s.search("GD&ĐT")
        assert ids(res) == ["gd"] and "GD&ĐT" in res.hits[0].snippet


def test_exact_diacritics_outrank_other_spellings(tiny_index):
    index = tiny_index([
        rec("plain", f"{FILL_A} Nâng cao chất lượng dang vien ở cơ sở. {FILL_B}"),
        rec("other-tone", f"{FILL_A} Nâng cao chất lượng đang viên ở cơ sở. {FILL_B}"),
        rec("exact", f"{FILL_A} Nâng cao chất lượng đảng viên ở cơ sở. {FILL_B}"),
        rec("none", f"{FILL_C} {FILL_B}"),
    ])
    with Searcher(index) as s:
        res = s.search("đảng viên")
        assert ids(res)[0] == "exact"
        assert set(ids(res)) == {"exact", "plain", "other-tone"}
        plain = s.search("dang vien")
        assert set(ids(plain)) == {"exact", "plain", "other-tone"}


def test_adjacent_words_outrank_scattered_syllables(tiny_index):
    index = tiny_index([
        rec("apart", f"Đảng bộ tỉnh lãnh đạo. {FILL_A} {FILL_B} Mỗi cán bộ, công chức, viên chức đều tham gia."),
        rec("adjacent", f"Đảng viên tỉnh tham gia. {FILL_A} {FILL_B} Mỗi cán bộ, công chức, người lao động đều có mặt."),
        rec("none", f"{FILL_C} {FILL_B}"),
    ])
    with Searcher(index) as s:
        for query in ("đảng viên", "dang vien"):
            assert ids(s.search(query)) == ["adjacent", "apart"], query


def test_title_weighs_more_than_body(tiny_index):
    index = tiny_index([
        rec("body", f"{FILL_A} Công tác thủy lợi được chú trọng. {FILL_B}"),
        rec("title", f"{FILL_A} Tin tổng hợp được chú trọng. {FILL_B}", title="Công tác thủy lợi"),
        rec("none", f"{FILL_C} {FILL_B}"),
    ])
    with Searcher(index) as s:
        for query in ("thủy lợi", "thuỷ lợi", "thuy loi"):
            assert ids(s.search(query)) == ["title", "body"], query


BRUTE_RECORDS = [
    rec("a", "Đảng viên mới được kết nạp tại chi bộ thôn."),
    rec("b", "Chi bộ họp bàn công tác phát triển đảng viên."),
    rec("c", "Công tác thủy lợi và phòng chống thiên tai được chú trọng.", title="Thủy lợi"),
    rec("d", "Viên chức ngành giáo dục được tập huấn; Đảng ủy chỉ đạo sát sao."),
    rec("e", "Hội nghị tổng kết công tác thi đua năm 2022."),
    rec("f", "Nâng cao chất lượng dang vien ở cơ sở."),
    rec("g", "Thôn Đông tổ chức ngày hội đại đoàn kết.", title="Ngày hội ở thôn"),
]


@pytest.mark.parametrize("query", ["đảng viên", "dang vien", "chi bộ", "thủy lợi", "công tác", "thôn", "hội", "kết nạp"])
def test_total_counts_every_matching_bulletin(tiny_index, query):
    index = tiny_index(BRUTE_RECORDS)
    want = {r["id"] for r in BRUTE_RECORDS if query_folds(query) <= doc_folds(r["title"], r["body"])}
    assert want
    with Searcher(index) as s:
        full = s.search(query, limit=100)
        assert set(ids(full)) == want
        assert full.total == len(want)
        one = s.search(query, limit=1)
        assert len(one.hits) == 1
        assert one.total == len(want)  # total is not the number of returned hits


def test_or_total_counts_the_union(tiny_index):
    index = tiny_index(BRUTE_RECORDS)
    want = {r["id"] for r in BRUTE_RECORDS
            if {"thuy", "loi"} <= doc_folds(r["title"], r["body"]) or "thon" in doc_folds(r["title"], r["body"])}
    assert len(want) == 3
    with Searcher(index) as s:
        assert set(ids(s.search("thủy lợi OR thôn", limit=100))) == want
        assert s.search("thủy lợi OR thôn", limit=1).total == len(want)


# --- result objects ------------------------------------------------------------------


def test_hits_are_plain_data_that_outlive_the_searcher(seed_index, seed_ids):
    with Searcher(seed_index) as s:
        res = s.search("Kết luận 21")
    top = res.hits[0]
    assert isinstance(top, Hit)
    assert top.id == seed_ids["003"]
    assert top.title.startswith("Làm tốt việc")
    assert top.snippet and top.highlights
    assert top.snippet[top.highlights[0][0] : top.highlights[0][1]]
    with pytest.raises((ValueError, BantinError)):
        s.search("Kết luận 21")  # the searcher itself really is closed


def test_to_dict_is_json_serialisable(s, seed_ids):
    res = s.search("Kết luận 21")
    d = json.loads(json.dumps(res.to_dict(), ensure_ascii=False))
    assert d["query"] == "Kết luận 21"
    assert d["total"] == 2
    hit = d["hits"][0]
    assert hit["id"] == seed_ids["003"]
    assert hit["date"] == "2022-04-05"
    assert isinstance(hit["score"], float)
    assert all(isinstance(x, list) and len(x) == 2 for x in hit["highlights"])
    doc = json.loads(json.dumps(s.get(seed_ids["003"]).to_dict(), ensure_ascii=False))
    assert doc["date"] == "2022-04-05" and doc["refs"]


def test_to_dict_is_asdict_made_jsonable(s):
    """The written-out to_dict of hits and citations is dataclasses.asdict made
    JSON-ready: a field added to Hit or Citation but not to its to_dict fails here."""
    from dataclasses import asdict

    from searcher.models import _jsonable

    hits = [h for q in ("Kết luận 21", "hội nghị", "Nghị quyết") for h in s.search(q, limit=20).hits]
    assert any(h.refs and h.refs[0].spans for h in hits) and any(h.highlights for h in hits)
    for h in hits:
        assert h.to_dict() == _jsonable(asdict(h)) | {"score": round(h.score, 4)}
        assert list(h.to_dict()) == list(asdict(h))
        for c in h.refs:
            assert c.to_dict() == _jsonable(asdict(c)) and list(c.to_dict()) == list(asdict(c))


def test_limit(s):
    res = s.search("hội nghị", limit=2)
    assert len(res.hits) == 2 and res.total == 5
    with pytest.raises(QueryError):
        s.search("hội nghị", limit=0)


# --- references ----------------------------------------------------------------------


def test_cites_filter_keeps_only_bulletins_citing_kl21(s, seed_ids):
    everything = s.search("hội nghị", limit=10)
    assert everything.total == 5
    res = s.search("hội nghị", limit=10, cites="Kết luận 21")
    assert set(ids(res)) == {seed_ids["000"], seed_ids["003"]}
    assert res.total == 2
    for h in res.hits:
        assert "kl:21" in {r.key for r in h.refs}


def test_cites_must_be_a_reference(s):
    with pytest.raises(QueryError):
        s.search("hội nghị", cites="hội nghị")


def test_refs_lists_kl21_with_two_bulletins(s):
    table = {r.key: r for r in s.refs()}
    assert table["kl:21"].bulletins == 2
    assert table["kl:21"].label == "Kết luận 21"
    assert table["kl:28"].bulletins == 1
    counts = [r.bulletins for r in s.refs()]
    assert counts == sorted(counts, reverse=True)


def test_refs_query_keeps_only_ket_luan(s):
    found = s.refs("Kết luận")
    assert found
    assert all(r.key.startswith("kl:") for r in found)
    assert {"kl:21", "kl:28", "kl:34"} <= {r.key for r in found}
    assert {r.key for r in found} == {r.key for r in s.refs("ket luan")}


def test_refs_query_for_one_document(s):
    keys = {r.key for r in s.refs("Kết luận 21")}
    assert "kl:21" in keys
    assert all(k == "kl:21" or k.startswith("kl:21/") for k in keys)


# --- threads -------------------------------------------------------------------------


THREAD_QUERIES = ["Kết luận 21", "ket luan 21", "uỷ viên bộ chính trị", "khoá XIII", "dang vien",
                  "Trương Thị Mai", '"Ninh Hải" OR Thái Nguyên', "hội nghị -Ninh", "title:giao", "Kết luận 99"]


def test_one_searcher_shared_by_eight_threads(seed_index):
    with Searcher(seed_index) as s:
        serial = {q: [(h.id, h.snippet, tuple(h.highlights)) for h in s.search(q).hits] for q in THREAD_QUERIES}
        errors: list[BaseException] = []
        mismatches: list[str] = []

        def worker(n: int) -> None:
            try:
                for i in range(20):
                    q = THREAD_QUERIES[(n + i) % len(THREAD_QUERIES)]
                    got = [(h.id, h.snippet, tuple(h.highlights)) for h in s.search(q).hits]
                    if got != serial[q]:
                        mismatches.append(q)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert mismatches == []
