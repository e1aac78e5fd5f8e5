"""Tests for searcher.normalise, with real strings from the seed bulletins.

Each rule is shown on the spelling the seeds actually use: ``hiệu qủa`` (000),
``khoá``/``uỷ`` (001), ``Uỷ viên`` (004), ``Ðảng`` with U+00D0 (003's title),
lines that start with a no-break space (000, 003).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from searcher.normalise import (
    SYLLABLE_RE,
    canonical_tone,
    clean_text,
    fix_lookalikes,
    fix_spaces,
    fold,
    has_diacritics,
    nfc,
    norm_syllable,
    syllables,
    unescape_entities,
)

NBSP = "\u00a0"
ETH = "\u00d0"  # Ð, the Icelandic capital eth the portal uses for Đ
D_STROKE = "\u0110"  # Đ


def seed_lines(corpus_dir: Path, prefix: str) -> list[str]:
    (path,) = sorted(corpus_dir.glob(f"{prefix}_*.txt"))
    return path.read_text(encoding="utf-8").splitlines()


def seed_line(corpus_dir: Path, prefix: str, needle: str) -> str:
    """The first line of seed ``prefix`` that contains ``needle``."""
    for line in seed_lines(corpus_dir, prefix):
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not in seed {prefix}")


# --- display layer: NFC ----------------------------------------------------------


def test_nfd_seed_sentence_comes_back_as_the_nfc_seed_text(corpus_dir):
    line = seed_line(corpus_dir, "004", "Trương Thị Mai")
    assert unicodedata.is_normalized("NFC", line)
    decomposed = unicodedata.normalize("NFD", line)
    assert decomposed != line and len(decomposed) > len(line)
    assert clean_text(decomposed) == line.replace(NBSP, " ")
    assert nfc(decomposed) == line


def test_mixed_nfd_nfc_text_is_made_nfc(corpus_dir):
    line = seed_line(corpus_dir, "000", "hiệu qủa")
    half = len(line) // 2
    mixed = line[:half] + unicodedata.normalize("NFD", line[half:])
    assert clean_text(mixed) == clean_text(line)


# --- display layer: look-alike letters ---------------------------------------------


def test_seed_003_title_eth_becomes_d_with_stroke(corpus_dir):
    title = seed_lines(corpus_dir, "003")[0]
    assert title.endswith(f"xây dựng {ETH}ảng")  # the raw file really has U+00D0
    cleaned = clean_text(title)
    assert cleaned == "Làm tốt việc quán triệt, triển khai các văn bản mới về công tác tổ chức xây dựng \u0110ảng"
    assert ETH not in cleaned and D_STROKE in cleaned
    assert len(cleaned) == len(title)


@pytest.mark.parametrize(
    "raw, want",
    [
        (f"{ETH}ảng viên", "Đảng viên"),
        ("\u00f0ảng viên", "đảng viên"),  # ð small eth
        ("\u0189ảng viên", "Đảng viên"),  # Ɖ African D
        ("\u0256ảng viên", "đảng viên"),  # ɖ
        ("Đảng viên", "Đảng viên"),  # the right letter stays
    ],
)
def test_lookalike_d_letters(raw, want):
    assert fix_lookalikes(raw) == want
    assert clean_text(raw) == want


def test_eth_folds_and_normalises_like_d_stroke():
    assert norm_syllable(f"{ETH}ảng") == norm_syllable("Đảng") == "đảng"
    assert fold(f"{ETH}ảng") == fold("\u00f0ảng") == "dang"


# --- display layer: spaces ----------------------------------------------------------


def test_seed_000_portal_line_starts_with_nbsp_and_loses_it(corpus_dir):
    line = seed_line(corpus_dir, "000", NBSP + "PublishingPortal")
    assert line.startswith(NBSP + "PublishingPortal")
    assert clean_text(line) == " PublishingPortal - Block_BanTin_ViewData"


def test_seed_003_lead_nbsp_becomes_a_plain_space(corpus_dir):
    line = seed_line(corpus_dir, "003", "Trong quý I-2022")
    assert line.startswith(NBSP + "Trong quý I-2022")
    cleaned = clean_text(line)
    assert cleaned.startswith(" Trong quý I-2022, trước bối cảnh")
    assert NBSP not in cleaned
    assert len(cleaned) == len(line)  # a space for a space: offsets do not move


@pytest.mark.parametrize("space", ["\u00a0", "\u2002", "\u2003", "\u2009", "\u202f", "\u3000"])
def test_wide_spaces_become_plain_spaces(space):
    assert fix_spaces(f"Kết luận{space}21") == "Kết luận 21"


@pytest.mark.parametrize("zw", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_zero_width_characters_are_removed(zw):
    text = f"Trương Thị{zw} Mai, Ủy{zw} viên Bộ Chính trị"
    assert clean_text(text) == "Trương Thị Mai, Ủy viên Bộ Chính trị"


def test_clean_text_keeps_the_writers_spelling(corpus_dir):
    line = seed_line(corpus_dir, "000", "hiệu qủa")
    cleaned = clean_text(line)
    assert "hiệu qủa" in cleaned  # the display layer does not fix misplaced tones
    assert "nang cao" in cleaned  # nor missing diacritics


def test_clean_text_of_every_seed_line_keeps_length_without_zero_width(corpus_dir, seed_ids):
    for prefix in seed_ids:
        for line in seed_lines(corpus_dir, prefix):
            assert len(clean_text(line)) == len(line), (prefix, line[:40])


def test_clean_text_is_idempotent_on_every_seed(corpus_dir, seed_ids):
    for prefix in seed_ids:
        raw = "\n".join(seed_lines(corpus_dir, prefix))
        once = clean_text(raw)
        assert clean_text(once) == once
        assert clean_text(unicodedata.normalize("NFD", raw)) == once


# --- token layer: canonical tone placement -------------------------------------------


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("qủa", "quả"),  # seed 000 "hiệu qủa": tone on the u of qu-
        ("quả", "quả"),
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("khoá", "khóa"),  # seed 001 "Quốc hội khoá XIV"
        ("khóa", "khóa"),  # seed 003 "khóa XIII"
        ("uỷ", "ủy"),  # seed 001 "Tỉnh uỷ"
        ("Uỷ", "ủy"),  # seed 004 "Uỷ viên Bộ Chính trị"
        ("Ủy", "ủy"),
        ("thuỷ", "thủy"),
        ("thủy", "thủy"),
        ("hoạ", "họa"),
        ("khoẻ", "khỏe"),
        ("muà", "mùa"),
        ("taì", "tài"),
        ("thuý", "thúy"),
    ],
)
def test_open_syllable_tone_placement(written, canonical):
    assert norm_syllable(written) == canonical


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("quý", "quý"),  # seed 003 "quý I"
        ("qúy", "quý"),
        ("quỳnh", "quỳnh"),
        ("qùynh", "quỳnh"),
        ("giường", "giường"),
        ("gìn", "gìn"),
        ("giạ", "giạ"),
        ("gịa", "giạ"),
    ],
)
def test_qu_and_gi_clusters(written, canonical):
    assert norm_syllable(written) == canonical


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("hoàng", "hoàng"),  # seed 001 "Hoàng Duy Chinh"
        ("hòang", "hoàng"),
        ("Hoàng", "hoàng"),
        ("toán", "toán"),
        ("tóan", "toán"),
        ("hoàn", "hoàn"),
        ("hòan", "hoàn"),
    ],
)
def test_closed_syllables_take_the_tone_on_the_last_vowel(written, canonical):
    assert norm_syllable(written) == canonical


@pytest.mark.parametrize(
    "written, canonical",
    [("người", "người"), ("thuở", "thuở"), ("thủơ", "thuở"), ("Trương", "trương"), ("Thưởng", "thưởng")],
)
def test_uo_horn_clusters(written, canonical):
    assert norm_syllable(written) == canonical


def test_words_without_tone_or_not_vietnamese_are_unchanged():
    for word in ("xiii", "covid", "21", "bantin", "xdđ"):
        assert canonical_tone(word) == word
    assert norm_syllable("XIII") == "xiii"
    assert norm_syllable("COVID") == "covid"


def test_two_tone_marks_are_left_alone():
    odd = unicodedata.normalize("NFC", "ha\u0301\u0300")  # two tones: not Vietnamese
    assert canonical_tone(odd) == odd


def test_norm_syllable_applies_the_display_layer():
    assert norm_syllable(f"{ETH}ẢNG") == "đảng"
    assert norm_syllable(unicodedata.normalize("NFD", "Uỷ")) == "ủy"


def test_seed_spellings_meet_their_canonical_twins(corpus_dir):
    """Every syllable of seed 001 (uỷ, khoá) and 004 (Uỷ) has the same indexed form
    as its modern spelling."""
    text = clean_text("\n".join(seed_lines(corpus_dir, "001") + seed_lines(corpus_dir, "004")))
    found = {s for s, _, _ in syllables(text) if s.lower() in ("uỷ", "khoá")}
    assert found >= {"uỷ", "khoá", "Uỷ"}
    for s in found:
        assert norm_syllable(s) in ("ủy", "khóa")


# --- token layer: fold -----------------------------------------------------------------


@pytest.mark.parametrize(
    "word, folded",
    [
        ("Đảng", "dang"),
        ("đ", "d"),
        ("Đ", "d"),
        ("Trương", "truong"),
        ("ư", "u"),
        ("ơ", "o"),
        ("ă", "a"),
        ("â", "a"),
        ("ê", "e"),
        ("ô", "o"),
        ("Kết", "ket"),
        ("luận", "luan"),
        ("XDĐ", "xdd"),
    ],
)
def test_fold_strips_every_diacritic(word, folded):
    assert fold(word) == folded


@pytest.mark.parametrize("tone", ["\u0300", "\u0301", "\u0309", "\u0303", "\u0323"])
@pytest.mark.parametrize("base", ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"])
def test_fold_removes_each_tone_from_each_vowel(base, tone):
    letter = unicodedata.normalize("NFC", base + tone)
    assert len(letter) == 1
    assert fold(letter) == fold(base) == unicodedata.normalize("NFD", base)[0]
    assert fold(letter.upper()) == fold(base)


def test_fold_keeps_length_on_nfc_seed_text(corpus_dir, seed_ids):
    for prefix in seed_ids:
        text = clean_text("\n".join(seed_lines(corpus_dir, prefix)))
        folded = fold(text)
        assert len(folded) == len(text)
        assert folded.isascii() or not any(has_diacritics(c) for c in folded)


def test_fold_of_misplaced_and_canonical_tones_agree():
    for a, b in [("qủa", "quả"), ("hoà", "hòa"), ("khoá", "khóa"), ("uỷ", "ủy"), ("thuỷ", "thủy")]:
        assert fold(a) == fold(b)


def test_has_diacritics():
    assert has_diacritics("Kết luận 21")
    assert has_diacritics("đ")
    assert has_diacritics(f"{ETH}ang")
    assert not has_diacritics("ket luan 21")
    assert not has_diacritics("KL 21-KL/TW")


# --- idempotence and syllables -------------------------------------------------------


@pytest.mark.parametrize("word", ["qủa", "hoà", "Uỷ", "thuỷ", "ĐẢNG", "giường", "người", "hòang"])
def test_token_functions_are_idempotent(word):
    n = norm_syllable(word)
    assert norm_syllable(n) == n
    assert canonical_tone(n) == n
    f = fold(word)
    assert fold(f) == f
    assert fold(n) == f


def test_syllables_give_exact_offsets_into_a_seed_sentence(corpus_dir):
    line = clean_text(seed_line(corpus_dir, "000", "hiệu qủa"))
    out = list(syllables(line))
    assert out
    for syl, start, end in out:
        assert line[start:end] == syl
        assert SYLLABLE_RE.fullmatch(syl)
    words = [s for s, _, _ in out]
    i = words.index("qủa")
    assert words[i - 1] == "hiệu"


def test_syllables_split_on_punctuation_and_keep_digits():
    text = "Kết luận số 21-KL/TW ngày 3-12-2021"
    assert [s for s, _, _ in syllables(text)] == ["Kết", "luận", "số", "21", "KL", "TW", "ngày", "3", "12", "2021"]
    assert [s for s, _, _ in syllables("snake_case")] == ["snake", "case"]


# --- HTML character references (VNTC bodies carry ~2,400 of them) --------------------------


@pytest.mark.parametrize(
    "raw, want",
    [
        ("Bộ GD&amp;ĐT công bố", "Bộ GD&ĐT công bố"),
        ("&gt;&gt; Xem thêm: Hà Nội", ">> Xem thêm: Hà Nội"),
        ("nhiệt độ &lt; 10 độ", "nhiệt độ < 10 độ"),
        ("&#193;o dài", "Áo dài"),
        ("&#xC1;o dài", "Áo dài"),
        ("Coca-Cola&reg; và Pepsi&trade;", "Coca-Cola® và Pepsi™"),
        ("R&D, AT&T, Q&A", "R&D, AT&T, Q&A"),  # no reference: left alone
        ("&amp lẻ loi, &unknownname; và &;", "&amp lẻ loi, &unknownname; và &;"),
        ("không có ký tự và", "không có ký tự và"),
    ],
)
def test_unescape_entities(raw, want):
    assert unescape_entities(raw) == want


def test_unescaped_nbsp_becomes_a_space_in_the_display_layer():
    assert clean_text(unescape_entities("Hà&nbsp;Nội")) == "Hà Nội"
