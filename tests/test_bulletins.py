"""Tests for searcher.bulletins: reading the corpus and cleaning portal text.

The five seed bulletins in ``corpus/`` are raw portal text as it came; the
expected values below were read off those files by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import lzma
import shutil
from itertools import islice
from pathlib import Path

import pytest

from searcher.bulletins import Bulletin, iter_jsonl, parse_date, read_txt, scan_corpus
from searcher.errors import BadDocument, CorpusError

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT / "corpus"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

S000 = "000_1c6d7c9d19558e0d"
S001 = "001_f32d63e59ccfbbc4"
S002 = "002_dc85f83dfda5612a"
S003 = "003_f0e23452681d55ff"
S004 = "004_2162316529c2fb6e"
SEEDS = [S000, S001, S002, S003, S004]

EXPECTED = {
    S000: dict(
        title="Giao ban công tác tổ chức xây dựng \u0110ảng 13 tỉnh trung du, miền núi phía Bắc",
        date=dt.date(2022, 6, 30),
        author=None,
        source="dangcongsan.vn",
        lead="Chiều ngày 28/6/2022, tại thành phố Bắc Giang",
    ),
    S001: dict(
        title="Cụm Thi đua số 1 ngành tổ chức xây dựng \u0110ảng tổng kết công tác thi đua năm 2020",
        date=None,
        author="Duy Khánh",
        source=None,
        lead="Ngày 18/12, tại thành phố Bắc Kạn",
    ),
    S002: dict(
        title="Hội nghị triển khai công tác xây dựng \u0110ảng 6 tháng cuối năm 2024",
        date=None,
        author=None,
        source=None,
        lead="Ngày 14/6, tại huyện Ninh Hải",
    ),
    S003: dict(
        title="Làm tốt việc quán triệt, triển khai các văn bản mới về công tác tổ chức xây dựng \u0110ảng",
        date=dt.date(2022, 4, 5),
        author="PV",
        source=None,
        lead="Ban Tổ chức Trung ương vừa tổ chức hội nghị giao ban trực tuyến",
    ),
    S004: dict(
        title="Ngành Tổ chức xây dựng \u0110ảng cần tiếp tục thực hiện hiệu quả 10 nhóm nhiệm vụ, giải pháp",
        date=dt.date(2022, 12, 29),
        author="Linh Lan",
        source=None,
        lead="Đó là một trong những ý kiến chỉ đạo của đồng chí Võ Văn Thưởng",
    ),
}

BOILERPLATE = ["PublishingPortal", "Block_BanTin", "Tăng cỡ chữ", "Giảm cỡ chữ", "Xem thêm"]


def raw_text(seed: str) -> str:
    return (CORPUS / f"{seed}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seeds() -> dict[str, Bulletin]:
    if not all((CORPUS / f"{s}.txt").is_file() for s in SEEDS):
        pytest.skip("seed bulletins missing from corpus/")
    return {s: read_txt(CORPUS / f"{s}.txt", CORPUS) for s in SEEDS}


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is missing")
    return SHARED


def paragraphs(b: Bulletin) -> list[str]:
    return b.body.split("\n\n")


def bad_reason(path: Path, root: Path) -> str:
    with pytest.raises(BadDocument) as info:
        read_txt(path, root)
    assert info.value.path == path.relative_to(root).as_posix()
    assert "\n" not in info.value.reason and len(info.value.reason) < 100
    return info.value.reason


# --- the five seeds: metadata ---------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_metadata(seeds, seed):
    b, want = seeds[seed], EXPECTED[seed]
    assert b.title == want["title"]
    assert b.date == want["date"]
    assert b.author == want["author"]
    assert b.source == want["source"]
    assert b.url is None


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_body_starts_with_the_lead_not_metadata(seeds, seed):
    b = seeds[seed]
    assert b.body.startswith(EXPECTED[seed]["lead"])
    assert b.title not in b.body


def test_title_003_gets_real_d_with_stroke(seeds):
    assert "\u00d0ảng" in raw_text(S003).splitlines()[0]  # the raw file has Icelandic Ð
    assert seeds[S003].title.endswith("xây dựng \u0110ảng")
    assert "\u00d0" not in seeds[S003].title


def test_title_000_skips_toolbar_and_date_lines(seeds):
    raw_lines = raw_text(S000).splitlines()
    assert raw_lines[0].startswith("PublishingPortal") and raw_lines[2] == "30/06/2022"
    assert not seeds[S000].title.startswith(("PublishingPortal", "Tăng", "30/"))


# --- the five seeds: clean-up -----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_no_boilerplate_in_title_or_body(seeds, seed):
    b = seeds[seed]
    for junk in BOILERPLATE:
        assert junk not in b.title
        assert junk not in b.body


def test_seed_files_really_hold_the_boilerplate():
    assert "PublishingPortal - Block_BanTin_Toolbar" in raw_text(S000)
    assert "\u00a0PublishingPortal - Block_BanTin_ViewData" in raw_text(S000)
    assert "Tăng cỡ chữ Giảm cỡ chữ" in raw_text(S000)
    assert raw_text(S001).rstrip().endswith("Xem thêm")


@pytest.mark.parametrize("seed", SEEDS)
def test_no_nbsp_or_eth_left(seeds, seed):
    b = seeds[seed]
    for ch in ("\u00a0", "\u00d0", "\ufeff", "\r"):
        assert ch not in b.title and ch not in b.body


@pytest.mark.parametrize("seed", SEEDS)
def test_paragraphs_are_clean(seeds, seed):
    for p in paragraphs(seeds[seed]):
        assert p and p == p.strip()
        assert "\n" not in p
        assert any(ch.isalnum() for ch in p), f"lone punctuation paragraph {p!r}"


def test_003_trailing_punctuation_lines_and_author_gone(seeds):
    raw_lines = raw_text(S003).splitlines()
    assert raw_lines[-7:] == [",", ",", ".", ",", ",", ",", ","]
    body = seeds[S003].body
    assert body.endswith("Ban Chấp hành Trung ương khóa XII./.")
    assert "PV" not in paragraphs(seeds[S003])


def test_001_duplicate_lead_paragraph_kept_once(seeds):
    lead = "Ngày 18/12, tại thành phố Bắc Kạn, Cụm Thi đua số 1"
    assert raw_text(S001).count(lead) == 2
    assert seeds[S001].body.count(lead) == 1


def test_001_duplicate_captions_collapsed_to_longer_copy(seeds):
    raw, body = raw_text(S001), seeds[S001].body
    assert raw.count("Toàn cảnh hội nghị") == 2
    assert body.count("Toàn cảnh hội nghị") == 1
    assert "Toàn cảnh hội nghị." in paragraphs(seeds[S001])
    assert "ký giao thi đua" in raw
    assert "ký giao thi đua" not in body
    assert "Hội nghị đã thông qua và ký giao ước thi đua của Cụm thi đua số 1." in paragraphs(seeds[S001])


def test_004_duplicate_caption_collapsed(seeds):
    assert raw_text(S004).count("Điểm cầu Thái Nguyên.") == 2
    assert seeds[S004].body.count("Điểm cầu Thái Nguyên.") == 1


def test_metadata_lines_are_not_body(seeds):
    assert "30/06/2022" not in seeds[S000].body
    assert "Theo dangcongsan.vn" not in seeds[S000].body
    assert "Cập nhật lúc" not in seeds[S003].body
    assert "Linh Lan" not in seeds[S004].body
    assert "Duy Khánh" not in seeds[S001].body


def test_prose_is_kept_even_when_it_looks_like_metadata(seeds):
    # "Theo báo cáo, …" is a sentence, not a source line; the caption after the
    # portal marker is content; the body's own dates stay in the body.
    body000 = paragraphs(seeds[S000])
    assert any(p.startswith("Theo báo cáo, 6 tháng đầu năm 2022") for p in body000)
    assert (
        "Đồng chí Trương Thị Mai, Ủy viên Bộ Chính trị, Bí Thư Trung ương Đảng, "
        "Trưởng Ban Tổ chức Trung ương phát biểu tại hội nghị."
    ) in body000
    assert "sáng 29-12." in seeds[S004].body


def test_writers_spelling_is_kept(seeds):
    body = seeds[S000].body
    for as_written in ("hiệu qủa", "nang cao", "phới hợp"):
        assert as_written in body


@pytest.mark.parametrize("seed", SEEDS)
def test_paragraph_counts(seeds, seed):
    want = {S000: 7, S001: 8, S002: 4, S003: 4, S004: 9}
    assert len(paragraphs(seeds[seed])) == want[seed]


# --- ids, paths, hashes -------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_id_path_hash(seeds, seed):
    b = seeds[seed]
    assert b.id == seed
    assert b.path == f"{seed}.txt"
    assert b.hash == hashlib.sha1((CORPUS / f"{seed}.txt").read_bytes()).hexdigest()


def test_to_dict_is_json_ready(seeds):
    d = seeds[S004].to_dict()
    assert d["date"] == "2022-12-29"
    assert seeds[S002].to_dict()["date"] is None
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    fields = {"id", "title", "body", "date", "author", "source", "url", "path", "hash", "date_source", "warnings"}
    assert set(d) == fields
    assert (d["date_source"], d["warnings"]) == ("byline", [])


def test_subfolder_id_uses_posix_path(tmp_path):
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    shutil.copy(CORPUS / f"{S002}.txt", tmp_path / "sub" / "deep" / "x.txt")
    b = read_txt(tmp_path / "sub" / "deep" / "x.txt", tmp_path)
    assert (b.id, b.path) == ("sub/deep/x", "sub/deep/x.txt")


def test_bom_and_crlf_do_not_change_the_bulletin(tmp_path):
    raw = (CORPUS / f"{S001}.txt").read_bytes()
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))
    plain = read_txt(CORPUS / f"{S001}.txt", CORPUS)
    odd = read_txt(tmp_path / "bom.txt", tmp_path)
    assert (odd.title, odd.body, odd.date, odd.author) == (plain.title, plain.body, plain.date, plain.author)
    assert odd.hash != plain.hash


# --- bad .txt files -------------------------------------------------------------------


def test_empty_file(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    assert bad_reason(tmp_path / "e.txt", tmp_path) == "empty file"


def test_whitespace_only_file(tmp_path):
    (tmp_path / "w.txt").write_text(" \n\u00a0\t\n\r\n\u200b\n", encoding="utf-8")
    assert "empty" in bad_reason(tmp_path / "w.txt", tmp_path)


def test_binary_file(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert bad_reason(tmp_path / "b.txt", tmp_path) == "binary file (NUL bytes)"


def test_latin1_file(tmp_path):
    (tmp_path / "l.txt").write_bytes("Café crème\n".encode("latin-1"))
    assert bad_reason(tmp_path / "l.txt", tmp_path).startswith("not UTF-8 (byte 0xe9 at offset 3): save it as UTF-8")


def test_utf16_file(tmp_path):
    (tmp_path / "u.txt").write_bytes(raw_text(S002).encode("utf-16"))
    assert "UTF-16" in bad_reason(tmp_path / "u.txt", tmp_path)


def test_only_boilerplate_file(tmp_path):
    junk = "PublishingPortal - Block_BanTin_Toolbar\n\n\u00a0Tăng cỡ chữ Giảm cỡ chữ\nXem thêm\n,\n.\n\u00a0\n"
    (tmp_path / "j.txt").write_text(junk, encoding="utf-8")
    assert bad_reason(tmp_path / "j.txt", tmp_path).startswith("nothing left after clean-up")


def test_bad_txt_comes_out_of_scan_as_value(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    shutil.copy(CORPUS / f"{S003}.txt", tmp_path / "b.txt")
    items = list(scan_corpus(tmp_path))
    assert [type(i) for i in items] == [BadDocument, Bulletin]
    assert items[0].path == "a.txt" and items[1].id == "b"


# --- small synthetic portal texts: header and footer rules -----------------------------


def read_one(tmp_path: Path, text: str) -> Bulletin:
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    return read_txt(tmp_path / "t.txt", tmp_path)


def test_nguon_line_and_url_footer(tmp_path):
    b = read_one(
        tmp_path,
        "Tiêu đề bài\n\nĐoạn một nói về hội nghị.\n\nĐoạn hai.\n\nMinh Anh - TTXVN\nNguồn: TTXVN\n"
        "https://www.baochinhphu.vn/a-b.htm\n",
    )
    assert (b.author, b.source, b.url) == ("Minh Anh - TTXVN", "TTXVN", "https://www.baochinhphu.vn/a-b.htm")
    assert b.body == "Đoạn một nói về hội nghị.\n\nĐoạn hai."


def test_url_in_header_gives_source_host(tmp_path):
    b = read_one(tmp_path, "Tiêu đề\nhttps://dangcongsan.vn/x/y.html\nĐoạn một.\nĐoạn hai.")
    assert (b.url, b.source, b.body) == ("https://dangcongsan.vn/x/y.html", "dangcongsan.vn", "Đoạn một.\n\nĐoạn hai.")


def test_sentences_are_not_author_or_source(tmp_path):
    b = read_one(tmp_path, "Tiêu đề\nĐoạn một.\nTheo dõi chúng tôi\nHội nghị kết thúc.")
    assert (b.author, b.source) == (None, None)
    b = read_one(tmp_path, "Tiêu đề\nĐoạn một.\nTheo báo cáo, năm 2022 tăng trưởng khá")
    assert (b.author, b.source) == (None, None)
    assert b.body.endswith("Theo báo cáo, năm 2022 tăng trưởng khá")


def test_place_and_date_line_is_not_a_byline(tmp_path):
    b = read_one(tmp_path, "Tiêu đề\nHà Nội, 05/04/2022\nĐoạn một.")
    assert b.author is None
    assert b.body.startswith("Hà Nội, 05/04/2022")  # not a pure date line: left in the body
    # ... where it opens the lead, so it gives a "text" date (not a header one)
    assert (b.date, b.date_source) == (dt.date(2022, 4, 5), "text")


def test_vietnamese_date_line_and_byline_with_time(tmp_path):
    b = read_one(tmp_path, "Tiêu đề\nThứ Hai, ngày 5 tháng 4 năm 2021\nĐoạn một.")
    assert (b.date, b.author, b.body, b.date_source) == (dt.date(2021, 4, 5), None, "Đoạn một.", "header")
    b = read_one(tmp_path, "Tiêu đề\nThu Hà | 08:30 ngày 12.03.2021\nĐoạn một.")
    assert (b.date, b.author, b.date_source) == (dt.date(2021, 3, 12), "Thu Hà", "byline")


def test_yearless_header_date_gives_none(tmp_path):
    b = read_one(tmp_path, "Tiêu đề\nNgày 18/12\nĐoạn một.")
    assert (b.date, b.date_source) == (None, None)
    assert b.body == "Đoạn một."


def test_headline_repeated_as_first_line(tmp_path):
    b = read_one(tmp_path, "Tiêu đề chính\nTiêu đề chính.\nĐoạn một.")
    assert (b.title, b.body) == ("Tiêu đề chính", "Đoạn một.")


def test_text_without_headline_keeps_its_lead(tmp_path):
    lead = "Sáng nay " + "hội nghị " * 60 + "đã khai mạc."
    b = read_one(tmp_path, lead + "\nĐoạn hai.")
    assert b.body.startswith(lead)
    assert b.title and b.title.endswith("…") and lead.startswith(b.title[:-1])


def test_near_duplicate_rule_keeps_distinct_list_items(tmp_path):
    items = (
        "Tại nhà hàng Hoa Mai từ 18g00 - 21g30 từ 29 tháng chạp đến mùng 3 tết có chương trình ca nhạc\n"
        "Tại nhà hàng Cung Đình từ 19g30 - 21g30 từ 29 tháng chạp đến mùng 3 tết có chương trình ca nhạc\n"
        "- Hiệu số bàn thắng thua trong các trận những đội này gặp nhau\n"
        "- Số bàn thắng trong các trận những đội này gặp nhau\n"
        "Những phi vụ cuối cùng của biệt đội bay CIA tại VN (4)(11/04/2005)\n"
        "Những phi vụ cuối cùng của biệt đội bay CIA tại VN (3)(08/04/2005)\n"
        "13\n13\n"
    )
    b = read_one(tmp_path, "Tiêu đề\n" + items)
    assert len(paragraphs(b)) == 8


def test_near_duplicate_rule_merges_a_corrected_copy(tmp_path):
    b = read_one(
        tmp_path,
        "Tiêu đề\nHội nghị tổng kết công tác năm 2022 của ngành đạt hiệu qủa cao\n"
        "Hội nghị tổng kết công tác năm 2022 của ngành đạt hiệu quả cao.\nĐoạn sau.",
    )
    assert paragraphs(b) == ["Hội nghị tổng kết công tác năm 2022 của ngành đạt hiệu quả cao.", "Đoạn sau."]


# --- .jsonl -------------------------------------------------------------------------------


def write_jsonl(path: Path, lines: list[str | bytes]) -> Path:
    data = b"".join((ln if isinstance(ln, bytes) else ln.encode("utf-8")) + b"\n" for ln in lines)
    path.write_bytes(data)
    return path


def rec(**kw) -> str:
    return json.dumps(kw, ensure_ascii=False)


def test_jsonl_bad_line_in_the_middle(tmp_path):
    p = write_jsonl(
        tmp_path / "bulk.jsonl",
        [rec(id="a", title="A", body="Thân bài A."), '{"id": "b", "body": ', rec(id="c", body="Thân bài C.")],
    )
    items = list(iter_jsonl(p, tmp_path))
    assert [type(i) for i in items] == [Bulletin, BadDocument, Bulletin]
    assert items[1].path == "bulk.jsonl:2" and items[1].reason.startswith("line 2: invalid JSON")
    assert [items[0].path, items[2].path] == ["bulk.jsonl:1", "bulk.jsonl:3"]
    assert items[2].title == ""


@pytest.mark.parametrize(
    "line, reason",
    [
        (rec(title="x", body="Thân bài."), "line 2: no id"),
        (rec(id="", body="Thân bài."), "line 2: no id"),
        (rec(id=None, body="Thân bài."), "line 2: no id"),
        (rec(id="z"), "line 2: no body"),
        (rec(id="z", body=""), "line 2: empty body"),
        (rec(id="z", body="PublishingPortal - Block_BanTin_Toolbar\nXem thêm\n,"), "line 2: empty body"),
        ("[1, 2, 3]", "line 2: not a JSON object"),
        ('"just a string"', "line 2: not a JSON object"),
        ("not json at all", "line 2: invalid JSON"),
    ],
)
def test_jsonl_bad_records(tmp_path, line, reason):
    p = write_jsonl(tmp_path / "bulk.jsonl", [rec(id="ok", body="Tốt."), line])
    items = list(iter_jsonl(p, tmp_path))
    assert isinstance(items[0], Bulletin) and isinstance(items[1], BadDocument)
    assert items[1].path == "bulk.jsonl:2"
    assert items[1].reason.startswith(reason)
    assert "\n" not in items[1].reason


def test_jsonl_non_utf8_line_and_blank_lines(tmp_path):
    latin = '{"id": "l", "body": "Café"}'.encode("latin-1")
    p = write_jsonl(tmp_path / "m.jsonl", [rec(id="a", body="A."), b"", latin, b"   ", rec(id="d", body="D.")])
    items = list(iter_jsonl(p, tmp_path))
    assert [type(i) for i in items] == [Bulletin, BadDocument, Bulletin]
    assert items[1].path == "m.jsonl:3"
    assert items[1].reason.startswith("line 3: not UTF-8 (byte 0xe9")
    assert items[2].path == "m.jsonl:5"


def test_jsonl_fields_and_clean_up(tmp_path):
    body = "\u00a0PublishingPortal - Block_BanTin_ViewData\nToàn cảnh hội nghị\nToàn cảnh hội nghị.\n\nÐoạn hai.\n,\n"
    line = rec(
        id=17, title="Tiêu  đề\u00a0Ðảng", body=body, date="2022-04-05", url="", author="Duy Khánh", category="X"
    )
    p = write_jsonl(tmp_path / "one.jsonl", [line])
    (b,) = iter_jsonl(p, tmp_path)
    assert b.id == "17"
    assert b.title == "Tiêu đề \u0110ảng"
    assert b.body == "Toàn cảnh hội nghị.\n\n\u0110oạn hai."
    assert (b.date, b.url, b.author, b.source) == (dt.date(2022, 4, 5), None, "Duy Khánh", None)
    assert b.hash == hashlib.sha1(line.encode("utf-8")).hexdigest()
    assert "category" not in b.to_dict()


@pytest.mark.parametrize(
    "value, want, source",
    [
        ("30/06/2022", dt.date(2022, 6, 30), "record"),
        ("2022-02-31", None, None),
        ("hôm qua", None, None),
        (20220630, None, None),
        (None, None, None),
    ],
)
def test_jsonl_date_field(tmp_path, value, want, source):
    p = write_jsonl(tmp_path / "d.jsonl", [rec(id="d", body="D.", date=value)])
    (b,) = iter_jsonl(p, tmp_path)
    assert (b.date, b.date_source) == (want, source)
    assert len(b.warnings) == (0 if want or value is None else 1)


def test_jsonl_html_entities_are_unescaped(tmp_path):
    p = write_jsonl(
        tmp_path / "e.jsonl",
        [rec(id="e", title="Bộ GD&amp;ĐT họp", body="Ngày 5/3, Bộ GD&amp;ĐT&nbsp;công bố &gt;&gt; Xem thêm", source="A&amp;B")],
    )
    (b,) = iter_jsonl(p, tmp_path)
    assert b.title == "Bộ GD&ĐT họp"
    assert b.body == "Ngày 5/3, Bộ GD&ĐT công bố >> Xem thêm"
    assert b.source == "A&B"


def test_jsonl_keeps_spelling(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [rec(id="s", body="nâng cao hiệu qủa, nang cao")])
    (b,) = iter_jsonl(p, tmp_path)
    assert b.body == "nâng cao hiệu qủa, nang cao"


# --- the corpus folder ----------------------------------------------------------------------


def test_missing_corpus_folder(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(CorpusError) as info:
        scan_corpus(missing)  # raised at once, not on first iteration
    assert str(info.value) == f"corpus folder '{missing}' does not exist: create it or pass --corpus DIR"


def test_corpus_path_is_a_file(tmp_path):
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError):
        scan_corpus(str(tmp_path / "f.txt"))


def test_scan_order_recursion_and_hidden(tmp_path):
    seed = CORPUS / f"{S002}.txt"
    for rel in ["b.txt", "a/z.txt", "a/b/c.txt", "0.TXT", ".hidden/x.txt", "a/.h.txt", "notes.md", "c.txt.bak"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(seed, tmp_path / rel)
    write_jsonl(tmp_path / "a" / "m.jsonl", [rec(id="j1", body="Một."), rec(id="j2", body="Hai.")])
    paths = [i.path for i in scan_corpus(tmp_path)]
    assert paths == ["0.TXT", "a/b/c.txt", "a/m.jsonl:1", "a/m.jsonl:2", "a/z.txt", "b.txt"]
    ids = [i.id for i in scan_corpus(tmp_path)]
    assert ids == ["0", "a/b/c", "j1", "j2", "a/z", "b"]


def test_duplicate_ids_first_wins(tmp_path):
    shutil.copy(CORPUS / f"{S004}.txt", tmp_path / "dup.txt")
    write_jsonl(
        tmp_path / "z.jsonl",
        [rec(id="dup", body="Trùng với tệp."), rec(id="x", body="X một."), rec(id="x", body="X hai.")],
    )
    items = list(scan_corpus(tmp_path))
    assert [type(i).__name__ for i in items] == ["Bulletin", "BadDocument", "Bulletin", "BadDocument"]
    assert items[0].id == "dup" and items[0].title == EXPECTED[S004]["title"]
    assert items[1].path == "z.jsonl:1"
    assert items[1].reason == "duplicate id 'dup' (first seen in dup.txt)"
    assert items[2].body == "X một."
    assert items[3].reason == "duplicate id 'x' (first seen in z.jsonl:2)"


def test_scan_of_the_seed_corpus(tmp_path):
    for s in SEEDS:
        shutil.copy(CORPUS / f"{s}.txt", tmp_path / f"{s}.txt")
    items = list(scan_corpus(tmp_path))
    assert [i.id for i in items] == SEEDS
    assert all(isinstance(i, Bulletin) for i in items)


# --- parse_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("30/06/2022", dt.date(2022, 6, 30)),
        ("Cập nhật lúc18:19, Thứ Ba, 05/04/2022 (GMT+7)", dt.date(2022, 4, 5)),
        ("Linh Lan 13:12, 29/12/2022", dt.date(2022, 12, 29)),
        ("5/4/2022", dt.date(2022, 4, 5)),
        ("2022-04-05", dt.date(2022, 4, 5)),
        ("2022-04-05T10:11:12+07:00", dt.date(2022, 4, 5)),
        ("05-04-2022", dt.date(2022, 4, 5)),
        ("05.04.2022", dt.date(2022, 4, 5)),
        ("ngày 5 tháng 4 năm 2022", dt.date(2022, 4, 5)),
        ("Hà Nội, Ngày 05 Tháng 04 Năm 2022", dt.date(2022, 4, 5)),
        ("Ngày 18/12 năm 2020", dt.date(2020, 12, 18)),
        ("29/02/2024", dt.date(2024, 2, 29)),
        ("sáng 29-12, tức ngày 29/12/2022", dt.date(2022, 12, 29)),
        ("31/02/2022 hay 01/03/2022", dt.date(2022, 3, 1)),
    ],
)
def test_parse_date_valid(text, want):
    assert parse_date(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "",
        "31/02/2022",
        "29/02/2023",
        "2022-13-01",
        "00/01/2022",
        "32/01/2022",
        "Ngày 18/12",
        "Ngày 14/6",
        "sáng 29-12.",
        "tháng 4/2022",
        "năm 2022",
        "29/12/22",
        "10/10/0042",
        "nhiệm kỳ 2020-2025",
        "Quyết định số 46-QĐ/TW",
    ],
)
def test_parse_date_invalid_or_yearless(text):
    assert parse_date(text) is None


def test_parse_date_seed_lead_without_year():
    lead = raw_text(S001).splitlines()[2]
    assert lead.startswith("Ngày 18/12,") and "năm 2020" in lead
    assert parse_date(lead) is None


# --- the shared benchmark corpus ---------------------------------------------------------------


@pytest.mark.shared
def test_vntc_first_2000_records(tmp_path, shared):
    src = shared / "corpora" / "vntc.jsonl.xz"
    if not src.is_file():
        pytest.skip("vntc.jsonl.xz is missing")
    with lzma.open(src, "rt", encoding="utf-8") as f:
        lines = list(islice(f, 2000))
    (tmp_path / "vntc.jsonl").write_text("".join(lines), encoding="utf-8")
    want_ids = [json.loads(line)["id"] for line in lines]
    items = list(scan_corpus(tmp_path))
    assert len(items) == 2000
    assert all(isinstance(i, Bulletin) for i in items), [i for i in items if not isinstance(i, Bulletin)][:3]
    assert [i.id for i in items] == want_ids
    assert all(i.body.strip() for i in items)
    assert [i.path for i in items[:2]] == ["vntc.jsonl:1", "vntc.jsonl:2"]


def test_file_names_that_cannot_be_printed_are_skipped_saying_why(tmp_path):
    """A name with a terminal control, and one with a byte that is not UTF-8: each
    skipped with its own reason, shown printable (the bad byte as U+FFFD); the
    good file is read."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "Tiêu đề\n\nNội dung bản tin về công tác cán bộ.\n"
    (corpus / "good.txt").write_text(body, encoding="utf-8")
    (corpus / "esc\x1b[2Jname.txt").write_text(body, encoding="utf-8")
    expected = {"escname.txt": "the file name holds control characters: rename the file"}  # the sequence dropped
    try:
        with open(bytes(corpus) + b"/bad\xffname.txt", "w", encoding="utf-8") as f:
            f.write(body)
        expected["bad\ufffdname.txt"] = "the file name is not valid UTF-8: rename the file"
    except OSError:  # a file system that takes UTF-8 names only
        pass
    got = list(scan_corpus(corpus))
    skipped = {b.path: b.reason for b in got if isinstance(b, BadDocument)}
    assert skipped == expected
    assert [b.id for b in got if isinstance(b, Bulletin)] == ["good"]
