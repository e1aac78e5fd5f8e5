"""References to Party and State documents as first-class terms.

``find_refs(text)`` finds every reference such as "Kết luận số 21-KL/TW",
"Kết Luận số 21- KL/TW", "KL 21", "21-KL/TW", "Nghị định 15/2008/NĐ-CP",
"Nghị quyết Trung ương 5 (khóa XIII)", "Nghị quyết Đại hội XIII", "Luật Đất
đai năm 2003", "Bộ luật Lao động 2019", "Hiến pháp năm 2013", "Điều lệ Đảng"
or "Điều 110 Luật BHXH", and returns each as a :class:`Ref` with an exact span
into the text and canonical keys (``kl:21``, ``kl:21/tw``, ``nq:tw5-xiii``,
``luat:dat-dai/2003``, ``hp``, ``luat:bao-hiem-xa-hoi#d110`` ...).  Documents
and queries go through the same function, so "ket luan 21" typed by a user and
"Kết luận số 21-KL/TW" written in a bulletin share the key ``kl:21``.

How it works
------------
The text is folded one character to one character (lower case, diacritics
stripped, ``đ`` → ``d``; :func:`fold_same_length`), so one set of ASCII
patterns serves every spelling and a match's offsets are offsets into the
original text.  A type word (full name or abbreviation) must be followed by a
number, optionally after "số" or a qualifier ("liên tịch", "hướng dẫn");
the number is then vetted:

* a **symbol** written after the number ("-KL/TW", "/2008/NĐ-CP", "/2004")
  makes it a reference whatever follows;
* otherwise it is rejected when it is a decimal, a percentage, a range, a
  fraction or date ("21-1-2022", "7/11"), a year (1900-2100), or a count — the
  next word is a unit or counted noun ("5 năm", "21 đảng viên", "2 hình
  thức"; but "Quyết định 249 năm 2005" is the year of issue).  "số" before
  the number marks a reference, so only the first kinds of rejection apply.

A type word written with diacritics must carry the right ones: "đình chỉ thi
2 giám thị" and "thông từ" are not "chỉ thị" / "thông tư".  Text written with
no diacritics at all ("nghi quyet 39") is accepted.  Abbreviations must be all
capitals or all lower case, and "KH 4419 TS" (a boat) is not Kế hoạch 4419.

Laws, codes, the Constitution and the Party Statute are named, not numbered:

* **"Luật <name>"**, **"Bộ luật <name>"**: the name is read against a table of
  law names (:data:`LAW_NAMES`, :data:`CODE_NAMES`; longest match, commas
  optional, short forms such as "BHXH", "HN&GĐ", "GTĐB" expanded by
  :data:`NAME_ABBREVIATIONS`), so it stops where the name stops ("Luật Cán bộ,
  công chức và Luật Viên chức" is two laws; "Luật Đất đai năm 2003 quy định" is
  "Luật Đất đai năm 2003").  A name not in the table is read only when it is
  capitalised ("Luật Thủ đô"): its first word upper case, then lower-case words
  up to a function word ("quy định", "được", "và", "năm", "số" ...), a comma,
  or six words.  "Luật" itself must be capitalised ("luật sư", "pháp luật",
  "đúng luật", "luật giao thông" in running text are not laws); a name in the
  table may be written in lower case after it ("Luật đất đai", as VNTC writers
  do).  Lower-case "luật" is read only before a name of the table written
  capitalised ("sửa luật Tổ chức Quốc hội") or after "dự" ("dự luật bảo hiểm
  xã hội", a bill).  A name's words must carry the title's diacritics when the
  text has any ("Hội Luật gia" is not Luật Giá).  "Luật Lao động", "Luật Dân
  sự", "Luật Hình sự" ... are the codes (there is no law of that name).  Not a
  law: "Đại học Luật Hà Nội", "Công ước Luật biển", "Luật Thương mại quốc tế",
  "Luật Lao động Hàn Quốc" (another country's law: a capitalised word right
  after the name, "VN" excepted), "Luật Kinh doanh 21,5" (a number after the
  name: a table of marks).  A bill is still its law: "dự án Luật Đất đai (sửa
  đổi)" names Luật Đất đai.  Then a year ("2013", "năm 2013") or a symbol ("số
  58/2014/QH13") may follow.
* **"Hiến pháp"** (capitalised; not "Tòa án hiến pháp", "Hiến pháp Mỹ") and
  **"Điều lệ Đảng"** ("Đảng" capitalised), each with an optional year.
* A **text with no capital letter at all** is a query typed casually ("luat
  dat dai", "hiến pháp 2013"): there, lower case is accepted for names in the
  table (never for guessed names).
* **Articles**: "Điều 110", "khoản 2 Điều 5", "điểm a khoản 2 Điều 5" (and
  "của") right before any reference make it the article's reference; the span
  starts at the article.

Choices
-------
* **Span**: type word through the number and symbol ("Kết Luận số 21- KL/TW"),
  or through the name and its year or symbol ("Luật Đất đai năm 2003").
  A following "của <body>" is *not* part of the span.  For session references
  the "(khóa XIII)" is part of the span, because it identifies the document;
  a year of issue after a number ("Nghị định số 146 năm 2018") too.
* **Body**: for numbered references, the issuing body written after "của"
  (optionally after "ngày <date>"), as written, with its "khóa" if any: "Ban
  Chấp hành Trung ương Đảng khóa XIII", "Bộ Chính trị", "Chính phủ"; only
  central Party and State bodies and Party committees are recognised.  For
  session references, the canonical ``"khóa XIII"`` ("khoá 8" → "khóa VIII").
  Bodies never enter the keys except the "khóa" of a session reference.
* **Keys**: the base key first, then more specific ones, each naming a subset
  of what the base key names (the query side requires the base key and adds a
  bonus per specific key, a whole citation when the key holds a year):

  - numbered: ``code:number``; then ``code:number/year`` when the year of
    issue is known (a dated symbol "15/2008/NĐ-CP" or "năm 2008"), so
    "Nghị định 146 năm 2018" and "146/2018/NĐ-CP" share ``nd:146/2018``; then
    the symbol.  A Party-style symbol "21-KL/TW" (the type's own abbreviation,
    then "/", then the issuing organ) drops the abbreviation: ``kl:21/tw``,
    ``qdi:46/tw``; a State-style symbol keeps everything:
    ``nd:15/2008/nd-cp``, ``qd:187/qd-ttg``, ``qd:57/2004``.
  - laws and codes: ``luat:<name>`` / ``bl:<name>`` from the folded full name
    (``luat:dat-dai``, ``luat:bao-hiem-xa-hoi``, ``bl:lao-dong``), then
    ``luat:dat-dai/2013`` with a year (written, or the symbol's); a symbol adds
    the law's number keys (``luat:58``, ``luat:58/2014``,
    ``luat:58/2014/qh13``), the keys "Luật số 58/2014/QH13" has.
  - ``hp``, ``hp/2013``; ``dld``; ``vbhn:2089``, ``vbhn:2089/vbhn-bhxh``.
  - an article adds ``<base>#d<article>`` last: ``luat:bao-hiem-xa-hoi#d110``,
    ``nd:15#d5`` (a "khoản" or "điểm" only widens the span).
* **Labels**: :attr:`Ref.label` is built from the reference ("Luật Bảo hiểm xã
  hội 2014", "Điều 110 Luật Bảo hiểm xã hội") and stored with it.
  :func:`key_label` works from a key alone: a name in the table gets its
  display name with diacritics back; a guessed name cannot (the key is
  folded) and is shown folded ("Luật Thu do"): readers wanting the written
  name take the stored label.
* A bare symbol without a type word ("39-NQ/TW", "15/2008/NĐ-CP") takes its
  type from the abbreviation; "QĐ" is read as Quyết định (``qd``); a symbol
  of the National Assembly "58/2014/QH13" is a law (``luat:58``).
* Sessions: "Nghị quyết [Hội nghị] Trung ương 5", "Nghị quyết T.Ư 5",
  "Nghị quyết Hội nghị Trung ương lần thứ năm", "Nghị quyết Hội nghị lần thứ 5
  Ban Chấp hành Trung ương" → ``nq:tw5`` (+ ``nq:tw5-xiii`` with the khóa).
  "Hội nghị Trung ương 5" alone names the meeting, not a document: no ref.
  "Nghị quyết Trung ương 6, Trung ương 7 khoá XII" gives ``nq:tw6`` and
  ``nq:tw7``, both with body "khóa XII" (the second span is "Trung ương 7
  khoá XII").  "Nghị quyết Đại hội XIII" → ``nq:dh-xiii``, but not when another
  organisation's congress follows ("Đại hội VIII Công đoàn TP").
* Lists after one type word ("Thông báo số 19 và 20", "Nghị định 171, 172")
  give one reference per number when each number has a symbol or is followed
  by a word that ends a reference ("của", "về", "ngày 12", punctuation).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, cast

from .errors import QueryError
from .normalise import fix_lookalikes, fold, norm_syllable

__all__ = [
    "CODE_NAMES",
    "LAW_NAMES",
    "NAME_ABBREVIATIONS",
    "REF_CODES",
    "Ref",
    "find_refs",
    "fold_same_length",
    "key_label",
    "key_type",
]

#: code -> canonical type name.
REF_CODES: dict[str, str] = {
    "kl": "Kết luận",
    "nq": "Nghị quyết",
    "qdi": "Quy định",
    "qd": "Quyết định",
    "ct": "Chỉ thị",
    "kh": "Kế hoạch",
    "hd": "Hướng dẫn",
    "tb": "Thông báo",
    "tt": "Thông tư",
    "nd": "Nghị định",
    "luat": "Luật",
    "cv": "Công văn",
    "bl": "Bộ luật",
    "hp": "Hiến pháp",
    "dld": "Điều lệ Đảng",
    "vbhn": "Văn bản hợp nhất",
}

# Codes whose base key is the code alone (one document of its kind): ``hp``, ``dld``.
_SINGLE_CODES = frozenset({"hp", "dld"})
# Codes of documents known by their name: ``luat:dat-dai``, ``bl:lao-dong``.
_NAMED_CODES = frozenset({"luat", "bl"})

# Folded full type word (single spaces) -> code.
_FULL_WORDS: dict[str, str] = {fold(name): code for code, name in REF_CODES.items()}

# Abbreviation written before a number or inside a symbol -> code.
_ABBREVIATIONS: dict[str, str] = {
    "kl": "kl",
    "nq": "nq",
    "qd": "qd",
    "ct": "ct",
    "kh": "kh",
    "hd": "hd",
    "tb": "tb",
    "nd": "nd",
    "tt": "tt",
    "vbhn": "vbhn",
}

# The abbreviation each type uses inside its own symbols (stripped from keys).
_SYMBOL_ABBR: dict[str, str] = {
    "kl": "kl",
    "nq": "nq",
    "qdi": "qd",
    "qd": "qd",
    "ct": "ct",
    "kh": "kh",
    "hd": "hd",
    "tb": "tb",
    "tt": "tt",
    "nd": "nd",
    "cv": "cv",
    "vbhn": "vbhn",
}

# How folded symbol chunks are displayed in labels rebuilt from keys.
_CHUNK_DISPLAY: dict[str, str] = {"nd": "NĐ", "qd": "QĐ", "ttg": "TTg"}

# --- law names -------------------------------------------------------------------
#
# The names of laws (after "Luật"), as the official titles write them.  A name is
# matched folded (no diacritics, any case), with or without its commas; the
# longest name wins ("Giáo dục đại học" over "Giáo dục").  Keys are the folded
# words joined by "-" (``luat:phong-chong-tham-nhung``); labels use these titles.
LAW_NAMES: tuple[str, ...] = (
    "An ninh mạng",
    "An ninh quốc gia",
    "An toàn thông tin mạng",
    "An toàn thực phẩm",
    "An toàn, vệ sinh lao động",
    "Ban hành văn bản quy phạm pháp luật",
    "Ban hành văn bản quy phạm pháp luật của Hội đồng nhân dân, Ủy ban nhân dân",
    "Báo chí",
    "Bảo hiểm tiền gửi",
    "Bảo hiểm xã hội",
    "Bảo hiểm y tế",
    "Bảo vệ bí mật nhà nước",
    "Bảo vệ môi trường",
    "Bảo vệ quyền lợi người tiêu dùng",
    "Bảo vệ sức khỏe nhân dân",
    "Bảo vệ và kiểm dịch thực vật",
    "Bảo vệ và phát triển rừng",
    "Bảo vệ, chăm sóc và giáo dục trẻ em",
    "Bầu cử đại biểu Hội đồng nhân dân",
    "Bầu cử đại biểu Quốc hội",
    "Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân",
    "Biên giới quốc gia",
    "Biên phòng Việt Nam",
    "Biển Việt Nam",
    "Bình đẳng giới",
    "Bưu chính",
    "Cán bộ, công chức",
    "Các công cụ chuyển nhượng",
    "Các tổ chức tín dụng",
    "Cạnh tranh",
    "Căn cước",
    "Căn cước công dân",
    "Cảnh sát biển Việt Nam",
    "Chăn nuôi",
    "Chất lượng sản phẩm, hàng hóa",
    "Chứng khoán",
    "Chuyển giao công nghệ",
    "Cơ yếu",
    "Công an nhân dân",
    "Công chứng",
    "Công đoàn",
    "Công nghệ cao",
    "Công nghệ thông tin",
    "Cư trú",
    "Dân quân tự vệ",
    "Dạy nghề",
    "Di sản văn hóa",
    "Doanh nghiệp",
    "Doanh nghiệp nhà nước",
    "Du lịch",
    "Dược",
    "Đa dạng sinh học",
    "Đặc xá",
    "Đấu giá tài sản",
    "Đấu thầu",
    "Đất đai",
    "Đầu tư",
    "Đầu tư công",
    "Đầu tư nước ngoài tại Việt Nam",
    "Đầu tư theo phương thức đối tác công tư",
    "Đê điều",
    "Điện ảnh",
    "Điện lực",
    "Điều ước quốc tế",
    "Đo đạc và bản đồ",
    "Đo lường",
    "Dầu khí",
    "Đường bộ",
    "Đường sắt",
    "Giá",
    "Giám định tư pháp",
    "Giao dịch điện tử",
    "Giao thông đường bộ",
    "Giao thông đường thủy nội địa",
    "Giáo dục",
    "Giáo dục đại học",
    "Giáo dục nghề nghiệp",
    "Giáo dục quốc phòng và an ninh",
    "Hải quan",
    "Hàng không dân dụng Việt Nam",
    "Hóa chất",
    "Hoạt động giám sát của Quốc hội",
    "Hoạt động giám sát của Quốc hội và Hội đồng nhân dân",
    "Hộ tịch",
    "Hôn nhân và gia đình",
    "Hợp tác xã",
    "Hỗ trợ doanh nghiệp nhỏ và vừa",
    "Hiến, lấy, ghép mô, bộ phận cơ thể người và hiến, lấy xác",
    "Kế toán",
    "Khám bệnh, chữa bệnh",
    "Khí tượng thủy văn",
    "Khiếu nại",
    "Khiếu nại, tố cáo",
    "Khoa học và công nghệ",
    "Khoáng sản",
    "Khuyến khích đầu tư trong nước",
    "Kiến trúc",
    "Kiểm toán độc lập",
    "Kiểm toán nhà nước",
    "Kinh doanh bảo hiểm",
    "Kinh doanh bất động sản",
    "Ký kết, gia nhập và thực hiện điều ước quốc tế",
    "Lâm nghiệp",
    "Luật sư",
    "Lưu trữ",
    "Lý lịch tư pháp",
    "Mặt trận Tổ quốc Việt Nam",
    "Năng lượng nguyên tử",
    "Ngân hàng Nhà nước Việt Nam",
    "Ngân sách nhà nước",
    "Nghĩa vụ quân sự",
    "Người cao tuổi",
    "Người khuyết tật",
    "Người lao động Việt Nam đi làm việc ở nước ngoài theo hợp đồng",
    "Nhà ở",
    "Nuôi con nuôi",
    "Phá sản",
    "Phí và lệ phí",
    "Phòng cháy và chữa cháy",
    "Phòng, chống bạo lực gia đình",
    "Phòng, chống bệnh truyền nhiễm",
    "Phòng, chống HIV/AIDS",
    "Phòng, chống khủng bố",
    "Phòng, chống ma túy",
    "Phòng, chống mua bán người",
    "Phòng, chống rửa tiền",
    "Phòng, chống tác hại của rượu, bia",
    "Phòng, chống tác hại của thuốc lá",
    "Phòng, chống tham nhũng",
    "Phòng, chống thiên tai",
    "Phổ biến, giáo dục pháp luật",
    "Phổ cập giáo dục tiểu học",
    "Quản lý nợ công",
    "Quản lý ngoại thương",
    "Quản lý thuế",
    "Quản lý, sử dụng tài sản công",
    "Quảng cáo",
    "Quốc phòng",
    "Quốc tịch Việt Nam",
    "Quy hoạch",
    "Quy hoạch đô thị",
    "Sở hữu trí tuệ",
    "Sĩ quan Quân đội nhân dân Việt Nam",
    "Sử dụng năng lượng tiết kiệm và hiệu quả",
    "Tài nguyên nước",
    "Tần số vô tuyến điện",
    "Thanh niên",
    "Thanh tra",
    "Thi đua, khen thưởng",
    "Thi hành án dân sự",
    "Thi hành án hình sự",
    "Thi hành tạm giữ, tạm giam",
    "Thú y",
    "Thủ đô",
    "Thủy lợi",
    "Thủy sản",
    "Thuế bảo vệ môi trường",
    "Thuế chuyển quyền sử dụng đất",
    "Thuế giá trị gia tăng",
    "Thuế sử dụng đất nông nghiệp",
    "Thuế sử dụng đất phi nông nghiệp",
    "Thuế tài nguyên",
    "Thuế thu nhập cá nhân",
    "Thuế thu nhập doanh nghiệp",
    "Thuế tiêu thụ đặc biệt",
    "Thuế xuất khẩu, thuế nhập khẩu",
    "Thống kê",
    "Thương mại",
    "Thư viện",
    "Thực hành tiết kiệm, chống lãng phí",
    "Thực hiện dân chủ ở cơ sở",
    "Thể dục, thể thao",
    "Tiếp cận thông tin",
    "Tiếp công dân",
    "Tiêu chuẩn và quy chuẩn kỹ thuật",
    "Tín ngưỡng, tôn giáo",
    "Tố cáo",
    "Tố tụng hành chính",
    "Tổ chức chính quyền địa phương",
    "Tổ chức Chính phủ",
    "Tổ chức cơ quan điều tra hình sự",
    "Tổ chức Hội đồng nhân dân và Ủy ban nhân dân",
    "Tổ chức Quốc hội",
    "Tổ chức Tòa án nhân dân",
    "Tổ chức Viện kiểm sát nhân dân",
    "Trật tự, an toàn giao thông đường bộ",
    "Trẻ em",
    "Trọng tài thương mại",
    "Trồng trọt",
    "Trợ giúp pháp lý",
    "Trưng cầu ý dân",
    "Tương trợ tư pháp",
    "Việc làm",
    "Viễn thông",
    "Viên chức",
    "Xây dựng",
    "Xuất bản",
    "Xuất cảnh, nhập cảnh của công dân Việt Nam",
    "Xử lý vi phạm hành chính",
)

#: The codes (after "Bộ luật"; "Luật Lao động" is read as Bộ luật Lao động too:
#: no law bears a code's name).
CODE_NAMES: tuple[str, ...] = (
    "Dân sự",
    "Hình sự",
    "Lao động",
    "Tố tụng dân sự",
    "Tố tụng hình sự",
    "Hàng hải Việt Nam",
)

# Other ways writers name a law -> its title.
_NAME_ALIASES: dict[str, str] = {
    "Chống tham nhũng": "Phòng, chống tham nhũng",
    "Chống lãng phí": "Thực hành tiết kiệm, chống lãng phí",
    "Giao thông": "Giao thông đường bộ",
    "Giao thông thủy": "Giao thông đường thủy nội địa",
    "Giao thông đường thủy": "Giao thông đường thủy nội địa",
    "Giao thông đường sắt": "Đường sắt",
    "An toàn giao thông đường bộ": "Giao thông đường bộ",
    "Hàng không dân dụng": "Hàng không dân dụng Việt Nam",
    "Đầu tư nước ngoài": "Đầu tư nước ngoài tại Việt Nam",
    "Hàng hải": "Hàng hải Việt Nam",
    "Chăm sóc và giáo dục trẻ em": "Bảo vệ, chăm sóc và giáo dục trẻ em",
    "Chăm sóc, bảo vệ trẻ em": "Bảo vệ, chăm sóc và giáo dục trẻ em",
    "Bảo vệ, chăm sóc, giáo dục trẻ em": "Bảo vệ, chăm sóc và giáo dục trẻ em",
    "Ban hành văn bản quy phạm pháp luật của Hội đồng nhân dân và Ủy ban nhân dân": "Ban hành văn bản quy phạm pháp luật của Hội đồng nhân dân, Ủy ban nhân dân",
    "Ngân sách": "Ngân sách nhà nước",
    "Di sản": "Di sản văn hóa",
    "Thuế xuất khẩu, nhập khẩu": "Thuế xuất khẩu, thuế nhập khẩu",
    "Chính quyền địa phương": "Tổ chức chính quyền địa phương",
    "Công cụ chuyển nhượng": "Các công cụ chuyển nhượng",
    "Hiến, lấy, ghép mô, bộ phận cơ thể người": "Hiến, lấy, ghép mô, bộ phận cơ thể người và hiến, lấy xác",
}

#: Short forms inside a law's name (written in capitals) -> folded full words.
NAME_ABBREVIATIONS: dict[str, str] = {
    "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te",
    "hn&gd": "hon nhan va gia dinh",
    "hngd": "hon nhan va gia dinh",
    "gtdb": "giao thong duong bo",
    "pctn": "phong chong tham nhung",
    "bvmt": "bao ve moi truong",
    "nsnn": "ngan sach nha nuoc",
    "kbcb": "kham benh chua benh",
    "xlvphc": "xu ly vi pham hanh chinh",
    "thads": "thi hanh an dan su",
    "pccc": "phong chay va chua chay",
    "nvqs": "nghia vu quan su",
    "shtt": "so huu tri tue",
    "attp": "an toan thuc pham",
    "kh&cn": "khoa hoc va cong nghe",
    "cntt": "cong nghe thong tin",
    "cbcc": "can bo cong chuc",
    "tctd": "cac to chuc tin dung",
    "kdbds": "kinh doanh bat dong san",
    "dn": "doanh nghiep",
    "tncn": "thu nhap ca nhan",
    "tndn": "thu nhap doanh nghiep",
    "gtgt": "gia tri gia tang",
    "ttdb": "tieu thu dac biet",
    "qh": "quoc hoi",
    "hdnd": "hoi dong nhan dan",
    "ubnd": "uy ban nhan dan",
    "vn": "viet nam",
}

# The codes' usual abbreviations, written alone ("Điều 123 BLHS 2015").
_CODE_ABBREVIATIONS: dict[str, str] = {
    "blhs": "hinh su",
    "blds": "dan su",
    "blld": "lao dong",
    "bltths": "to tung hinh su",
    "blttds": "to tung dan su",
}

# --- patterns (all run on folded text) ----------------------------------------


class _LazyPattern:
    """A regular expression compiled the first time it is used, not at import.

    Importing this module compiles nothing; a text that names no document
    compiles only the type words.  On first use the module-level name that
    holds the stand-in is rebound to the compiled pattern, so later calls are
    plain calls on it.  Two threads racing to compile it bind equal patterns.
    """

    def __init__(self, source: str) -> None:
        self._source = source

    def __getattr__(self, name: str) -> Any:  # only for what the instance has not: the pattern's attributes
        if name.startswith("__") or name == "_source":
            raise AttributeError(name)
        compiled = re.compile(self._source)  # re's own cache makes a repeat cheap
        names = globals()
        for key, value in list(names.items()):
            if value is self:
                names[key] = compiled
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"_LazyPattern({self._source!r})"


def _compile(source: str) -> re.Pattern[str]:
    """``re.compile(source)``, done on first use (see :class:`_LazyPattern`)."""
    return cast("re.Pattern[str]", _LazyPattern(source))


_S = r"[^\S\n]"  # inline white space (never crosses a line)
_E = r"(?![^\W_])"  # word end
_ROMAN = r"[ivxl]+"


def _alternation(words: list[str]) -> str:
    """A regex alternation of folded words, factored on the first letter (faster
    to scan than a flat alternation); spaces match any inline white space."""
    groups: dict[str, list[str]] = {}
    for w in sorted(words, key=len, reverse=True):
        groups.setdefault(w[0], []).append(w[1:].replace(" ", _S + "+"))
    return "(?:" + "|".join(f"{c}(?:{'|'.join(rest)})" for c, rest in groups.items()) + ")"


# No look-behind in front, so the regex engine can skip ahead quickly; the
# word-start test is done in code (see _at_word_start).
_TYPE_RE = _compile(_alternation([*_FULL_WORDS, *_ABBREVIATIONS]) + _E)

# "số" (optional) and the number after a type word.
# May sit in between: the abbreviation in brackets ("Nghị định (NĐ) 117") and a
# qualifier ("Thông tư liên tịch số 10", "thông tư hướng dẫn số 19").
_NUMBER_RE = _compile(
    rf"(?:{_S}*\((?:" + "|".join(_ABBREVIATIONS) + r")\))?"
    rf"(?:{_S}+(?P<qual>lien{_S}+tich|lien{_S}+bo|huong{_S}+dan){_E})?"
    rf"(?:{_S}+(?P<so>so)[:.]?)?{_S}+(?P<num>\d{{1,5}})(?!\d)"
)

# A symbol after a number: separator, then the symbol proper.
_SEP_RE = _compile(rf"{_S}*([-–/]){_S}*")
_SYMBOL_BODY_RE = _compile(  # "KL/TW", "2008/NĐ-CP", "QĐ-TTg", "2004QĐ-UB" (sic)
    rf"(?:(?:19|20)\d\d(?:{_S}*/{_S}*)?)?[a-z][a-z0-9]*(?:[-–/][a-z0-9]+)*{_E}"
)
_GLUED_SYMBOL_RE = _compile(rf"[a-z]{{2,6}}(?:[-–/][a-z0-9]+)*{_E}")
# The issuer of a symbol written apart from it: "QĐ - UBND", "CT/ T.Ư", "QĐ - TTg".
_ISSUER_RE = _compile(rf"{_S}*[-–/]{_S}*(?P<issuer>t\.u|[a-z][a-z0-9]{{1,7}}){_E}")
_SYMBOL_ABBREVIATIONS = {*_ABBREVIATIONS, "cv"}
_DIGITS_RE = _compile(r"\d{1,5}(?!\d)")
_YEAR_RE = _compile(rf"(?:19|20)\d\d{_E}")

# What may not follow a number that has no symbol.
_BAD_AFTER_RE = _compile(
    rf"[.,]\d|{_S}*%|{_S}*phan{_S}+tram{_E}|{_S}*[-–/]{_S}*\d|[^\W\d_]"
    rf"|{_S}+(?:hoac|den|toi){_S}+\d"
)

# Units and counted nouns: "5 năm", "21 đảng viên", "2 hình thức" ... (folded).
# "ngày" is a unit only when no date follows ("28 ngày sau" vs "498 ngày 14-3").
_UNITS = (
    "nam",
    "thang",
    "tuan",
    "gio",
    "h",
    "phut",
    "giay",
    "dem",
    "nguoi",
    "ca nhan",
    "can bo",
    "dang vien",
    "thi sinh",
    "hoc sinh",
    "sinh vien",
    "giao vien",
    "hinh thuc",
    "cap",
    "lan",
    "luot",
    "trieu",
    "ty",
    "ti",
    "nghin",
    "ngan",
    "tram",
    "chuc",
    "dong",
    "usd",
    "vnd",
    "km",
    "m",
    "m2",
    "ha",
    "kg",
    "tan",
    "lit",
    "chiec",
    "xe",
    "diem",
    "muc",
    "mon",
    "loai",
    "noi dung",
    "nhom",
    "van ban",
    "vong",
    "chuyen",
    "tuoi",
    "truong hop",
    "vu",
    "ho",
    "don vi",
    "du an",
    "tinh",
    "xa",
    "phuong",
    "huyen",
    "dieu",
    "khoan",
    "chuong",
    "buoc",
    "tieu chi",
    "chi tieu",
    "nhiem vu",
    "giai phap",
    "muc tieu",
    "linh vuc",
    "van de",
    "tang",
    "phan",
    "doanh nghiep",
    "co so",
    "cong ty",
    "to chuc",
    "bai",
    "cau",
    "trang",
    "doan",
    "dot",
    "lop",
    "phong",
    "can",
    "canh",
    "cay",
    "con",
    "suat",
    "khau",
    "nhan vien",
    "chien si",
    "lao dong",
    "thanh vien",
    "hoi vien",
    "nganh",
    "dia phuong",
    "quyet dinh",
    "nghi quyet",
    "chi thi",
    "ke hoach",
    "de an",
    "chuong trinh",
    "du thao",
    "y kien",
    "diem moi",
    "bien phap",
    "tieu chuan",
    "doi tuong",
    "hoc bong",
    "chung",
)
_UNIT_RE = _compile(
    rf"{_S}+(?:ngay(?!{_S}*\d)|"
    + "|".join(u.replace(" ", _S + "+") for u in sorted(_UNITS, key=len, reverse=True))
    + rf"){_E}"
)

# "Quyết định 249 năm 2005": the year of issue, not a count of years (but
# "kế hoạch 5 năm 2006-2010" is a five-year plan).
_YEAR_OF_ISSUE_RE = _compile(rf"{_S}+nam{_S}+(?:19|20)\d\d{_E}")

# Words that end a reference when a list continues after it.
_STRONG_END_RE = _compile(rf"{_S}*(?:[,.;:)\]”\"]|\n|$)|{_S}+(?:cua|ve|ngay{_S}*\d|va|do|da|duoc){_E}")

# Issuing body after the reference: [, ngày <date>] của <body> [khóa <roman>].
_BODIES = [
    rf"(?:ban{_S}+chap{_S}+hanh|bch){_S}+(?:trung{_S}+uong|tw|t\.?u)(?:{_S}+dang)?",
    rf"bo{_S}+chinh{_S}+tri",
    rf"ban{_S}+bi{_S}+thu(?:{_S}+trung{_S}+uong(?:{_S}+dang)?)?",
    rf"thu{_S}+tuong(?:{_S}+chinh{_S}+phu)?",
    rf"van{_S}+phong{_S}+chinh{_S}+phu",
    rf"chinh{_S}+phu",
    rf"(?:uy{_S}+ban{_S}+thuong{_S}+vu|ubtv){_S}+quoc{_S}+hoi",
    rf"quoc{_S}+hoi",
    rf"hoi{_S}+nghi{_S}+trung{_S}+uong(?:{_S}+\d{{1,2}})?",
    rf"trung{_S}+uong(?:{_S}+dang)?",
    rf"(?:ban{_S}+thuong{_S}+vu{_S}+)?(?:tinh|thanh|huyen|quan|dang){_S}+uy",
]
_DATE = (
    rf"ngay{_S}+\d{{1,2}}(?:{_S}*[-–/.]{_S}*\d{{1,2}}(?:{_S}*[-–/.]{_S}*\d{{2,4}})?"
    rf"|{_S}+thang{_S}+\d{{1,2}}(?:{_S}+nam{_S}+\d{{4}})?)"
)
_KHOA = (  # "(khóa XIII)", ", khóa XII", "khoá 8"
    rf"{_S}*(?:(?P<open>\(){_S}*|,{_S}*)?khoa{_S}+(?P<roman>{_ROMAN}|\d{{1,2}}){_E}"
    rf"(?:{_S}*(?P<close>\)))?"
)
_KHOA_RE = _compile(_KHOA)
_BODY_RE = _compile(
    rf"{_S}*,?{_S}*(?:{_DATE}{_S}*,?{_S}*)?cua{_S}+(?P<body>(?:" + "|".join(_BODIES) + rf"){_E}(?:{_KHOA})?)"
)

# "Nghị quyết [Hội nghị] Trung ương 5", "Nghị quyết TW4", "Nghị quyết Hội nghị
# Trung ương lần thứ năm", "Nghị quyết Hội nghị lần thứ 5 Ban Chấp hành Trung
# ương"; an optional "(lần 2)" after the number ("Trung ương 6 (lần 2)").
_ORDINALS = {
    "nhat": 1,
    "hai": 2,
    "ba": 3,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
    "muoi mot": 11,
    "muoi hai": 12,
    "muoi ba": 13,
    "muoi bon": 14,
    "muoi lam": 15,
}
_SESSION_NUM = (
    rf"(?:lan{_S}+(?:thu{_S}+)?)?(?:\d{{1,2}}|(?<=thu{_S})(?:"
    + "|".join(w.replace(" ", _S + "+") for w in sorted(_ORDINALS, key=len, reverse=True))
    + "))"
)
_TW = rf"(?:trung{_S}+uong|t\.?{_S}?u|tw)"
_SESSION_RE = _compile(
    rf"{_S}+(?:(?:hoi{_S}+nghi{_S}+)?(?P<tw>{_TW}){_S}*(?P<n>{_SESSION_NUM})"
    rf"|hoi{_S}+nghi{_S}+(?P<n2>{_SESSION_NUM}){_S}+"
    rf"(?:ban{_S}+chap{_S}+hanh|bch){_S}+(?P<tw2>{_TW})(?:{_S}+dang)?){_E}"
    rf"(?:{_S}*\({_S}*lan{_S}+\d{_S}*\)|{_S}+lan{_S}+\d{_E})?"
)
_SESSION_MORE_RE = _compile(
    rf"{_S}*(?:,{_S}*(?:va{_S}+)?|{_S}+va{_S}+)(?:(?:hoi{_S}+nghi{_S}+)?(?P<tw>{_TW}){_S}*)?"
    rf"(?P<n>\d{{1,2}}){_E}"
)
# "Nghị quyết Đại hội XIII", "... Đại hội Đảng toàn quốc lần thứ XIII".
_CONGRESS_RE = _compile(
    rf"{_S}+dai{_S}+hoi{_S}+(?:dang{_S}+)?(?:dai{_S}+bieu{_S}+)?(?:toan{_S}+quoc{_S}+)?"
    rf"(?:(?P<lan>lan{_S}+thu){_S}+)?(?P<n>{_ROMAN}|\d{{1,2}}){_E}"
)
_NEXT_WORD_RE = _compile(rf"{_S}+([^\W\d_]+)")
# Issuing organs' codes that may follow "NĐ 158" written apart ("NĐ 158 CP").
_ORGAN_CODES = {"cp", "ttg", "tw", "ub", "ubnd", "qh"}
# A list continues: ", 22", " và 22", ", và số 22".
_LIST_MORE_RE = _compile(rf"{_S}*(?:,{_S}*(?:va{_S}+)?|{_S}+va{_S}+)(?:(?P<so>so){_S}+)?(?P<num>\d{{1,5}})(?!\d)")
# A symbol written without a type word: "21-KL/TW", "15/2008/NĐ-CP".  It must
# not follow a letter, digit, "-", "/" or "." (checked in code, for speed).
_BARE_RE = _compile(
    rf"(?P<num>\d{{1,5}})(?P<sep>{_S}*[-–/]{_S}*)"
    rf"(?P<sym>(?:(?:19|20)\d\d{_S}*/{_S}*)?(?P<abbr>"
    + "|".join(_ABBREVIATIONS)
    + rf"){_S}*[-–/]{_S}*[a-z][a-z0-9]*(?:[-–/][a-z0-9]+)*){_E}"
)
# Cheap test that a text may hold a bare symbol at all (most do not).
_BARE_HINT_RE = _compile(rf"[-–/]{_S}*(?:" + "|".join(_ABBREVIATIONS) + rf"){_S}*[-–/]")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50}

# -- names of laws, the Constitution, the Party Statute, articles --
# One word of a name, after spaces or a comma: "Đất", "HN&GĐ", "HIV/AIDS".
_NAME_TOKEN_RE = _compile(rf"(?:{_S}*(?P<comma>,){_S}*|{_S}+)(?P<w>[^\W\d_]+(?:[&/][^\W\d_]+)*)")
_MAX_NAME_TOKENS = 24
_MIN_GUESSED_WORDS, _MAX_GUESSED_WORDS = 2, 6
# A year after a name: "2013", "năm 2013", "(2005)"; not a range or a date.
_NAME_YEAR_RE = _compile(
    rf"{_S}*(?:(?P<open>\(){_S}*)?(?:(?P<nam>nam){_S}+)?(?P<year>(?:19|20)\d\d)(?!\d)"
    rf"(?(open){_S}*\))(?!{_S}*[-–/.]{_S}*\d)"
)
# A number after a name, apart from it ("Luật Kinh doanh 21,5"; not the glued
# list number of "1. Luật Đầu tư2. Luật Đất đai3."); on the next line only a
# decimal, as in a table of marks (a title's law followed by a body that starts
# with a date is a law).
_DIGIT_NEXT_RE = _compile(rf"{_S}+\d|\s*\n\s*\d+,\d")
# A law's number after its name: "số 58/2014/QH13", "45/2013/QH13".
_NAME_NUMBER_RE = _compile(rf"(?:{_S}+(?P<so>so)[:.]?)?{_S}+(?P<num>\d{{1,5}})(?!\d)")
# The year of issue after a number: "Nghị định số 146 năm 2018" (not "năm 2006-2010").
_ISSUE_YEAR_RE = _compile(rf"{_S}+(?P<nam>nam){_S}+(?P<year>(?:19|20)\d\d)(?!\d)(?!{_S}*[-–/.]{_S}*\d)")
_SYMBOL_YEAR_RE = _compile(r"((?:19|20)\d\d)(?:/|$)")
# A symbol of the National Assembly written alone: "58/2014/QH13" (a law).
_BARE_QH_RE = _compile(rf"(?P<num>\d{{1,4}}){_S}*/{_S}*(?P<sym>(?:19|20)\d\d{_S}*/{_S}*qh{_S}*\d{{1,2}}){_E}")
_CODE_ABBR_RE = _compile(r"(?:" + "|".join(_CODE_ABBREVIATIONS) + rf"){_E}")
# "Điều lệ Đảng Cộng sản Việt Nam": the Party's full name belongs to the span.
_PARTY_NAME_RE = _compile(rf"{_S}+cong{_S}+san{_S}+viet{_S}+nam{_E}")
# An article right before a reference: "[điểm a,] [khoản 2,] Điều 5[,] [của] ".
_ARTICLE_RE = _compile(
    rf"(?:(?P<diem>diem){_S}+[a-z]{_S}*,?{_S}*)?(?:(?P<khoan>khoan){_S}+\d{{1,3}}{_S}*,?{_S}*)?"
    rf"(?P<dieu>dieu){_S}+(?P<n>\d{{1,4}}){_S}*,?{_S}+(?:(?P<cua>cua){_S}+)?$"
)
_ARTICLE_WINDOW = 48
# Words before "luật" that make it part of another word or name: kỷ luật, pháp
# luật, quy luật, định luật, điều luật; a school (Đại học Luật, khoa Luật,
# cử nhân Luật), a law firm (công ty Luật), a convention (Công ước Luật biển).
_LAW_PREFIXES = {
    "ky",
    "phap",
    "quy",
    "dinh",
    "dieu",
    "bo",
    "hoc",
    "dh",
    "truong",
    "khoa",
    "nganh",
    "vien",
    "nhan",
    "si",
    "uoc",
    "ty",
}
# First words that are not a law's name: luật sư, luật pháp, luật lệ, luật gia, luật học.
_NOT_NAME_FIRST = {"su", "phap", "le", "gia", "hoc", "khoa", "sua", "nay", "moi", "ve", "cac"}
# Words that end a guessed name ("Luật Thủ đô quy định", "Luật Thủ đô được thông
# qua"), compared with their diacritics ("vệ" is not "về", "khí" is not "khi").
_NAME_STOP = frozenset(
    {
        "năm",
        "số",
        "và",
        "hay",
        "hoặc",
        "của",
        "về",
        "do",
        "cho",
        "thì",
        "mà",
        "này",
        "mới",
        "trong",
        "tại",
        "với",
        "để",
        "khi",
        "nhưng",
        "cũng",
        "vẫn",
        "sẽ",
        "phải",
        "không",
        "chưa",
        "nên",
        "vì",
        "từ",
        "theo",
        "sau",
        "trước",
        "như",
        "là",
        "được",
        "đã",
        "đang",
        "có",
        "ra",
        "vào",
        "lên",
        "đến",
        "tới",
        "nếu",
        "gồm",
        "bị",
        "rất",
        "còn",
        "lại",
        "chỉ",
        "đều",
        "vừa",
        "các",
        "một",
        "nhiều",
        "hiện",
        "điều",
        "khoản",
        "chương",
        "ở",
        "đó",
        "nay",
        "qua",
    }
)
_NAME_STOP_PAIRS = frozenset(
    {
        ("quy", "định"),
        ("thông", "qua"),
        ("ban", "hành"),
        ("hiệu", "lực"),
        ("sửa", "đổi"),
        ("bổ", "sung"),
        ("liên", "quan"),
        ("đi", "vào"),
        ("đưa", "ra"),
        ("nhấn", "mạnh"),
        ("yêu", "cầu"),
        ("hướng", "dẫn"),
        ("thi", "hành"),
        ("quốc", "tế"),
    }
)
# Words before "hiến pháp" that make it something else: tòa án hiến pháp, nhà hiến pháp.
_NOT_CONSTITUTION_BEFORE = {"an", "nha", "ban"}
# Capitalised words that may follow a Vietnamese document's name (not another country),
# and that may follow its "của" (Quốc hội, Chính phủ, Hội đồng, Ủy ban, Bộ, Tòa án ...).
_OWN_NEXT = {"viet", "vn", "nuoc", "nha", "dang", "quoc"}
_OWN_AFTER_OF = _OWN_NEXT | {"chinh", "hoi", "uy", "bo", "toa", "vien", "mat", "ban", "thu", "trung"}


# --- the data ----------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """One reference to a document, with its exact span in the text.

    ``number`` is the document's number ("21", "tw5", "dh-xiii"), or for a law
    known by its name the folded name ("dat-dai"), or "" for the Constitution
    and the Party Statute.  ``symbol`` follows the number ("KL/TW",
    "2008/NĐ-CP"); for a named law it is the law's whole symbol, number
    included ("58/2014/QH13").  ``name`` is a named law's display name
    ("Bảo hiểm xã hội"), ``year`` the year of issue when written (in the symbol
    or after the number or name), ``article`` the article cited ("110").
    """

    type: str
    code: str
    number: str
    symbol: str | None
    body: str | None
    start: int
    end: int
    text: str
    name: str | None = None
    year: str | None = None
    article: str | None = None

    @property
    def key(self) -> str:
        """The base key: ``"kl:21"``, ``"nq:tw5"``, ``"luat:dat-dai"``, ``"hp"``."""
        return f"{self.code}:{self.number}" if self.number else self.code

    def keys(self) -> list[str]:
        """Every key to index: the base key first, then more specific ones."""
        keys = [self.key]
        if _is_session(self) and self.body:
            roman = _khoa_roman(self.body)
            if roman:
                keys.append(f"{self.key}-{roman.lower()}")
        if self.year:
            keys.append(f"{self.key}/{self.year}")
        if self.symbol and self.name is not None:
            keys += _law_number_keys(self.symbol)
        elif self.symbol:
            specific = f"{self.key}/{_symbol_key(self.code, self.symbol)}"
            if specific not in keys:
                keys.append(specific)
        if self.article:
            keys.append(f"{self.key}#d{self.article}")
        return keys

    @property
    def label(self) -> str:
        """Human canonical name: "Kết luận 21-KL/TW", "Nghị quyết Trung ương 5 (khóa XIII)",
        "Luật Đất đai 2013", "Điều 110 Luật Bảo hiểm xã hội"."""
        article = f"Điều {self.article} " if self.article else ""
        return article + self._document_label()

    def _document_label(self) -> str:
        if _is_session(self):
            roman = _khoa_roman(self.body or "")
            tail = f" (khóa {roman})" if roman else ""
            return f"{self.type} Trung ương {self.number[2:]}{tail}"
        if self.code == "nq" and self.number.startswith("dh-"):
            return f"{self.type} Đại hội {self.number[3:].upper()}"
        if self.name is not None or not self.number:
            name = f" {self.name}" if self.name else ""
            tail = f" {self.symbol}" if self.symbol else f" {self.year}" if self.year else ""
            return f"{self.type}{name}{tail}"
        if self.symbol:
            return f"{self.type} {self.number}{_symbol_sep(self.code, self.symbol)}{self.symbol}"
        if self.year:
            return f"{self.type} {self.number}/{self.year}"
        return f"{self.type} {self.number}"

    def to_dict(self) -> dict:
        """Plain JSON-ready data, with ``key`` and ``label``."""
        return {
            "type": self.type,
            "code": self.code,
            "number": self.number,
            "symbol": self.symbol,
            "body": self.body,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "name": self.name,
            "year": self.year,
            "article": self.article,
            "key": self.key,
            "label": self.label,
        }


def _is_session(ref: Ref) -> bool:
    """A Central Committee session's resolution ("nq:tw5")."""
    return ref.code == "nq" and re.fullmatch(r"tw\d+", ref.number) is not None


