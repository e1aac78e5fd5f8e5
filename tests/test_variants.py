"""Spelling variants folded into one form (searcher.variants), on real Vietnamese."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searcher.normalise import SYLLABLE_RE, norm_syllable
from searcher.variants import (
    canonical_i_y,
    canonical_variant,
    is_syllable,
    merge_doubled_tone,
    restore_horn,
)

BULLETIN = (
    "Sáng 15-3, Ban Thường vụ Tỉnh ủy tổ chức hội nghị quán triệt, triển khai thực hiện "
    "Nghị quyết của Bộ Chính trị về công tác xây dựng Đảng. Đồng chí Bí thư Tỉnh ủy yêu cầu "
    "các cấp ủy, tổ chức đảng nâng cao chất lượng sinh hoạt chi bộ, kỷ luật, kỷ cương; tăng "
    "cường kiểm tra, giám sát; quản lý chặt chẽ đội ngũ cán bộ, đảng viên, nhất là người đứng "
    "đầu. Công ty cổ phần Kỹ thuật Mỹ Lý được khen thưởng vì đã vượt qua khó khăn, bảo đảm "
    "việc làm cho người lao động. Quy định mới khuyến khích thanh niên xung phong tình nguyện "
    "đến vùng sâu, vùng xa; khuya nay, gió giật mạnh, hãy giữ gìn sức khỏe. Thuở ấy, quê "
    "hương còn nghèo; xoong nồi, quýt, quỳnh, khuỷu tay, chuyện, giếng, nghiêng, ngoằn ngoèo."
)


def _syllables(text: str) -> list[str]:
    return [norm_syllable(s) for s in SYLLABLE_RE.findall(text) if s.isalpha()]


def _norm(text: str) -> list[str]:
    """What the index would hold: normalised, then variant-normalised syllables."""
    return [canonical_variant(s) for s in _syllables(text)]


# --- i / y ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "one, other",
    [
        ("lí", "lý"), ("kĩ", "kỹ"), ("mĩ", "mỹ"), ("ti", "ty"), ("tỉ", "tỷ"), ("kì", "kỳ"),
        ("hi", "hy"), ("quí", "quý"), ("qui", "quy"), ("quĩ", "quỹ"), ("sĩ", "sỹ"),
        ("vi", "vy"), ("thi", "thy"), ("xi", "xy"), ("bi", "by"),
    ],
)
def test_i_y_variants_meet(one, other):
    assert canonical_variant(norm_syllable(one)) == canonical_variant(norm_syllable(other))


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("lí", "lý"), ("kĩ", "kỹ"), ("mĩ", "mỹ"), ("ti", "ty"), ("hi", "hy"),
        ("quí", "quý"), ("qui", "quy"),  # y after h k l m t qu
        ("sỹ", "sĩ"), ("vy", "vi"), ("thy", "thi"), ("dỹ", "dĩ"), ("nhỹ", "nhĩ"),  # i elsewhere
    ],
)
def test_i_y_canonical_form(written, canonical):
    assert canonical_variant(written) == canonical


def test_i_y_phrases_meet():
    assert _norm("công ti, quản lí, kĩ thuật, nước Mĩ, qui định, quí vị, nghệ sỹ") == _norm(
        "công ty, quản lý, kỹ thuật, nước Mỹ, quy định, quý vị, nghệ sĩ"
    )


@pytest.mark.parametrize(
    "a, b",
    [("tai", "tay"), ("hai", "hay"), ("mai", "may"), ("thùy", "thùi"), ("tui", "tuy"),
     ("ai", "ay"), ("cái", "cáy"), ("tôi", "tơi"), ("thủy", "thủi")],
)
def test_different_rhymes_never_merge(a, b):
    assert canonical_variant(a) == a
    assert canonical_variant(b) == b


@pytest.mark.parametrize("s", ["y", "ý", "ỷ", "í", "gì", "ghi", "khi", "đi", "chị", "nghĩ"])
def test_i_y_left_alone(s):
    """No onset (y tế, ý kiến), or an onset that is never written with y."""
    assert canonical_i_y(s) == s


# --- the horn of ươ ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typo, right",
    [
        ("buớc", "bước"), ("thuơng", "thương"), ("nguời", "người"), ("đuờng", "đường"),
        ("đuợc", "được"), ("truởng", "trưởng"), ("ruợu", "rượu"), ("tuơi", "tươi"),
        ("ngừoi", "người"), ("đựoc", "được"), ("phưong", "phương"), ("trứoc", "trước"),
    ],
)
def test_missing_horn_restored(typo, right):
    assert canonical_variant(norm_syllable(typo)) == right
    assert restore_horn(norm_syllable(typo)) == right


@pytest.mark.parametrize("s", ["thuở", "huơ", "thuơ", "quơ", "quở", "quờ", "quới", "khuơ"])
def test_real_uo_syllables_kept(s):
    assert canonical_variant(s) == s


def test_horn_in_a_sentence():
    typed = "Nguời lao động buớc vào năm mới, đuờng về quê huơng còn xa, thuở ấy thuơng lắm"
    right = "Người lao động bước vào năm mới, đường về quê hương còn xa, thuở ấy thương lắm"
    assert _norm(typed) == _norm(right)


# --- doubled tones ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typo, right",
    [("tíếng", "tiếng"), ("dàì", "dài"), ("đựợc", "được"), ("thụỵ", "thụy"),
     ("vậỵ", "vậy"), ("ngụỵ", "ngụy"), ("chuỵện", "chuyện"), ("hóá", "hóa")],
)
def test_same_tone_twice_merged(typo, right):
    assert canonical_variant(typo) == right
    assert merge_doubled_tone(typo) == right


@pytest.mark.parametrize("s", ["trựờng", "củãa", "hiệuquả", "họhạ", "đãbị", "bấmvào"])
def test_two_tones_left_alone(s):
    """Two different tones (which one was meant?) or two syllables run together."""
    assert canonical_variant(s) == s


def test_sentence_with_doubled_tones():
    assert _norm("Tíếng nói của đảng viên đựợc lắng nghe dàì lâu") == _norm(
        "Tiếng nói của đảng viên được lắng nghe dài lâu"
    )


# --- everything else ----------------------------------------------------------------


def test_correct_text_unchanged():
    """A correctly spelled bulletin (in the canonical i/y style) does not change."""
    syls = _syllables(BULLETIN)
    changed = {s: canonical_variant(s) for s in syls if canonical_variant(s) != s}
    assert changed == {}


@pytest.mark.parametrize("s", ["2021", "wto", "sky", "covid19", "ảrập", "hlv", ""])
def test_non_syllables_unchanged(s):
    assert canonical_variant(s) == s


@given(st.lists(st.sampled_from(_syllables(BULLETIN) + [
    "lí", "quí", "buớc", "ngừoi", "tíếng", "dàì", "trựờng", "thuở", "sỹ", "tai", "tay"]),
    min_size=1, max_size=6))
def test_idempotent(syls):
    for s in syls:
        once = canonical_variant(s)
        assert canonical_variant(once) == once
        assert norm_syllable(once) == once  # still lower-case, tone canonical


def test_every_bulletin_syllable_is_a_syllable():
    for s in _syllables(BULLETIN):
        assert is_syllable(s), s


@pytest.mark.parametrize(
    "s", ["tàt", "ge", "hoha", "wto", "bcht", "tiếngg", "ngì", "cyên", "iên", "tíếng", "ci"]
)
def test_not_syllables(s):
    assert not is_syllable(s)


def test_ki_is_a_syllable():
    assert is_syllable("kí") and is_syllable("kỹ") and is_syllable("kìa")
