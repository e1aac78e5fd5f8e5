"""Party and State abbreviations (searcher.abbreviations): the shipped table and archive files."""

from __future__ import annotations

from pathlib import Path

import pytest

from searcher.abbreviations import abbreviation_key, load_table
from searcher.normalise import SYLLABLE_RE, fold
from searcher.variants import is_syllable

SHIPPED = Path(__file__).resolve().parents[1] / "searcher" / "data" / "abbreviations.txt"


@pytest.fixture(scope="module")
def table():
    return load_table()


def test_shipped_table_is_clean(table):
    assert table.warnings == []
    assert len(table) >= 100


@pytest.mark.parametrize(
    "abbr, full",
    [
        ("BCH", "Ban Chấp hành"), ("BCHTW", "Ban Chấp hành Trung ương"), ("BCT", "Bộ Chính trị"),
        ("BBT", "Ban Bí thư"), ("TW", "Trung ương"), ("UBND", "Ủy ban nhân dân"),
        ("HĐND", "Hội đồng nhân dân"), ("MTTQ", "Mặt trận Tổ quốc"), ("UBKT", "Ủy ban Kiểm tra"),
        ("XDĐ", "xây dựng Đảng"), ("ĐBQH", "đại biểu Quốc hội"),
        ("TTXVN", "Thông tấn xã Việt Nam"), ("CNXH", "chủ nghĩa xã hội"),
        ("CNH-HĐH", "công nghiệp hóa, hiện đại hóa"), ("BHXH", "bảo hiểm xã hội"),
        ("BHYT", "bảo hiểm y tế"), ("QĐND", "Quân đội nhân dân"), ("CAND", "Công an nhân dân"),
        ("UBTVQH", "Ủy ban Thường vụ Quốc hội"), ("TAND", "Tòa án nhân dân"),
        ("VKSND", "Viện kiểm sát nhân dân"), ("KT-XH", "kinh tế - xã hội"),
        ("QP-AN", "quốc phòng - an ninh"), ("ANQP", "an ninh - quốc phòng"),
        ("HTCT", "hệ thống chính trị"), ("TCCS", "tổ chức cơ sở"), ("ĐTN", "Đoàn Thanh niên"),
        ("HLHPN", "Hội Liên hiệp Phụ nữ"), ("CCB", "cựu chiến binh"),
        ("MTTQVN", "Mặt trận Tổ quốc Việt Nam"),
    ],
)
def test_party_sense_first(table, abbr, full):
    assert table.expand(abbr)[0] == full


def test_bbt_is_the_secretariat(table):
    assert table.expand("BBT") == ["Ban Bí thư"]  # never "Ban biên tập" in this table


def test_several_senses_in_order(table):
    assert table.expand("BCH") == ["Ban Chấp hành", "Bộ Chỉ huy"]
    assert table.expand("BTC") == ["Ban Tổ chức", "Bộ Tài chính"]


@pytest.mark.parametrize("typed", ["XDĐ", "xdđ", "xdd", "XDD", "XDđ"])
def test_abbreviation_case_and_d_insensitive(table, typed):
    assert table.expand(typed) == ["xây dựng Đảng"]


@pytest.mark.parametrize("typed", ["CNH-HĐH", "CNHHĐH", "cnh-hdh", "cnhhdh", "CNH - HĐH"])
def test_abbreviation_punctuation_insensitive(table, typed):
    assert table.expand(typed) == ["công nghiệp hóa, hiện đại hóa"]


def test_unknown(table):
    assert table.expand("XYZW") == []
    assert table.expand("") == []


@pytest.mark.parametrize(
    "run, abbr",
    [
        ("Bộ Chính trị", "BCT"), ("bộ chính trị", "BCT"), ("bo chinh tri", "BCT"),
        ("BỘ CHÍNH TRỊ", "BCT"), ("bộ chinh trị", "BCT"),  # each syllable on its own terms
        ("uỷ ban nhân dân", "UBND"), ("Ủy ban nhân dân", "UBND"), ("uy ban nhan dan", "UBND"),
        ("công nghiệp hóa hiện đại hóa", "CNH-HĐH"), ("cong nghiep hoa, hien dai hoa", "CNH-HĐH"),
        ("Ban Bí thư", "BBT"), ("xay dung dang", "XDĐ"),
    ],
)
def test_abbreviate(table, run, abbr):
    assert abbr in table.abbreviate(SYLLABLE_RE.findall(run))


@pytest.mark.parametrize("run", ["bổ chính trị", "bộ chính", "Bộ Chính trị Trung", "bán bí thư"])
def test_abbreviate_needs_the_exact_run(table, run):
    assert "BCT" not in table.abbreviate(SYLLABLE_RE.findall(run))
    assert "BBT" not in table.abbreviate(SYLLABLE_RE.findall(run))


def test_find_runs_in_a_sentence(table):
    syls = SYLLABLE_RE.findall("Đồng chí Tổng Bí thư làm việc với Ban Thường vụ Tỉnh ủy và Ủy ban nhân dân tỉnh")
    found = table.find(syls)
    assert (2, 5, "TBT") in found
    assert (8, 13, "BTVTU") in found and (8, 11, "BTV") in found
    assert (14, 18, "UBND") in found


def test_no_abbreviation_reads_as_a_syllable():
    """A query "tu" or "ca" must never be read as Tỉnh ủy or công an."""
    for line in SHIPPED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            abbr = line.split("=", 1)[0].strip()
            assert not is_syllable(fold(abbr)), abbr
            assert not is_syllable(abbreviation_key(abbr)), abbr


def test_archive_file_adds_senses_and_reports_bad_lines(tmp_path):
    extra = tmp_path / "abbreviations.txt"
    extra.write_text(
        "# the archive's own\n"
        "BTGTU = Ban Tuyên giáo Tỉnh ủy\n"
        "BCT = Bộ Chính trị   # already shipped: kept once\n"
        "BCH = Ban Chỉ huy\n"
        "this line has no equals sign\n"
        "= Ban Chấp hành\n"
        "BCHX =\n"
        "TU = Tỉnh ủy\n"
        "B C = Bộ Công\n"
        "BTV = Ban\n"
        "\n",
        encoding="utf-8",
    )
    table = load_table(extra)
    assert table.expand("BTGTU") == ["Ban Tuyên giáo Tỉnh ủy"]
    assert table.expand("BCT") == ["Bộ Chính trị"]
    assert table.expand("BCH") == ["Ban Chấp hành", "Bộ Chỉ huy", "Ban Chỉ huy"]
    where = [w.split(": ", 1)[0] for w in table.warnings]
    assert where == [f"{extra}:{n}" for n in (5, 6, 7, 8, 9, 10)]
    assert "no '='" in table.warnings[0]
    assert "syllable" in table.warnings[3]
    assert table.expand("TU") == []
    assert load_table().expand("BTGTU") == []  # the shipped table is left as it was


def test_archive_file_missing_or_not_utf8(tmp_path):
    missing = load_table(tmp_path / "nope.txt")
    assert len(missing) == len(load_table()) and missing.warnings == [f"{tmp_path / 'nope.txt'}: no such file"]
    latin = tmp_path / "latin.txt"
    latin.write_bytes("BCT = Bộ Chính trị\n".encode("utf-16"))
    table = load_table(latin)
    assert len(table.warnings) == 1 and "not UTF-8" in table.warnings[0]
    assert table.expand("BCT") == ["Bộ Chính trị"]