def _law_number_keys(symbol: str) -> list[str]:
    """A named law's number keys from its whole symbol: "58/2014/QH13" →
    ``luat:58``, ``luat:58/2014``, ``luat:58/2014/qh13`` (what "Luật số
    58/2014/QH13" gives)."""
    number, _, rest = symbol.partition("/")
    base = f"luat:{_strip_zeros(number)}"
    keys = [base]
    year = _symbol_year(rest)
    if year:
        keys.append(f"{base}/{year}")
    specific = f"{base}/{_symbol_key('luat', rest)}"
    if rest and specific not in keys:
        keys.append(specific)
    return keys


# --- folding -------------------------------------------------------------------


_TABLE_SIZE = 0x2000  # Latin, Latin Extended Additional (Vietnamese), punctuation


class _FoldMap(dict):
    """``str.translate`` mapping: each character below U+2000 to one folded character,
    worked out the first time a text holds it (a search meets a few dozen of the
    8,192, so a cold search builds no whole table).

    A character that :func:`fold` would drop or expand is lower-cased instead, or
    kept when that too would change its length; characters from U+2000 up are
    left as they are.  Filling it from two threads at once stores equal values.
    """

    def __missing__(self, code: int) -> str:
        import unicodedata

        ch = chr(code)
        if code >= _TABLE_SIZE:
            out = ch
        elif code < 0x80:
            out = ch.lower()
        else:
            low = ch.lower()
            # Most characters fold to themselves: fold's own steps (look-alikes, case,
            # decomposition, marks, đ), checked cheaply before calling it.
            if (
                low == ch
                and fix_lookalikes(ch) == ch
                and unicodedata.normalize("NFD", ch) == ch
                and not unicodedata.combining(ch)
                and ch != "đ"
            ):
                out = ch
            else:
                out = fold(ch)
                if len(out) != 1:
                    out = low if len(low) == 1 else ch
        if code < _TABLE_SIZE or len(self) < _MAP_MAX:  # bounded, whatever texts it meets
            self[code] = out
        return out


