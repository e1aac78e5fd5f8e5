"""Typo tolerance weighted the Vietnamese way (searcher.spelling), on real Vietnamese."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searcher.normalise import SYLLABLE_RE, norm_syllable
from searcher.spelling import (
    EDIT_COST,
    MARK_COST,
    NEIGHBOUR_COST,
    TONE_COST,
    SpellIndex,
    distance,
    letter_distance,
    max_cost,
    split_syllable,
)

# Bulletins as a real vocabulary: syllable -> number of "documents" (sentences) holding it.
DOCS = [
    "Ban Chấp hành Đảng bộ tỉnh tổ chức hội nghị lần thứ mười lăm.",
    "Hội nghị đánh giá kết quả thực hiện nhiệm vụ chính trị năm 2022.",
    "Bộ Chính trị ban hành Kết luận số 21 về xây dựng, chỉnh đốn Đảng.",
    "Người đứng đầu cấp ủy chịu trách nhiệm chính về công tác cán bộ.",
    "Đồng chí Bí thư Tỉnh ủy chủ trì hội nghị, phát biểu chỉ đạo.",
    "Các đại biểu thảo luận về tình hình kinh tế - xã hội, quốc phòng, an ninh năm 2023.",
    "Đảng bộ xã đã kết nạp 12 đảng viên mới, nâng tổng số đảng viên lên 480 người.",
    "Ủy ban Kiểm tra Tỉnh ủy thi hành kỷ luật một số tổ chức đảng và đảng viên vi phạm.",
    "Lãnh đạo tỉnh chúc mừng các chiến sĩ nhân dịp kỷ niệm ngày truyền thống.",
    "Con đường mới mở giúp người dân đi lại thuận tiện, chiến lược phát triển bền vững.",
    "Nhiều người lao động bước vào năm mới với niềm tin, quê hương đổi thay từng ngày.",
    "Hội nghị chỉnh đốn công tác tổ chức, chính sách cán bộ, tính chiến đấu của chi bộ.",
    "Thủ tướng Chính phủ chỉ đạo các bộ, ngành triển khai chính sách mới.",
    "Đảng ủy khối tổ chức hội nghị sơ kết, đề ra chỉ tiêu năm 2024.",
]
DF = Counter(s for doc in DOCS for s in {norm_syllable(w) for w in SYLLABLE_RE.findall(doc)})


@pytest.fixture(scope="module")
def index() -> SpellIndex:
    return SpellIndex(DF.items())


# --- pieces of a syllable -------------------------------------------------------------


@pytest.mark.parametrize(
    "s, parts",
    [
        ("Đường", ("duong", "-++..", 1)),
        ("tiếng", ("tieng", "..^..", 2)),
        ("ăn", ("an", "(.", 0)),
        ("quả", ("qua", "...", 3)),
        ("nghĩ", ("nghi", "....", 4)),
        ("Đảng", ("dang", "-...", 3)),
        ("WTO", ("wto", "...", 0)),
    ],
)
def test_split_syllable(s, parts):
    assert split_syllable(s) == parts


# --- distance --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, cost",
    [
        ("tiếng", "tiếng", 0.0),
        ("tiếng", "tiềng", TONE_COST),  # wrong tone
        ("chính", "chinh", TONE_COST),  # missing tone
        ("bước", "buớc", MARK_COST),  # missing horn
        ("đảng", "dảng", MARK_COST),  # đ typed d
        ("đường", "dương", MARK_COST + TONE_COST),
        ("người", "nguoi", 2 * MARK_COST + TONE_COST),
        ("chính", "chíhn", EDIT_COST),  # two letters swapped
        ("đảng", "đảgn", EDIT_COST),
        ("nghị", "nghịi", EDIT_COST),  # a letter doubled
        ("nghị", "ngị", EDIT_COST),  # a letter dropped
        ("hội", "hội", 0.0),
        ("hội", "bội", NEIGHBOUR_COST),  # h and b touch on a QWERTY keyboard
        ("hội", "mội", EDIT_COST),  # h and m do not
        ("luận", "luânj", EDIT_COST + TONE_COST),
        ("tai", "tay", EDIT_COST),
    ],
)
def test_distance(a, b, cost):
    assert distance(a, b) == pytest.approx(cost)
    assert distance(b, a) == pytest.approx(cost)


def test_slip_order():
    """A tone slip costs less than a mark slip, which costs less than a letter slip."""
    assert TONE_COST < MARK_COST < EDIT_COST
    assert distance("kết", "kêt") < distance("kết", "két") < distance("kết", "kếtt")


SYLS = sorted(DF)


@given(st.sampled_from(SYLS), st.sampled_from(SYLS), st.sampled_from(SYLS))
def test_distance_is_a_metric_on_real_syllables(a, b, c):
    assert distance(a, a) == 0
    assert distance(a, b) == pytest.approx(distance(b, a))
    assert distance(a, c) <= distance(a, b) + distance(b, c) + 1e-9
    assert letter_distance(a, b) <= distance(a, b) + 1e-9


def test_max_cost_by_length():
    assert max_cost("đi") == pytest.approx(TONE_COST + MARK_COST)  # no letter edit
    assert max_cost("ở") < EDIT_COST
    assert max_cost("hội") == max_cost("đảng") == EDIT_COST
    assert max_cost("người") == pytest.approx(EDIT_COST + MARK_COST + TONE_COST)
    assert max_cost("nghiêng") == max_cost("người")


# --- suggestions -----------------------------------------------------------------------------


def test_missing_horns_need_no_suggestion():
    """A missing horn is normalisation's job (searcher.variants), for documents and queries alike."""
    from searcher.normalise import norm_syllable

    assert norm_syllable("nguời") == "người" and norm_syllable("đuờng") == "đường"


