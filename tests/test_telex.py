"""Raw Telex and VNI input (searcher.telex), on real Vietnamese."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searcher.normalise import SYLLABLE_RE, norm_syllable
from searcher.telex import (
    decode_candidates,
    decode_telex,
    decode_vni,
    encode_telex,
    encode_vni,
)

BULLETIN = (
    "Đồng chí Tổng Bí thư nhấn mạnh: toàn Đảng phải kiên quyết, kiên trì đấu tranh phòng, "
    "chống tham nhũng, tiêu cực; xây dựng đội ngũ cán bộ đủ phẩm chất, năng lực, uy tín. "
    "Người đứng đầu cấp ủy chịu trách nhiệm trước Ban Chấp hành về kết quả thực hiện nghị "
    "quyết. Thuở ấy, những con đường làng quê hương còn lầy lội; khuya về, rượu nhạt, gió "
    "lạnh, khuấy động, khuỷu tay, quỳnh, quýt, xoong nồi, giữ gìn, nguyện vọng, thuyền, ngoằn "
    "ngoèo, huơ tay, quở trách, thưởng, ưu tiên, ươm mầm, yêu nước, ý kiến, oẳn tù tì."
)
SYLLABLES = sorted({norm_syllable(s) for s in SYLLABLE_RE.findall(BULLETIN)})


@pytest.mark.parametrize(
    "typed, syllable",
    [
        ("tieens", "tiến"), ("tieesn", "tiến"), ("Ddangr", "đảng"), ("luaanj", "luận"),
        ("xuoongs", "xuống"), ("sutj", "sụt"), ("luns", "lún"), ("dduowngf", "đường"),
        ("nguwowif", "người"), ("nguoiwf", "người"), ("duongw", "dương"), ("nhw", "như"),
        ("quoocs", "quốc"), ("gif", "gì"), ("giuwx", "giữ"), ("thuowr", "thuở"),
        ("ruowuj", "rượu"), ("khuaays", "khuấy"), ("khuyur", "khuỷu"), ("xooong", "xoong"),
        ("xoong", "xông"), ("DDAWNGR", "đẳng"), ("chinhs", "chính"), ("trij", "trị"),
        ("ddawng", "đăng"), ("ddaw", None), ("bawts", "bắt"), ("hoaf", "hòa"), ("quaf", "quà"), ("z", None),
    ],
)
def test_decode_telex(typed, syllable):
    assert decode_telex(typed) == syllable


@pytest.mark.parametrize(
    "typed", ["tatf", "tieenss", "bw w", "tiếng", "kl21", "", "hoha", "wto", "fax", "ddd"]
)
def test_decode_telex_rejects(typed):
    """Two tone keys, a stop final with huyền, non-ASCII, digits, not Vietnamese."""
    assert decode_telex(typed) is None


@pytest.mark.parametrize(
    "typed, syllable",
    [
        ("lua65n", "luận"), ("lun1", "lún"), ("xuo6ng1", "xuống"), ("d9a3ng", "đảng"),
        ("luan65", "luận"), ("tie61n", "tiến"), ("tien61", "tiến"), ("ngu7o7i2", "người"),
        ("nguoi72", "người"), ("thuo73", "thuở"), ("quo7", "quơ"), ("D9ANG3", "đảng"),
        ("ba8t1", "bắt"), ("hoa2", "hòa"), ("d9i", "đi"),
    ],
)
def test_decode_vni(typed, syllable):
    assert decode_vni(typed) == syllable


@pytest.mark.parametrize("typed", ["a1", "u2", "b52", "u23", "2021", "tie11n", "ta2t", "ban0", "g9"])
def test_decode_vni_rejects(typed):
    """Codes (A1, U23, B52) and numbers are not VNI; nor two tones or a stray mark."""
    assert decode_vni(typed) is None


def test_candidates():
    assert decode_candidates("tieens") == ["tiến"]
    assert decode_candidates("lua65n") == ["luận"]
    assert decode_candidates("ban") == []  # typed as it is: nothing to decode
    assert decode_candidates("2021") == []
    assert decode_candidates("xoong") == ["xông"]  # only a candidate: the caller checks the vocabulary
    assert decode_candidates("tiến") == []


@pytest.mark.parametrize("tone_last", [True, False])
def test_telex_round_trip(tone_last):
    for s in SYLLABLES:
        typed = encode_telex(s, tone_last=tone_last)
        assert typed.isascii(), (s, typed)
        assert decode_telex(typed) == s, (s, typed)


@pytest.mark.parametrize("tone_last", [True, False])
def test_vni_round_trip(tone_last):
    for s in SYLLABLES:
        typed = encode_vni(s, tone_last=tone_last)
        assert typed.isascii(), (s, typed)
        if sum(c.isalpha() for c in typed) >= 2:  # "ý" → "y1" is a code, not VNI
            assert decode_vni(typed) == s, (s, typed)


def test_encode_whole_text():
    assert encode_telex("Đảng viên, người lao động") == "DDangr vieen, nguowif lao ddoongj"
    assert encode_telex("Đảng viên", tone_last=False) == "DDarng vieen"
    assert encode_vni("Đảng viên, người lao động") == "D9ang3 vie6n, ngu7o7i2 lao d9o6ng5"
    assert encode_vni("luận", tone_last=False) == "lua65n"
    # numbers, codes and foreign words are left as they are
    assert encode_telex("Nghị quyết 18-NQ/TW năm 2017 về WTO") == (
        "Nghij quyeets 18-NQ/TW nawm 2017 veef WTO"
    )


@given(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=5))
def test_query_round_trip(words):
    """A whole query encoded, then decoded syllable by syllable, is the query."""
    for encode, decode in ((encode_telex, decode_telex), (encode_vni, decode_vni)):
        typed = encode(" ".join(words)).split()
        assert len(typed) == len(words)
        for t, w in zip(typed, words):
            if decode is decode_vni and sum(c.isalpha() for c in t) < 2:
                continue  # "ý" → "y1": read as a code, not VNI
            assert decode(t) == norm_syllable(w), (t, w)