_MAP_MAX = 0x4000
_FOLD_MAP = _FoldMap()


def fold_same_length(text: str) -> str:
    """Fold ``text`` character by character, so offsets into it stay valid.

    Equal to :func:`fold` for NFC Vietnamese text (``len`` always equal to
    ``len(text)``).  Lone combining marks and characters from U+2000 up are
    not removed, only kept, so they can never shift an offset.
    """
    return text.translate(_FOLD_MAP)


# --- small helpers -------------------------------------------------------------


def _written_as(word: str, canonical: str) -> bool:
    """True when ``word`` is ``canonical`` in any case and tone style, or plain ASCII."""
    if word.isascii():
        return True
    parts = word.split()
    want = canonical.lower().split()
    return len(parts) == len(want) and all(norm_syllable(p) == w for p, w in zip(parts, want))


def _at_word_start(f: str, pos: int, also: str = "") -> bool:
    """No letter or digit (nor any character of ``also``) just before ``pos``."""
    if pos == 0:
        return True
    before = f[pos - 1]
    return not (before.isalnum() or before in also)


def _abbr_ok(word: str) -> bool:
    """An abbreviation is all upper or all lower case ("KL", "kl"; not "Kh")."""
    return word.isupper() or word.islower()


def _strip_zeros(number: str) -> str:
    """``"03"`` → ``"3"``; ``"0"`` stays."""
    return number.lstrip("0") or "0"