@pytest.mark.parametrize(
    "typed, best",
    [
        ("chíhn", "chính"),  # swapped letters
        ("đảgn", "đảng"),
        ("nghịi", "nghị"),  # doubled letter
        ("hôi", "hội"),  # missing tone
        ("kêt", "kết"),
        ("chỉnhh", "chỉnh"),
        ("bươc", "bước"),
        ("chinhs", "chính"),  # typed without diacritics, one letter extra
        ("dangr", "đảng"),  # ... most frequent of the equally near
        ("ddang", "đảng"),
    ],
)
def test_suggest_finds_the_intended_syllable(index, typed, best):
    got = index.suggest(typed)
    assert got, typed
    assert got[0][0] == best, got
    assert got[0][2] == DF[best]


def test_suggest_ranks_by_cost_then_frequency(index):
    got = index.suggest("chinh", limit=10)
    costs = [c for _, c, _ in got]
    assert costs == sorted(costs)
    assert [s for s, _, _ in got][:2] == ["chính", "chỉnh"]  # cost 0 (letters only), then by df
    assert all(df >= 1 for _, _, df in got)


def test_suggest_never_returns_the_input(index):
    assert all(s != "hội" for s, _, _ in index.suggest("hội", limit=10))


def test_short_syllables_get_no_letter_edits(index):
    """Two letters: only tone and mark slips ("đỉ" → "đi"; "dó" is not "đã")."""
    assert [s for s, _, _ in index.suggest("đỉ")] == ["đi"]
    assert all(split_syllable(s)[0] == "do" for s, _, _ in index.suggest("dó", limit=10))
    assert [s for s, _, _ in index.suggest("đo")] == []  # "đi", "đó" are a letter away
    assert index.suggest("lo") == []  # typed plainly: no letter edit, and nothing else is a slip
    assert [s for s, _, _ in index.suggest("ddi")][:1] == ["đi"]  # three letters: one edit


def test_numbers_never_become_other_numbers(index):
    assert "2022" in DF and "2023" in DF
    assert index.suggest("2021") == []
    assert index.suggest("2022") == []
    assert index.suggest("48O") == []  # a digit inside: no candidates either
    assert all(not s.isdigit() for key in ("năm", "nam") for s, _, _ in index.suggest(key, 10))


def test_suggest_respects_the_bound(index):
    for typed in ["nguời", "chíhn", "hôi", "tổchc", "xyz", "kinhh", "đảngg"]:
        for s, cost, _ in index.suggest(typed, limit=10):
            assert cost <= max_cost(norm_syllable(typed)) + 1e-9
            assert cost == pytest.approx(distance(norm_syllable(typed), s))


def test_nothing_near(index):
    assert index.suggest("xyzw") == []
    assert index.suggest("") == []
    assert index.suggest("hội", limit=0) == []


def test_from_vocabulary_forms(index):
    """Built from a vocabulary's folded groups (Vocabulary.syl_forms), it answers alike."""
    from searcher.vocab import Vocabulary

    groups: dict[str, list[tuple[str, int]]] = {}
    for syl, df in DF.items():
        groups.setdefault(split_syllable(syl)[0], []).append((syl, df))
    voc = Vocabulary(syl_forms=groups)
    other = SpellIndex.from_forms(voc.syl_forms)
    assert len(other) == len(index) == sum(1 for s in DF if s.isalpha())
    for typed in ["nguời", "chíhn", "đảgn", "hôi", "chinhs", "2021", "đỉ"]:
        assert other.suggest(typed, 5) == index.suggest(typed, 5)


def test_near_is_one_letter_away_whatever_the_tone():
    idx = SpellIndex([("phải", 50), ("hai", 40), ("hại", 30), ("và", 90), ("vì", 20), ("người", 60), ("21", 9)])
    near = [s for s, _, _ in idx.near("hải")]
    assert {"phải", "hai", "hại"} <= set(near)
    assert "hải" not in near and "người" not in near  # never itself; nothing two letters away
    assert near.index("hai") < near.index("phải")  # same letters first (cost), then frequency
    assert [s for s, _, _ in idx.near("v")] == ["và", "vì"]  # a lone letter gets its two-letter words
    assert idx.near("12") == []  # a number is never another number