def _is_year(number: str) -> bool:
    """A four-digit number between 1900 and 2100."""
    return len(number) == 4 and 1900 <= int(number) <= 2100


def _canonical_symbol(raw: str) -> str:
    """Symbol as written, without spaces; "TƯ" → "TW"; all-lower-case → upper."""
    s = re.sub(r"\s+", "", raw).replace("–", "-")
    s = re.sub(r"(?i)(?<![^\W_])t\.?ư(?![^\W_])", "TW", s)
    s = re.sub(r"^((?:19|20)\d\d)(?=[^\W\d_])", r"\1/", s)  # "2004QĐ-UB" -> "2004/QĐ-UB"
    return s.upper() if s == s.lower() else s


def _symbol_sep(code: str, symbol: str) -> str:
    """How a number joins its symbol in a label: Party style "21-KL/TW" (type
    abbreviation, then "/"), State style "15/2008/NĐ-CP", "187/QĐ-TTg", "152/CP"."""
    m = re.match(r"([^\W\d_]+)([-/]|$)", symbol)
    if not m:
        return "/"
    if m.group(2) == "/":
        return "-"
    if m.group(2) == "" and fold_same_length(m.group(1)) == _SYMBOL_ABBR.get(code):
        return "-"
    return "/"


def _symbol_key(code: str, symbol: str) -> str:
    """Folded symbol for a key: "KL/TW" under kl → "tw"; "2008/NĐ-CP" → "2008/nd-cp"."""
    s = fold_same_length(symbol)
    abbr = _SYMBOL_ABBR.get(code)
    m = re.fullmatch(r"([a-z]+)/([a-z][a-z0-9]*)", s)
    if m and abbr and m.group(1) == abbr:
        return m.group(2)
    return s


def _khoa_roman(body: str) -> str | None:
    """The roman numeral of a "khóa XIII" in ``body``, upper case, or None."""
    m = re.search(rf"khoa{_S}+({_ROMAN}){_E}", fold_same_length(body))
    return m.group(1).upper() if m else None


def _to_roman(n: int) -> str:
    """A small positive integer in roman numerals."""
    out = []
    for value, sym in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _is_roman(s: str) -> bool:
    """True for a well-formed roman numeral (I..L)."""
    total, prev = 0, 0
    for ch in reversed(s.lower()):
        v = _ROMAN_VALUES[ch]
        total += -v if v < prev else v
        prev = max(prev, v)
    return 0 < total <= 89 and _to_roman(total) == s.upper()


def _previous_word(f: str, pos: int) -> str:
    """The folded word that ends just before ``pos`` (skipping spaces)."""
    m = re.search(r"([^\W_]+)[^\S\n]*$", f[max(0, pos - 30) : pos])
    return m.group(1) if m else ""


def _symbol_code(symbol: str | None) -> str | None:
    """The document type a symbol names: "2005/NĐ-CP" → nd, "KL/TW" → kl, "QĐ-TTg" → qd
    (None for symbols that name only an issuing body: "CP", "QH11", "BNN-KH")."""
    if not symbol:
        return None
    m = re.match(r"(?:\d+/)?([a-z]+)(?:[-/]|$)", fold_same_length(symbol).lower())
    return _ABBREVIATIONS.get(m.group(1)) if m else None


def _symbol_year(symbol: str | None) -> str | None:
    """The year of issue a symbol starts with: "2008/NĐ-CP" → "2008", "2004" → "2004"."""
    m = _SYMBOL_YEAR_RE.match(symbol or "")
    return m.group(1) if m else None


def _make_ref(
    text: str,
    code: str,
    number: str,
    symbol: str | None,
    body: str | None,
    start: int,
    end: int,
    year: str | None = None,
) -> Ref:
    """Build a :class:`Ref` over ``text[start:end]``.  Between typed documents, a
    symbol naming another type wins over the type word ("quy định số
    16/2005/NĐ-CP" is Nghị định 16); a Công văn or a Luật keeps its word.  The
    year of issue is the symbol's, else ``year`` ("năm 2018" after the number)."""
    named = _symbol_code(symbol)
    if named and code not in ("cv", "luat") and _SYMBOL_ABBR.get(code) != _SYMBOL_ABBR.get(named):
        code = named
    year = _symbol_year(symbol) or year
    return Ref(REF_CODES[code], code, number, symbol, body, start, end, text[start:end], year=year)


# --- numbers and symbols after a type word --------------------------------------


def _parse_symbol(text: str, f: str, pos: int) -> tuple[str, int] | None:
    """A symbol starting at ``pos`` (just after a number): (canonical, end) or None."""
    sep = _SEP_RE.match(f, pos)
    if not sep:
        glued = _GLUED_SYMBOL_RE.match(f, pos)  # "Nghị định 36CP"
        if glued and text[pos : glued.end()].isupper():
            return _canonical_symbol(text[pos : glued.end()]), glued.end()
        return None
    spaced = sep.end() - sep.start() > 1
    at = sep.end()
    body = _SYMBOL_BODY_RE.match(f, at)
    if body:
        if spaced and not (text[at].isupper() or text[at].isdigit()):
            return None
        end = _issuer_after(text, f, body.end())
        return _canonical_symbol(text[at:end]), end
    if sep.group(1) == "/" and not spaced:
        year = _YEAR_RE.match(f, at)
        if year:
            return text[at : year.end()], year.end()
    return None


def _issuer_after(text: str, f: str, end: int) -> int:
    """A symbol that stops at a type abbreviation ("04/2006/QĐ - UBND",
    "40-CT/ T.Ư") continues over spaces with its issuer; returns the new end."""
    last = re.search(r"[a-z]+$", f[max(0, end - 3) : end])
    if not last or last.group() not in _SYMBOL_ABBREVIATIONS:
        return end
    m = _ISSUER_RE.match(f, end)
    if not m:
        return end
    issuer = text[m.start("issuer") : m.end()]
    return m.end() if sum(ch.isupper() for ch in issuer) >= 2 else end


def _number_ok(f: str, number: str, end: int, has_so: bool, code: str) -> bool:
    """Vet a number with no symbol: not a decimal, %, range, date, year or count."""
    if _BAD_AFTER_RE.match(f, end) or (_is_year(number) and not has_so):
        return False
    if has_so or (code != "kh" and _YEAR_OF_ISSUE_RE.match(f, end)):
        return True
    return not _UNIT_RE.match(f, end)


def _number_at(text: str, f: str, pos: int, has_so: bool, code: str):
    """Read ``<number>[<symbol>][ năm <year>]`` at ``pos``: (number, symbol,
    year, end) or None.  The year is read only when the symbol has none (and
    not after Kế hoạch: "kế hoạch 5 năm 2006-2010")."""
    m = _DIGITS_RE.match(f, pos)
    if not m:
        return None
    sym = _parse_symbol(text, f, m.end())
    if sym:
        if _is_year(m.group()) and sym[0].isdigit():
            return None  # "2006/2007"
        number, symbol, end = m.group(), sym[0], sym[1]
    elif _number_ok(f, m.group(), m.end(), has_so, code):
        number, symbol, end = m.group(), None, m.end()
    else:
        return None
    year = None
    if code != "kh" and not _symbol_year(symbol):
        got = _issue_year_at(text, f, end)
        if got:
            year, end = got
    return number, symbol, year, end


def _issue_year_at(text: str, f: str, pos: int) -> tuple[str, int] | None:
    """ " năm 2018" right after a number: (year, end), or None."""
    m = _ISSUE_YEAR_RE.match(f, pos)
    if not m or not _written_as(text[m.start("nam") : m.end("nam")], "năm"):
        return None
    return m.group("year"), m.end()


def _body_after(text: str, f: str, pos: int) -> str | None:
    """The issuing body written right after a reference ("của Bộ Chính trị")."""
    m = _BODY_RE.match(f, pos)
    if not m:
        return None
    return re.sub(r"\s+", " ", text[m.start("body") : m.end("body")]).strip(" ()")


_Item = tuple[str, str | None, str | None, int, int]  # number, symbol, year, start, end


def _list_more(text: str, f: str, code: str, pos: int) -> list[_Item]:
    """Further numbers of a list after one type word: ", 22", "và số 22-KL/TW"."""
    out: list[_Item] = []
    while True:
        m = _LIST_MORE_RE.match(f, pos)
        if not m:
            return out
        parsed = _number_at(text, f, m.start("num"), m.group("so") is not None, code)
        if not parsed:
            return out
        number, symbol, year, end = parsed
        if symbol is None and not _STRONG_END_RE.match(f, end):
            return out
        out.append((number, symbol, year, m.start("num"), end))
        pos = end


# --- the three kinds of reference after a type word ---------------------------


def _numbered(text: str, f: str, code: str, start: int, pos: int, abbr: bool) -> list[Ref]:
    """ "<type> [số] <number>[<symbol>]" (and a list after it) at ``pos``."""
    m = _NUMBER_RE.match(f, pos)
    if not m:
        return []
    has_so = m.group("so") is not None
    if has_so and not _written_as(text[m.start("so") : m.end("so")], "số"):
        return []
    if abbr and (has_so or m.group("qual")):
        return []
    if m.group("qual") and fold_same_length(m.group("qual")).startswith("huong") and code == "hd":
        return []
    parsed = _number_at(text, f, m.start("num"), has_so, code)
    if not parsed:
        return []
    number, symbol, year, end = parsed
    if code == "luat" and not symbol:
        return []
    if abbr and not symbol and not _abbr_end_ok(text, f, end):
        return []
    items: list[_Item] = [(number, symbol, year, start, end)]
    items += _list_more(text, f, code, end)
    body = _body_after(text, f, items[-1][4])
    return [_make_ref(text, code, _strip_zeros(n), s, body, a, b, y) for n, s, y, a, b in items]


def _abbr_end_ok(text: str, f: str, pos: int) -> bool:
    """ "KH 4419 TS" is a boat's registration, not Kế hoạch 4419: after an
    abbreviation and a bare number, an all-capitals word other than an issuing
    organ's code ends it."""
    m = _NEXT_WORD_RE.match(f, pos)
    if not m:
        return True
    word = text[m.start(1) : m.end(1)]
    return not (word.isupper() and len(word) > 1) or m.group(1) in _ORGAN_CODES


def _tw_ok(text: str, start: int, end: int) -> bool:
    """ "Trung ương" spelt right, or "TƯ"/"T.Ư"/"TW" in capitals."""
    word = text[start:end]
    folded = fold_same_length(word)
    if folded.startswith("trung"):
        return _written_as(word, "trung ương")
    return folded == "tw" or word.isupper()


def _khoa_at(text: str, f: str, pos: int) -> tuple[str | None, int]:
    """A "(khóa XIII)" / ", khóa XII" at ``pos``: (canonical body, end)."""
    m = _KHOA_RE.match(f, pos)
    if not m:
        return None, pos
    roman = m.group("roman")
    if roman.isdigit():
        if not 0 < int(roman) <= 30:
            return None, pos
        roman = _to_roman(int(roman))
    elif not _is_roman(roman):
        return None, pos
    if m.group("open") and not m.group("close"):
        return None, pos  # "(khóa XIII" never closed: leave it
    end = m.end() if m.group("open") else m.end("roman")
    return f"khóa {roman.upper()}", end


def _session_number(written: str) -> str:
    """ "5", "lần thứ 5", "lần thứ năm" (folded) → "5"."""
    digits = re.search(r"\d+", written)
    if digits:
        return str(int(digits.group()))
    word = re.sub(rf"^lan{_S}+thu{_S}+", "", written)
    return str(_ORDINALS[re.sub(r"\s+", " ", word)])


def _session(text: str, f: str, start: int, pos: int) -> list[Ref]:
    """ "Nghị quyết Trung ương 5 (khóa XIII)", and "…, Trung ương 7 khoá XII" after it."""
    m = _SESSION_RE.match(f, pos)
    if not m:
        return []
    tw = "tw" if m.group("tw") else "tw2"
    if not _tw_ok(text, m.start(tw), m.end(tw)):
        return []
    items = [(_session_number(m.group("n") or m.group("n2")), start, m.end())]
    end = m.end()
    while (more := _SESSION_MORE_RE.match(f, end)) is not None:
        if more.group("tw"):
            if not _tw_ok(text, more.start("tw"), more.end("tw")):
                break
            item_start = more.start("tw")
        elif _KHOA_RE.match(f, more.end()):  # "Trung ương 4, 5 (khóa XI)"
            item_start = more.start("n")
        else:
            break
        items.append((str(int(more.group("n"))), item_start, more.end()))
        end = more.end()
    body, khoa_end = _khoa_at(text, f, end)
    refs = []
    for i, (n, a, b) in enumerate(items):
        b = khoa_end if i == len(items) - 1 else b
        refs.append(_make_ref(text, "nq", f"tw{n}", None, body, a, b))
    return refs


def _congress(text: str, f: str, start: int, pos: int) -> list[Ref]:
    """ "Nghị quyết Đại hội XIII" (also "… Đại hội Đảng toàn quốc lần thứ XIII")."""
    m = _CONGRESS_RE.match(f, pos)
    if not m:
        return []
    n = m.group("n")
    if n.isdigit():
        if not m.group("lan") or not 0 < int(n) <= 30:
            return []
        roman = _to_roman(int(n))
    else:
        written = text[m.start("n") : m.end("n")]
        if not (written.isupper() or written.islower() and len(written) > 1) or not _is_roman(n):
            return []
        roman = n.upper()
    if not _congress_end_ok(text, f, m.end()):
        return []
    return [_make_ref(text, "nq", f"dh-{roman.lower()}", None, None, start, m.end())]


def _congress_end_ok(text: str, f: str, pos: int) -> bool:
    """Not another organisation's congress: "Đại hội VIII Công đoàn TP" is not the Party's."""
    m = _NEXT_WORD_RE.match(f, pos)
    if not m:
        return True
    word = text[m.start(1) : m.end(1)]
    return not word[0].isupper() or m.group(1) == "dang"


# --- documents known by their name ------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """One word of a name as folded (``","`` for a comma), with its span."""

    fold: str
    start: int
    end: int


def _slug(words: str) -> str:
    """Folded words of a name → key part: "Phòng, chống HIV/AIDS" → "phong-chong-hiv-aids"."""
    return "-".join(re.findall(r"[a-z0-9]+", fold(words)))


@dataclass(frozen=True)
class _Name:
    """A name of the table: its code and title, and its syllables as indexed
    (lower case, canonical tone; ``","`` for commas), to check diacritics."""

    code: str
    title: str
    syllables: tuple[str, ...]


def _name_words(written: str) -> list[str]:
    """The words and commas of a name: "Phòng, chống HIV/AIDS" → [Phòng , chống HIV/AIDS]."""
    return re.findall(r"[^\W_]+(?:/[^\W_]+)*|,", written)


@lru_cache(maxsize=1)
def _name_table() -> dict[tuple[str, ...], _Name]:
    """Folded words of a name (with its commas, and without) → :class:`_Name`.

    Built on first use from :data:`LAW_NAMES`, :data:`CODE_NAMES` and the aliases."""
    table: dict[tuple[str, ...], _Name] = {}

    def add(written: str, code: str, title: str) -> None:
        words = _name_words(written)
        for keep_commas in (True, False):
            kept = [w for w in words if keep_commas or w != ","]
            name = _Name(code, title, tuple(norm_syllable(w) for w in kept))
            table[tuple(fold(w) for w in kept)] = name

    for title in LAW_NAMES:
        add(title, "luat", title)
    for title in CODE_NAMES:
        add(title, "bl", title)
    for written, title in _NAME_ALIASES.items():
        add(written, "bl" if title in CODE_NAMES else "luat", title)
    return table


@lru_cache(maxsize=1)
def _titles_by_slug() -> dict[tuple[str, str], str]:
    """(code, slug) → title, for labels rebuilt from keys."""
    return {(n.code, _slug(n.title)): n.title for n in _name_table().values()}


def _name_tokens(f: str, pos: int) -> list[_Token]:
    """The words (and commas) after a type word, up to anything else."""
    out: list[_Token] = []
    while len(out) < _MAX_NAME_TOKENS:
        m = _NAME_TOKEN_RE.match(f, pos)
        if not m:
            break
        if m.group("comma"):
            out.append(_Token(",", m.start("comma"), m.end("comma")))
        out.append(_Token(m.group("w"), m.start("w"), m.end("w")))
        pos = m.end()
    return out


def _known_name(text: str, tokens: list[_Token], lower: bool) -> tuple[str, str, int] | None:
    """The longest name of the table at the start of ``tokens``: (code, title, end).

    In a text written with diacritics, the name's words must carry the
    title's ("Luật gia" is not Luật Giá, "Luật được" not Luật Dược); a
    one-word name typed without them must be capitalised ("luat gia" is a
    jurist, "Luat Gia" the law).  A short form ("BHXH") counts when written in
    capitals (or in a lower-case text)."""
    plain = text.isascii()
    folds: list[str] = []
    written: list[str | None] = []  # the word as written, None inside a short form
    last_of: list[int] = []  # for each word, the index of the token it ends, or -1
    for i, t in enumerate(tokens):
        w = text[t.start : t.end]
        expanded = NAME_ABBREVIATIONS.get(t.fold)
        if expanded and (w.isupper() or lower):
            parts = expanded.split()
            folds += parts
            written += [None] * len(parts)
        else:
            parts = [t.fold]
            folds.append(t.fold)
            written.append(w)
        last_of += [-1] * (len(parts) - 1) + [i]
    table = _name_table()
    for n in range(len(folds), 0, -1):
        if last_of[n - 1] < 0 or folds[n - 1] == ",":
            continue
        name = table.get(tuple(folds[:n]))
        if name is None or not all(
            w is None or plain or norm_syllable(w) == want for w, want in zip(written[:n], name.syllables)
        ):
            continue
        one = written[0]
        if n == 1 and one is not None and one.islower() and norm_syllable(one) != name.syllables[0]:
            continue
        return name.code, name.title, tokens[last_of[n - 1]].end
    return None


@lru_cache(maxsize=1)
def _plain_stops() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """:data:`_NAME_STOP` and its pairs without diacritics, for text typed without them."""
    return (frozenset(fold(w) for w in _NAME_STOP), frozenset((fold(a), fold(b)) for a, b in _NAME_STOP_PAIRS))


def _stops_name(prev: str | None, word: str) -> tuple[bool, bool]:
    """Does ``word`` (as written) end a guessed name, and does it take the word
    before it along ("quy" of "quy định")?  (ends, drop previous)."""
    if word.isascii():
        stops, pairs = _plain_stops()
        norm, before = word.lower(), fold(prev) if prev else None
    else:
        stops, pairs = _NAME_STOP, _NAME_STOP_PAIRS
        norm, before = norm_syllable(word), norm_syllable(prev) if prev else None
    if norm in stops:
        return True, False
    return (True, True) if before and (before, norm) in pairs else (False, False)


def _guessed_name(text: str, tokens: list[_Token]) -> tuple[str, int] | None:
    """A capitalised name not in the table ("Luật Thủ đô quy định" → "Thủ đô"):
    (display name, end), or None.  Two to six words: the first capitalised, the
    others lower case, up to a function word or a comma; a longer run is
    running text, not a name."""
    first = tokens[0]
    written = text[first.start : first.end]
    if first.fold == "," or first.fold in _NOT_NAME_FIRST:
        return None
    if not written[0].isupper() or (written.isupper() and len(written) > 1):
        return None
    kept = [first]
    for t in tokens[1:]:
        w = text[t.start : t.end]
        if t.fold == "," or not w.islower():
            break
        ends, drop = _stops_name(text[kept[-1].start : kept[-1].end], w)
        if ends:
            if drop:
                kept.pop()
            break
        if len(kept) == _MAX_GUESSED_WORDS:
            return None
        kept.append(t)
    if len(kept) < _MIN_GUESSED_WORDS:
        return None
    end = kept[-1].end
    return re.sub(r"\s+", " ", text[first.start : end]), end


def _next_word(text: str, f: str, pos: int) -> tuple[str, str, int] | None:
    """The word right after ``pos`` (spaces only between): (written, folded, end)."""
    m = _NEXT_WORD_RE.match(f, pos)
    return (text[m.start(1) : m.end(1)], m.group(1), m.end()) if m else None


def _foreign_after(text: str, f: str, pos: int, caps: bool) -> bool:
    """Another country's or the world's law: "Hiến pháp Mỹ", "Hiến pháp của Iraq",
    "Hiến pháp châu Âu", "Luật Lao động Hàn Quốc", "Luật Thương mại quốc tế".
    ``caps``: the reference is written in capitals (a headline), where a
    capitalised next word says nothing."""
    nxt = _next_word(text, f, pos)
    if nxt is None:
        return False
    written, folded, end = nxt
    if folded == "chau":
        return True
    if folded in ("quoc", "cua"):
        after = _next_word(text, f, end)
        if folded == "quoc":
            return after is not None and after[1] == "te"
        return (
            after is not None
            and after[0][0].isupper()
            and not after[0].isupper()
            and after[1] not in _OWN_AFTER_OF
            and not caps
        )
    return written[0].isupper() and not caps and folded not in _OWN_NEXT


def _year_after_name(text: str, f: str, pos: int) -> tuple[str, int] | None:
    """ "2013", "năm 2013", "(2005)" right after a name: (year, end), or None."""
    m = _NAME_YEAR_RE.match(f, pos)
    if not m:
        return None
    if m.group("nam") and not _written_as(text[m.start("nam") : m.end("nam")], "năm"):
        return None
    return m.group("year"), m.end()


def _law_symbol_after(text: str, f: str, pos: int) -> tuple[str, int] | None:
    """ "số 58/2014/QH13" or "58/2014/QH13" after a law's name: (whole symbol, end)."""
    m = _NAME_NUMBER_RE.match(f, pos)
    if not m:
        return None
    if m.group("so") and not _written_as(text[m.start("so") : m.end("so")], "số"):
        return None
    sym = _parse_symbol(text, f, m.end("num"))
    if not sym:
        return None
    return f"{_strip_zeros(m.group('num'))}/{sym[0]}", sym[1]


def _edition(text: str, f: str, pos: int) -> tuple[str | None, str | None, int]:
    """The symbol or year after a name: (symbol, year, end); end is ``pos`` when neither."""
    sym = _law_symbol_after(text, f, pos)
    if sym:
        return sym[0], _symbol_year(sym[0].partition("/")[2]), sym[1]
    year = _year_after_name(text, f, pos)
    if year:
        return None, year[0], year[1]
    return None, None, pos


def _named_law(text: str, f: str, code: str, start: int, pos: int, lower: bool) -> list[Ref]:
    """ "Luật Đất đai năm 2003", "Bộ luật Lao động 2019", "Luật BHXH số 58/2014/QH13".

    "Luật" capitalised: a name of the table in any case, or a guessed
    capitalised name.  "luật" in lower case (running text: "luật sư", "luật
    giao thông"): only a name of the table, written capitalised ("sửa luật Tổ
    chức Quốc hội") or after "dự" ("dự luật bảo hiểm xã hội", a bill)."""
    word = text[start:pos]
    before = _previous_word(f, start)
    if before in _LAW_PREFIXES:
        return []
    tokens = _name_tokens(f, pos)
    if not tokens:
        return []
    known = _known_name(text, tokens, lower)
    if known:
        found_code, name, end = known
        if code == "bl" and found_code != "bl":
            return []
        if not (word[0].isupper() or lower or before == "du" or text[tokens[0].start].isupper()):
            return []
        code = found_code
    else:
        if code == "bl" or lower or not word[0].isupper() or word.isupper():
            return []
        guessed = _guessed_name(text, tokens)
        if guessed is None:
            return []
        name, end = guessed
    if _foreign_after(text, f, end, word.isupper()):
        return []
    symbol, year, after = _edition(text, f, end)
    if after == end and _DIGIT_NEXT_RE.match(f, end):
        return []  # "Luật Kinh doanh 21,5 (A)": a table of marks, not a law
    end = after
    body = _body_after(text, f, end)
    return [Ref(REF_CODES[code], code, _slug(name), symbol, body, start, end, text[start:end], name=name, year=year)]


def _constitution(text: str, f: str, start: int, pos: int, lower: bool) -> list[Ref]:
    """ "Hiến pháp", "Hiến pháp năm 1992" (Vietnam's; capitalised in running text)."""
    word = text[start:pos]
    if not (word[0].isupper() or lower) or _previous_word(f, start) in _NOT_CONSTITUTION_BEFORE:
        return []
    _, year, end = _edition(text, f, pos)
    if year is None and _foreign_after(text, f, pos, word.isupper()):
        return []
    return [Ref(REF_CODES["hp"], "hp", "", None, None, start, end, text[start:end], year=year)]


def _statute(text: str, f: str, start: int, pos: int, lower: bool) -> list[Ref]:
    """ "Điều lệ Đảng [Cộng sản Việt Nam]" ("Đảng" capitalised in running text)."""
    party = text[start:pos].split()[-1]
    if not (party[0].isupper() or lower):
        return []
    nxt = _next_word(text, f, pos)
    if nxt and nxt[1] in ("bo", "vien", "uy"):  # "Đảng bộ", "đảng viên", "Đảng ủy"
        return []
    m = _PARTY_NAME_RE.match(f, pos)
    end = m.end() if m else pos
    _, year, end = _edition(text, f, end)
    return [Ref(REF_CODES["dld"], "dld", "", None, None, start, end, text[start:end], year=year)]


def _code_abbreviations(text: str, f: str) -> Iterator[Ref]:
    """ "BLHS 2015", "BLLĐ": the codes by their abbreviation, in capitals (not
    "(BLDS)", which only introduces the abbreviation of a code just named)."""
    for m in _CODE_ABBR_RE.finditer(f):
        if not _at_word_start(f, m.start()) or (m.start() and f[m.start() - 1] == "("):
            continue
        if not (text[m.start() : m.end()].isupper() or text == text.lower()):
            continue
        title = _name_table()[tuple(_CODE_ABBREVIATIONS[m.group()].split())].title
        _, year, end = _edition(text, f, m.end())
        yield Ref(
            REF_CODES["bl"],
            "bl",
            _slug(title),
            None,
            None,
            m.start(),
            end,
            text[m.start() : end],
            name=title,
            year=year,
        )


def _with_article(text: str, f: str, ref: Ref, floor: int) -> Ref:
    """``ref`` widened to an article written right before it ("Điều 110 Luật
    BHXH", "khoản 2 Điều 5 Nghị định 15"), not reaching back before ``floor``."""
    lo = max(floor, ref.start - _ARTICLE_WINDOW)
    m = _ARTICLE_RE.search(f, lo, ref.start)
    if not m or not _at_word_start(f, m.start()):
        return ref
    for group, word in (("dieu", "điều"), ("khoan", "khoản"), ("diem", "điểm"), ("cua", "của")):
        if m.group(group) and not _written_as(text[m.start(group) : m.end(group)], word):
            return ref
    article = _strip_zeros(m.group("n"))
    if article == "0":
        return ref
    return replace(ref, start=m.start(), text=text[m.start() : ref.end], article=article)


# --- the passes ------------------------------------------------------------------


def _typed(text: str, f: str) -> Iterator[Ref]:
    """References that start with a type word (full or abbreviated)."""
    lower: bool | None = None  # the text has no capital letter (a query typed casually)
    for m in _TYPE_RE.finditer(f):
        if not _at_word_start(f, m.start()):
            continue
        word = text[m.start() : m.end()]
        folded = re.sub(r"\s+", " ", m.group())
        abbr = folded in _ABBREVIATIONS
        if abbr:
            code = _ABBREVIATIONS[folded]
            if not _abbr_ok(word):
                continue
        else:
            code = _FULL_WORDS[folded]
            if not _written_as(word, REF_CODES[code]):
                continue
            if code == "luat" and _previous_word(f, m.start()) in _LAW_PREFIXES:
                continue
        refs: list[Ref] = []
        if code in _NAMED_CODES or code in _SINGLE_CODES:
            if lower is None:
                lower = text == text.lower()
            if code == "hp":
                refs = _constitution(text, f, m.start(), m.end(), lower)
            elif code == "dld":
                refs = _statute(text, f, m.start(), m.end(), lower)
            else:  # "Luật Đất đai", else "Luật số 52/2019/QH14"
                refs = _named_law(text, f, code, m.start(), m.end(), lower)
                code = "luat"
        elif code == "nq":
            refs = _session(text, f, m.start(), m.end()) or _congress(text, f, m.start(), m.end())
        if not refs and code not in _SINGLE_CODES:
            refs = _numbered(text, f, code, m.start(), m.end(), abbr)
        yield from refs


def _bare(text: str, f: str) -> Iterator[Ref]:
    """Symbols written without a type word: "21-KL/TW", "15/2008/NĐ-CP"."""
    if not _BARE_HINT_RE.search(f):
        return
    for m in _BARE_RE.finditer(f):
        if not _at_word_start(f, m.start(), "-–/."):
            continue
        spaced = m.end("sep") - m.start("sep") > 1
        if spaced and not text[m.start("sym")].isupper():
            continue
        if _is_year(m.group("num")):
            continue
        code = _ABBREVIATIONS[m.group("abbr")]
        symbol = _canonical_symbol(text[m.start("sym") : m.end("sym")])
        body = _body_after(text, f, m.end())
        yield _make_ref(text, code, _strip_zeros(m.group("num")), symbol, body, m.start(), m.end())


def _bare_laws(text: str, f: str) -> Iterator[Ref]:
    """A National Assembly symbol written alone: "58/2014/QH13" is Luật số 58/2014/QH13."""
    if "qh" not in f:
        return
    for m in _BARE_QH_RE.finditer(f):
        if not _at_word_start(f, m.start(), "-–/.") or _is_year(m.group("num")):
            continue
        symbol = _canonical_symbol(text[m.start("sym") : m.end("sym")])
        if "QH" not in symbol:
            continue
        yield _make_ref(
            text, "luat", _strip_zeros(m.group("num")), symbol, _body_after(text, f, m.end()), m.start(), m.end()
        )


def _non_overlapping(refs: list[Ref]) -> list[Ref]:
    """Sort by start; on overlap keep the earlier (then longer) reference."""
    out: list[Ref] = []
    for r in sorted(refs, key=lambda r: (r.start, -r.end)):
        if not out or r.start >= out[-1].end:
            out.append(r)
    return out


def find_refs(text: str) -> list[Ref]:
    """All document references in ``text`` (display text: NFC, Đ not Ð).

    Returns them sorted by start, non-overlapping; ``text[r.start:r.end]`` is
    the reference as written.
    """
    if not text:
        return []
    f = fold_same_length(text)
    refs = _non_overlapping([*_typed(text, f), *_bare(text, f), *_bare_laws(text, f), *_code_abbreviations(text, f)])
    out: list[Ref] = []
    for r in refs:
        out.append(_with_article(text, f, r, out[-1].end if out else 0))
    return out


# --- keys back to names -------------------------------------------------------------

_KEY_RE = _compile(r"(?P<code>[a-z]+):(?P<rest>[^\s#]+)")
_SINGLE_KEY_RE = _compile(r"(?P<code>[a-z]+)(?:/(?P<year>(?:19|20)\d\d))?")
_ARTICLE_KEY_RE = _compile(r"(?P<doc>[^\s#]+)#d(?P<article>[1-9]\d*)")
_NAMED_KEY_RE = _compile(r"(?P<slug>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?:/(?P<year>(?:19|20)\d\d))?")
# A stripped Party-style symbol key ("kl:21/tw"): the issuing Party organ,
# Trung ương (TW), tỉnh/thành ủy (TU), huyện/quận ủy (HU, QU), đảng ủy (ĐU),
# ban cán sự (BCS) ...  Anything else reads as a State symbol ("nd:152/cp").
_PARTY_ORGAN_RE = _compile(r"[a-z]*(?:tw|tu|hu|qu|du|bcs)")


def _parse_key(key: str) -> tuple[str, str, str | None]:
    """``"luat:dat-dai/2013#d5"`` → ("luat", "dat-dai/2013", "5"); ``"hp/2013"`` →
    ("hp", "2013", None).  Raises :class:`QueryError` for anything else."""
    m = _ARTICLE_KEY_RE.fullmatch(key)
    doc, article = (m.group("doc"), m.group("article")) if m else (key, None)
    m = _KEY_RE.fullmatch(doc)
    if m and m.group("code") in REF_CODES and m.group("code") not in _SINGLE_CODES:
        return m.group("code"), m.group("rest"), article
    m = _SINGLE_KEY_RE.fullmatch(doc)
    if m and m.group("code") in _SINGLE_CODES:
        return m.group("code"), m.group("year") or "", article
    raise QueryError(f"not a reference key: {key!r} (expected e.g. 'kl:21')")


def key_type(key: str) -> str:
    """The type name of a key: ``"kl:21"`` → ``"Kết luận"``, ``"hp/2013"`` → ``"Hiến pháp"``."""
    return REF_CODES[_parse_key(key)[0]]


def _display_chunks(symbol_key: str) -> str:
    """``"2008/nd-cp"`` → ``"2008/NĐ-CP"``."""
    return re.sub(r"[a-z0-9]+", lambda c: _CHUNK_DISPLAY.get(c.group(), c.group().upper()), symbol_key)


def key_label(key: str) -> str:
    """Human name of a key: ``"kl:21/tw"`` → ``"Kết luận 21-KL/TW"``,
    ``"luat:bao-hiem-xa-hoi#d110"`` → ``"Điều 110 Luật Bảo hiểm xã hội"``.

    Works from the key alone.  A law's name comes back with its diacritics
    when it is in the table (:data:`LAW_NAMES`); a guessed name is shown as
    folded in the key ("Luật Thu do"), so prefer a reference's stored label.
    """
    code, rest, article = _parse_key(key)
    prefix = f"Điều {article} " if article else ""
    return prefix + _key_document_label(key, code, rest)


def _key_document_label(key: str, code: str, rest: str) -> str:
    name = REF_CODES[code]
    if code in _SINGLE_CODES:
        return f"{name} {rest}" if rest else name
    m = re.fullmatch(r"tw(\d+)(?:-([ivxl]+))?", rest)
    if m and code == "nq":
        tail = f" (khóa {m.group(2).upper()})" if m.group(2) else ""
        return f"{name} Trung ương {m.group(1)}{tail}"
    m = re.fullmatch(r"dh-([ivxl]+)", rest)
    if m and code == "nq":
        return f"{name} Đại hội {m.group(1).upper()}"
    m = re.fullmatch(r"(\d+)(?:/(.+))?", rest)
    if m:
        return _numbered_label(name, code, m.group(1), m.group(2))
    m = _NAMED_KEY_RE.fullmatch(rest)
    if m and code in _NAMED_CODES:
        slug = m.group("slug")
        title = _titles_by_slug().get((code, slug)) or slug.replace("-", " ").capitalize()
        return f"{name} {title}" + (f" {m.group('year')}" if m.group("year") else "")
    raise QueryError(f"not a reference key: {key!r} (expected e.g. 'kl:21')")


def _numbered_label(name: str, code: str, number: str, sym: str | None) -> str:
    """ "Kết luận 21", "Kết luận 21-KL/TW", "Nghị định 15/2008/NĐ-CP" from a key's parts."""
    if not sym:
        return f"{name} {number}"
    abbr = _SYMBOL_ABBR.get(code)
    if abbr and _PARTY_ORGAN_RE.fullmatch(sym):
        return f"{name} {number}-{_display_chunks(abbr)}/{_display_chunks(sym)}"
    if re.fullmatch(r"[a-z]+/[a-z][a-z0-9]*", sym):
        return f"{name} {number}-{_display_chunks(sym)}"
    return f"{name} {number}/{_display_chunks(sym)}"
