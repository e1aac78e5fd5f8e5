"""Measure reference search on the VNTC "Chính trị Xã hội" slice.

    python benchmarks/refs_search.py                      # full slice: build, query, report
    python benchmarks/refs_search.py --n 1000             # quick run on the first 1,000 articles
    python benchmarks/refs_search.py --index DIR          # reuse an index built from the same slice
    python benchmarks/refs_search.py --vntc PATH          # the corpus elsewhere (e.g. run from a snapshot)

What it does, on the articles of category "Chính trị Xã hội" of
``../shared/corpora/vntc.jsonl.xz`` (12,547 of them):

1. writes them as one JSONL corpus under the work dir and builds the index with
   :func:`searcher.build_index` on every core (timed), unless ``--index`` is given;
2. takes the ``--top`` (40) base references cited by the most bulletins, from
   :meth:`Searcher.refs` (``nd:181``, ``nq:tw6``, ``nq:dh-ix``; the symbol keys
   ``nd:61/cp`` are attached to their base key as its "symbol form"), and the
   ``--top-laws`` (20) laws and codes named most often (``luat:dat-dai``,
   ``bl:dan-su``; a year key ``luat:dat-dai/2003`` gives the "year form");
3. for each, runs the queries a user would type: the label ("Nghị định 181",
   "Luật Đất đai"), and, when bulletins wrote it with a symbol or a year, the
   most written symbol or year form ("Nghị định 61/CP", "Luật Đất đai 2003"),
   each with diacritics and without
   (:func:`searcher.evaluation.strip_diacritics`);
4. judges every hit with an **independent check** (:func:`cite_spans`): a
   deliberately simple regex over the article's own text (title + body as
   published, diacritics stripped, lower case) that knows nothing of
   ``searcher.refs``: the type word, full or abbreviated, then within a few
   characters an optional "số" and the same number, word-bounded, and not a
   decimal, a percentage, a date or a fraction ("/" or "-" plus a number that
   is not a year); or the bare symbol ("181/2004/NĐ-CP", "36-NQ/TW"); session
   and congress resolutions by their own simple pattern; a law by "luật" (or
   "bộ luật") and the words of its name, commas optional, any case, not after
   "pháp"/"kỷ";
5. measures P@5 (share of the top-5 hits that cite the document; over the hits
   returned when fewer than 5) and R@10 (citing hits in the top 10 /
   min(10, articles that cite it by the check)), and the latency of every query;
6. lists every disagreement between the check and the engine (an engine hit
   the check rejects, an article the check accepts that the engine never
   returns), with context, for reading by hand.  Verdicts read by hand are in
   :data:`HAND_VERDICTS`; the report gives the figures by the check, and again
   with those verdicts applied.

The report goes to ``benchmarks/results/refs_search.md`` (``--out``); the
part between ``<!-- hand-notes -->`` and ``<!-- /hand-notes -->`` of an
existing report is kept across runs.  Disagreements also go, as JSON lines, to
``<work>/disagreements.jsonl``.  Exits 2 when ``../shared`` is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import lzma
import os
import platform
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from searcher.evaluation import strip_diacritics  # noqa: E402
from searcher.normalise import clean_text  # noqa: E402

VNTC = ROOT.parent / "shared" / "corpora" / "vntc.jsonl.xz"
CATEGORY = "Chính trị Xã hội"
DEFAULT_WORK = ROOT / "benchmarks" / "work" / "refs_index"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "refs_search.md"
TARGET_P5, TARGET_R10 = 0.95, 0.9
CONTEXT = 70
LATENCY_ROUNDS = 3
ALL_HITS = 1000  # "every hit" for the disagreement listing
BUILD_RECORD = "build.json"  # beside the index: the build figures, for runs with --index
NOTES_START, NOTES_END = "<!-- hand-notes -->", "<!-- /hand-notes -->"

#: Verdicts read by hand on disagreements: (base key, article id) -> (cites?, why).
#: ``True`` = the article does cite that document (the check missed it);
#: ``False`` = it does not (the check or the engine was fooled).  Filled in
#: after reading the disagreement listing of a full run; see the report.
HAND_VERDICTS: dict[tuple[str, str], tuple[bool, str]] = {
    ("ct:1", "vntc-test-XH_NLD_T_9058"): (False, "“chỉ thi 1 vòng”: sits only one exam round"),
    ("ct:1", "vntc-train-XH_VNE_482"): (False, "“bị đình chỉ thi; 1 trường hợp…”: barred from the exam"),
    ("nd:16", "vntc-test-XH_VNE_T_5628"): (
        True, ("“quy định số 16/2005/NĐ-CP … của Chính phủ”: the symbol names Nghị định 16/2005/NĐ-CP "
        "(the engine has filed it so since the symbol names the type)")),
    ("nd:5", "vntc-test-XH_NLD_T_9100"): (
        False, ("“Nghị định 05/2005/NQ-CP”: the symbol names Nghị quyết 05/2005/NQ-CP (the Government's "
        "resolution); the type word is the writer's slip, the engine files it as nq:5")),
    ("nd:181", "vntc-test-XH_TT_T_10072"): (
        True, ("“siêu nghị định” 181 về thi hành Luật đất đai: the engine misses it (closing quote "
        "between type word and number)")),
    ("nd:31", "vntc-train-XH_VNE_552"): (
        True, ("“Nghị định 87/CP, 31/CP của Chính phủ”: a list; the engine is right, the check reads "
        "only the first number")),
    ("nd:61", "vntc-test-XH_VNE_T_5707"): (
        True, "“mua nhà theo nghị định 61 phần diện tích cũ”: the engine takes “61 phần” for a count"),
    ("nq:dh-x", "vntc-train-XH_TN_1401"): (
        True, "“NQ Đại hội Đảng lần thứ X”: the engine is right, the check knows no “NQ” for congresses"),
    ("tt:17", "vntc-test-XH_VNE_T_7825"): (False, "“xe lưu thông từ 17h”: traffic from 5 pm"),
    ("tt:17", "vntc-test-XH_VNE_T_4264"): (
        True, "“thông tư liên tịch số 17”: the engine is right, the check does not allow “liên tịch”"),
    ("tt:2", "vntc-train-XH_TT_2946"): (
        True, "“thông tư liên tịch 02/2003”: the engine is right, the check does not allow “liên tịch”"),
    ("tt:3", "vntc-train-XH_NLD_4678"): (
        True, "“Thông tư liên tịch số 03”: the engine is right, the check does not allow “liên tịch”"),
}


def _same_verdict(key: str, ids: str, cites: bool, why: str) -> dict[tuple[str, str], tuple[bool, str]]:
    """One verdict for several articles (ids: short VNTC ids, space-separated)."""
    return {(key, f"vntc-{i}"): (cites, why) for i in ids.split()}


#: Verdicts on the named laws (issue 14), read in the listings of the two full runs.
HAND_VERDICTS.update({
    # the engine is right, the check knows no short names or informal names
    **_same_verdict("luat:doanh-nghiep", "test-XH_NLD_T_9781 test-XH_TT_T_10073 test-XH_TT_T_10094 "
                    "test-XH_TT_T_10316 train-XH_NLD_3982 train-XH_TT_2915 train-XH_TT_3619", True,
                    "“Luật DN”: the engine is right, the check knows no “DN”"),
    **_same_verdict("luat:bao-hiem-xa-hoi", "test-XH_TT_T_10024 train-XH_TN_1579", True,
                    "“Luật BHXH”: the engine is right, the check knows no “BHXH”"),
    **_same_verdict("luat:to-chuc-quoc-hoi", "train-XH_NLD_4155 train-XH_NLD_4221 train-XH_TN_1330 "
                    "train-XH_TN_1559 train-XH_TT_3418", True,
                    "“Luật Tổ chức QH”: the engine is right, the check knows no “QH”"),
    **_same_verdict("luat:phong-chong-tham-nhung", "test-XH_VNE_T_3646 test-XH_VNE_T_3975 test-XH_VNE_T_4098 "
                    "test-XH_VNE_T_4121 test-XH_VNE_T_8041 train-XH_NLD_4077 train-XH_NLD_4418 "
                    "train-XH_NLD_4519 train-XH_VNE_1241 train-XH_VNE_929 train-XH_VNE_941", True,
                    "“Luật chống tham nhũng”: the name writers used for the bill and the 2005 law "
                    "Phòng, chống tham nhũng; the engine is right, the check wants the title"),
    ("luat:thuc-hanh-tiet-kiem-chong-lang-phi", "vntc-train-XH_NLD_4519"): (
        True, "“Luật Chống lãng phí”, the short name of Thực hành tiết kiệm, chống lãng phí"),
    **_same_verdict("luat:bao-ve-cham-soc-va-giao-duc-tre-em",
                    "test-XH_NLD_T_9507 test-XH_VNE_T_131 test-XH_VNE_T_4739", True,
                    "“Luật Chăm sóc (và Giáo dục/bảo vệ) trẻ em”: short forms of the title; the engine is right"),
    **_same_verdict("bl:hang-hai-viet-nam", "test-XH_NLD_T_9166 test-XH_VNE_T_3125 test-XH_VNE_T_3646 "
                    "test-XH_VNE_T_4275 test-XH_VNE_T_9053 test-XH_VNE_T_9071 train-XH_TT_2943 train-XH_VNE_618",
                    True, "“Bộ luật hàng hải”, “Luật Hàng hải”: the code without “Việt Nam”; the engine is right"),
    ("bl:hang-hai-viet-nam", "vntc-test-XH_VNE_T_1950"): (
        True, "“vi phạm luật hàng hải Việt Nam”: the code, in lower case; the engine leaves lower-case "
        "“luật” out on purpose (a miss)"),
    **_same_verdict("luat:giao-thong-duong-bo", "test-XH_TT_T_10067 test-XH_TT_T_9821 test-XH_VNE_T_1860 "
                    "test-XH_VNE_T_2130 test-XH_VNE_T_2739 test-XH_VNE_T_3667 test-XH_VNE_T_3723 "
                    "test-XH_VNE_T_5078 test-XH_VNE_T_5445 test-XH_VNE_T_6543 test-XH_VNE_T_7846 "
                    "test-XH_VNE_T_960 train-XH_NLD_4902 train-XH_TN_1371 train-XH_VNE_854", True,
                    "“vi phạm / chấp hành Luật giao thông”: the road traffic law (2001), capitalised; "
                    "the engine reads it so, the check wants the whole title"),
    ("luat:giao-thong-duong-bo", "vntc-test-XH_VNE_T_2526"): (
        False, "“Luật giao thông thuỷ”: the inland waterway law (the first run read it as the road law; "
        "fixed before the second)"),
    **_same_verdict("luat:giao-thong-duong-bo", "test-XH_VNE_T_210 test-XH_VNE_T_7605", True,
                    "“luật giao thông đường bộ” in lower case: the law; left out on purpose (a miss)"),
    ("luat:giao-thong-duong-bo", "vntc-train-XH_VNE_1299"): (
        True, "“Theo quy định Luật giao thông đường bộ VN”: the engine misses it (“định Luật” is read "
        "as “định luật”, a physical law)"),
    ("luat:giao-thong-duong-bo", "vntc-test-XH_VNE_T_6108"): (
        False, "“chấp hành luật giao thông đường bộ của người dân ở các nước phát triển”: other countries"),
    # the check was fooled
    **_same_verdict("luat:duoc", "test-XH_NLD_T_9252 test-XH_NLD_T_9671 test-XH_TN_T_8699 test-XH_VNE_T_2526 "
                    "test-XH_VNE_T_3204 test-XH_VNE_T_4323 test-XH_VNE_T_4479 test-XH_VNE_T_5898 "
                    "test-XH_VNE_T_6705 test-XH_VNE_T_675 test-XH_VNE_T_6951 test-XH_VNE_T_6988 "
                    "train-XH_TT_2208 train-XH_TT_2755 train-XH_TT_2961 train-XH_TT_3665 train-XH_VNE_371",
                    False, "“luật được …”: “được” (is, gets), not “Dược”; the check ignores diacritics"),
    **_same_verdict("luat:thuong-mai", "test-XH_TN_T_8869 test-XH_VNE_T_6575 test-XH_VNE_T_8088 "
                    "train-XH_TN_1801 train-XH_NLD_4506", False,
                    "“Luật thương mại quốc tế” in a list of university subjects"),
    **_same_verdict("luat:thuong-mai", "test-XH_VNE_T_2126 test-XH_VNE_T_5917 test-XH_VNE_T_5948 "
                    "train-XH_NLD_5269 train-XH_TN_1714", False,
                    "“khoa / ngành / chuyên ngành Luật Thương mại”: a faculty or a major"),
    ("luat:thuong-mai", "vntc-test-XH_VNE_T_3475"): (
        True, "“Trong bộ luật thương mại sửa đổi”: Luật Thương mại (the writer's “bộ luật”); missed"),
    **_same_verdict("bl:dan-su", "train-XH_NLD_5269 train-XH_TN_1714", False,
                    "“ngành / chuyên ngành luật dân sự”: a major"),
    ("bl:dan-su", "vntc-test-XH_VNE_T_5221"): (
        False, "“theo quy định của luật dân sự”: civil law in general, lower case"),
    **_same_verdict("bl:lao-dong", "test-XH_VNE_T_7816 test-XH_VNE_T_8", False,
                    "“Luật Lao động Malaysia”, “luật lao động … Malaysia”: another country's"),
    **_same_verdict("luat:dau-tu", "test-XH_TT_T_10350 test-XH_VNE_T_2914 train-XH_NLD_5066 train-XH_NLD_5217 "
                    "train-XH_TN_1666", False,
                    "“Luật Đầu tư nước ngoài (tại VN)”: another law; the engine files it so"),
    **_same_verdict("luat:doanh-nghiep", "test-XH_VNE_T_5456 train-XH_TN_1462", False,
                    "“Luật Doanh nghiệp nhà nước”: another law; the engine files it so"),
    ("luat:giao-duc", "vntc-train-XH_NLD_3757"): (False, "“đạo luật giáo dục của Mỹ”: the American law"),
    ("luat:xay-dung", "vntc-train-XH_TT_3135"): (
        False, "“chính quyền sẽ phải ban hành luật xây dựng chống động đất”: another country's, to be"),
    # real citations the engine leaves out: lower-case "luật" in running text
    **_same_verdict("luat:dat-dai", "test-XH_VNE_T_1490 train-XH_VNE_1201", True,
                    "“các luật đất đai, …”, “trong luật đất đai”: the law in lower case; left out on purpose"),
    **_same_verdict("luat:doanh-nghiep", "test-XH_VNE_T_4119 train-XH_TN_1452 train-XH_TT_3457", True,
                    "“theo luật doanh nghiệp”: the law in lower case; left out on purpose"),
    ("luat:dau-tu", "vntc-test-XH_VNE_T_7581"): (
        True, "“một số luật như luật đầu tư, lụât đấu thầu”: lower case; left out on purpose"),
    ("luat:giao-duc", "vntc-train-XH_TN_1714"): (
        True, "“theo luật giáo dục sửa đổi 2005”: lower case; left out on purpose"),
    ("luat:khieu-nai-to-cao", "vntc-train-XH_TT_2801"): (
        True, "“bổ sung sửa đổi luật khiếu nại tố cáo”: lower case; left out on purpose"),
    ("luat:so-huu-tri-tue", "vntc-test-XH_VNE_T_5929"): (
        True, "“luật sở hữu trí tuệ, luật chuyển giao công nghệ”: lower case; left out on purpose"),
})


# --- the slice and the index ------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    """One VNTC article: its id, its record, and its text as published (title + body)."""

    id: str
    record: dict
    text: str


def load_slice(path: Path, n: int | None) -> list[Article]:
    """The articles of :data:`CATEGORY`, in file order (the first ``n`` if given)."""
    out: list[Article] = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("category") != CATEGORY:
                continue
            rec = {k: r.get(k) for k in ("id", "title", "body", "date", "source", "url")}
            text = clean_text(f"{r.get('title') or ''}\n{r.get('body') or ''}")
            out.append(Article(str(r["id"]), rec, text))
            if n and len(out) >= n:
                break
    return out


def write_corpus(articles: list[Article], corpus: Path) -> None:
    """The articles as one JSONL corpus file in a fresh folder."""
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    with open(corpus / "vntc.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(a.record, ensure_ascii=False) + "\n" for a in articles)


def _cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children (the index workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def build(corpus: Path, index: Path) -> dict:
    """Build the index from scratch on every core; wall time and what the job reported."""
    from searcher import build_index

    shutil.rmtree(index, ignore_errors=True)
    load0, cpu0 = os.getloadavg(), _cpu_seconds()
    t0 = time.perf_counter()
    rep = build_index(corpus, index, procs=None)
    secs = time.perf_counter() - t0
    return {
        "seconds": secs,
        "cpu_seconds": _cpu_seconds() - cpu0,
        "documents": rep.documents,
        "skipped": len(rep.skipped),
        "loadavg_before": load0,
        "loadavg_after": os.getloadavg(),
    }


# --- the independent check ---------------------------------------------------------------------

# Folded (no diacritics, lower case) type words and abbreviations, by key code.
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "kl": ("ket luan", "kl"),
    "nq": ("nghi quyet", "nq"),
    "qdi": ("quy dinh",),
    "qd": ("quyet dinh", "qd"),
    "ct": ("chi thi", "ct"),
    "kh": ("ke hoach", "kh"),
    "hd": ("huong dan", "hd"),
    "tb": ("thong bao", "tb"),
    "tt": ("thong tu", "tt"),
    "nd": ("nghi dinh", "nd"),
    "luat": ("luat",),
    "cv": ("cong van", "cv"),
}
# The abbreviation inside a bare symbol ("181/2004/NĐ-CP", "36-NQ/TW").
SYMBOL_ABBR = {"qdi": "qd", "luat": "l"}
ORDINALS = {1: "nhat", 2: "hai", 3: "ba", 4: "tu", 5: "nam", 6: "sau", 7: "bay", 8: "tam",
            9: "chin", 10: "muoi", 11: "muoi mot", 12: "muoi hai", 13: "muoi ba"}
ROMANS = {1: "i", 2: "ii", 3: "iii", 4: "iv", 5: "v", 6: "vi", 7: "vii", 8: "viii", 9: "ix",
          10: "x", 11: "xi", 12: "xii", 13: "xiii", 14: "xiv"}
_GAP = r"[^\w\n]{0,3}"  # a few non-word characters: spaces, "(", ":", "."
# After the number: a decimal or percentage is not a reference; "/" or "-" then
# digits is a date or fraction unless those digits are a year ("15/2003/NĐ-CP").
_BAD_TAIL = re.compile(r"\s*[.,]\d|\s*%|\s*[-/]\s*(?!(?:19|20)\d\d(?!\d))\d")


def fold_text(text: str) -> str:
    """Lower case without diacritics, one character per character (for NFC input)."""
    f = strip_diacritics(text).lower()
    return f if len(f) == len(text) else text.lower()  # never seen; offsets stay sane


@dataclass(frozen=True)
class Target:
    """What the check looks for: a numbered document, a Central Committee
    session ("Nghị quyết Trung ương 6"), a Party congress ("Nghị quyết Đại hội
    IX") or a law named by its name ("Luật Đất đai": ``words`` of the name)."""

    code: str
    kind: str  # "number" | "session" | "congress" | "name"
    number: int
    words: tuple[str, ...] = ()


_NAMED_KEY_RE = re.compile(r"(?:luat|bl):[a-z][a-z0-9-]*")


def name_words(label: str) -> tuple[str, ...]:
    """The folded words of a law's name from its label: "Luật Phòng, chống tham
    nhũng" → ("phong", "chong", "tham", "nhung"); "Bộ luật Lao động" → ("lao", "dong")."""
    name = re.sub(r"^(?:Bộ luật|Luật)\s+", "", label)
    return tuple(re.findall(r"[a-z0-9]+", fold_text(name)))


def target_of(base_key: str, label: str = "") -> Target:
    """``"nd:181"`` → number 181 of Nghị định; ``"nq:tw6"``; ``"nq:dh-ix"``;
    ``"luat:dat-dai"`` with its label "Luật Đất đai" → the name "dat dai"."""
    code, rest = base_key.split(":", 1)
    if _NAMED_KEY_RE.fullmatch(base_key):
        return Target(code, "name", 0, name_words(label))
    if rest.startswith("tw"):
        return Target(code, "session", int(rest[2:]))
    if rest.startswith("dh-"):
        roman = {v: k for k, v in ROMANS.items()}[rest[3:]]
        return Target(code, "congress", roman)
    return Target(code, "number", int(rest))


@cache
def check_patterns(t: Target) -> tuple[re.Pattern, ...]:
    """The check's regexes for a target (on folded text)."""
    sp = r"\s+"
    if t.kind == "name":
        return (name_regex(t),)
    if t.kind == "session":
        tw = r"(?:trung\s+uong|tw|t\.?\s?u)"
        n = rf"(?:(?:lan\s+(?:thu\s+)?)?{t.number}(?!\d)|lan\s+thu\s+{ORDINALS[t.number]}(?!\w))"
        return (
            re.compile(rf"(?<!\w)nghi\s+quyet{sp}(?:hoi\s+nghi{sp})?{tw}(?:\s+dang)?\s*{n}"),
            re.compile(rf"(?<!\w)nghi\s+quyet{sp}hoi\s+nghi{sp}{n}{sp}(?:ban\s+chap\s+hanh|bch){sp}{tw}"),
        )
    if t.kind == "congress":
        roman = ROMANS[t.number]
        return (
            re.compile(
                rf"(?<!\w)nghi\s+quyet{sp}dai\s+hoi{sp}(?:dai\s+bieu{sp})?(?:dang{sp})?"
                rf"(?:toan\s+quoc{sp})?(?:(?:lan\s+)?thu{sp})?(?:{roman}|(?<=thu ){t.number})(?!\w)"
            ),
        )
    words = "|".join(w.replace(" ", r"\s+") for w in TYPE_WORDS[t.code])
    abbr = SYMBOL_ABBR.get(t.code, t.code)
    return (
        re.compile(rf"(?<!\w)(?:{words})(?!\w){_GAP}(?:so{_GAP})?0*{t.number}(?!\d)"),
        re.compile(rf"(?<![\w./-])0*{t.number}\s*[-/]\s*(?:(?:19|20)\d\d\s*/\s*)?{abbr}\s*[-/]\s*[a-z]"),
    )


def name_regex(t: Target, year: str | None = None) -> re.Pattern:
    """"luật" or "bộ luật", then the words of the name (commas optional), then
    ``year`` if given ("Luật Đất đai 2003", "luật đất đai năm 2003")."""
    name = r"[\s,]+".join(map(re.escape, t.words))
    tail = rf"\s*\(?\s*(?:nam\s+)?{year}(?!\d)" if year else r"(?![^\W\d_])"  # "…doanh nghiep2." counts
    return re.compile(rf"(?<!\w)(?<!phap\s)(?<!ky\s)(?:bo\s+)?luat\s+{name}{tail}")


def name_years_written(folded: str, t: Target) -> set[str]:
    """Years written right after a law's name: "Luật Đất đai 1993", "năm 2003"."""
    name = r"[\s,]+".join(map(re.escape, t.words))
    return set(re.findall(rf"(?<!\w)(?:bo\s+)?luat\s+{name}\s*\(?\s*(?:nam\s+)?((?:19|20)\d\d)(?!\d)", folded))


def cite_spans(folded: str, t: Target) -> list[tuple[int, int]]:
    """Where the folded article text cites the target, by the independent check."""
    spans = []
    for i, pat in enumerate(check_patterns(t)):
        for m in pat.finditer(folded):
            if t.kind == "number" and i == 0 and _BAD_TAIL.match(folded, m.end()):
                continue
            spans.append((m.start(), m.end()))
    return sorted(spans)


def symbol_regex(symbol_key: str) -> re.Pattern:
    """The symbol part of a key ("nd:61/cp", "nd:15/2003/nd-cp", "kl:21/tw") as
    written after its number, any spacing, the type's abbreviation optional
    ("21-KL/TW"): for the strict "exact symbol" figure."""
    code, rest = symbol_key.split(":", 1)
    number, _, sym = rest.partition("/")
    body = r"\s*[-/]\s*".join(map(re.escape, re.split(r"[-/]", sym)))
    abbr = SYMBOL_ABBR.get(code, code)
    return re.compile(rf"(?<![\w./-])0*{number}\s*[-/]?\s*(?:{abbr}\s*[-/]\s*)?{body}(?!\w)")


def symbol_year(symbol_key: str | None) -> str | None:
    """The year of issue in a symbol or year key: ``"nd:17/2001/nd-cp"`` → ``"2001"``,
    ``"luat:dat-dai/2003"`` → ``"2003"``."""
    m = re.match(r"[a-z]+:[a-z0-9-]+/((?:19|20)\d\d)(?!\d)", symbol_key or "")
    return m.group(1) if m else None


def years_written(folded: str, number: int) -> set[str]:
    """Years written in a symbol right after ``number``: "17/2006/NĐ-CP", "17/2001 NĐ-CP" → 2006, 2001."""
    return set(re.findall(rf"(?<![\w./-])0*{number}\s*/\s*((?:19|20)\d\d)(?!\d)", folded))


# --- the references and their queries ------------------------------------------------------------

_BASE_KEY_RE = re.compile(r"[a-z]+:(?:\d+|tw\d+|dh-[ivxl]+)")


@dataclass
class Case:
    """One cited document, the queries for it, and who cites it by the check."""

    key: str
    label: str
    engine_bulletins: int
    specific_key: str | None
    specific_label: str | None
    citing: set[str] = field(default_factory=set)  # by the check
    citing_symbol: set[str] = field(default_factory=set)  # exact symbol (or a law's year) written
    other_year: set[str] = field(default_factory=set)  # same number or name, only another year written

    @property
    def named(self) -> bool:
        """A law or code known by its name ("Luật Đất đai")."""
        return _NAMED_KEY_RE.fullmatch(self.key) is not None

    @property
    def target(self) -> Target:
        return target_of(self.key, self.label)

    def queries(self) -> list[tuple[str, str]]:
        """(form, query text): label and symbol (or year) form, each with and
        without diacritics.  Forms of a named law are "name…"."""
        base, specific = ("name", "name-year") if self.named else ("label", "symbol")
        out = [(base, self.label), (f"{base}-plain", strip_diacritics(self.label))]
        if self.specific_label:
            out += [(specific, self.specific_label), (f"{specific}-plain", strip_diacritics(self.specific_label))]
        return out


def _specific_keys(refs: list, key: str) -> list:
    """The specific keys of ``key`` that no other one extends, most bulletins first:
    "nd:181/2004/nd-cp" rather than the year key "nd:181/2004" it implies."""
    specific = [s for s in refs if (s.key.startswith(key + "/") or s.key.startswith(key + "-"))
                and "#" not in s.key]
    keys = {s.key for s in specific}
    kept = [s for s in specific if not any(k.startswith(s.key + "/") for k in keys)]
    kept.sort(key=lambda s: (-s.bulletins, -len(s.key), s.key))
    return kept


def pick_cases(refs: list, top: int) -> list[Case]:
    """The ``top`` base keys cited by the most bulletins, each with its most
    written specific key (most bulletins, then the longest) as the symbol form."""
    base = [r for r in refs if _BASE_KEY_RE.fullmatch(r.key)]
    cases = []
    for r in base[:top]:
        specific = _specific_keys(refs, r.key)
        sp = specific[0] if specific else None
        cases.append(Case(r.key, r.label, r.bulletins, sp.key if sp else None, sp.label if sp else None))
    return cases


def pick_named_cases(refs: list, top: int) -> list[Case]:
    """The ``top`` laws and codes named by the most bulletins (``luat:dat-dai``,
    ``bl:dan-su``), each with its most written year (``luat:dat-dai/2003``) as
    the year form."""
    base = [r for r in refs if _NAMED_KEY_RE.fullmatch(r.key)]
    cases = []
    for r in base[:top]:
        years = [s for s in refs if re.fullmatch(re.escape(r.key) + r"/(?:19|20)\d\d", s.key)]
        years.sort(key=lambda s: (-s.bulletins, s.key))
        y = years[0] if years else None
        cases.append(Case(r.key, r.label, r.bulletins, y.key if y else None, y.label if y else None))
    return cases


def judge_all(cases: list[Case], articles: list[Article]) -> dict[str, str]:
    """Fill each case's citing sets by the check; returns id -> folded text."""
    folded = {a.id: fold_text(a.text) for a in articles}
    for c in cases:
        t = c.target
        year = symbol_year(c.specific_key)
        if t.kind == "name":
            sym = name_regex(t, year) if year else None
            needle = t.words[0]
        else:
            sym = symbol_regex(c.specific_key) if c.specific_key and "/" in c.specific_key else None
            needle = str(t.number) if t.kind == "number" else ""  # a cheap pre-filter
        for aid, f in folded.items():
            if needle in f and cite_spans(f, t):
                c.citing.add(aid)
                if sym and sym.search(f):
                    c.citing_symbol.add(aid)
                written = name_years_written(f, t) if t.kind == "name" else years_written(f, t.number)
                if year and year not in written and written:
                    c.other_year.add(aid)
    return folded


# --- queries and metrics --------------------------------------------------------------------------


def precision_at(ids: list[str], relevant: set[str], k: int = 5) -> float | None:
    """Share of the top-k hits that are relevant (over the hits returned when fewer)."""
    top = ids[:k]
    if not top:
        return 0.0 if relevant else None
    return sum(1 for i in top if i in relevant) / len(top)


def recall_at(ids: list[str], relevant: set[str], k: int = 10) -> float | None:
    """Relevant hits in the top k / min(k, number relevant); None when nothing is relevant."""
    if not relevant:
        return None
    return sum(1 for i in ids[:k] if i in relevant) / min(k, len(relevant))


def symbol_first(ids: list[str], with_symbol: set[str], k: int = 5) -> float | None:
    """Of the first min(k, n) hits, the share writing the exact symbol (n = articles that do)."""
    m = min(k, len(with_symbol))
    if not m:
        return None
    return sum(1 for i in ids[:m] if i in with_symbol) / m


@dataclass
class Run:
    """One query's outcome."""

    case: Case
    form: str
    query: str
    ids: list[str]  # top 10
    all_ids: list[str]  # every hit (up to ALL_HITS)
    total: int
    mode: str
    seconds: list[float]


def run_queries(searcher, cases: list[Case], rounds: int) -> list[Run]:
    """Every query of every case: one warm-up, then ``rounds`` timed calls (limit 10)."""
    runs = []
    for c in cases:
        for form, q in c.queries():
            every = searcher.search(q, limit=ALL_HITS)
            secs = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                res = searcher.search(q, limit=10)
                secs.append(time.perf_counter() - t0)
            runs.append(Run(c, form, q, [h.id for h in res.hits], [h.id for h in every.hits],
                            res.total, res.mode, secs))
    return runs


def relevant(case: Case, use_hand: bool) -> set[str]:
    """Articles citing the case's document: by the check, then hand verdicts applied."""
    rel = set(case.citing)
    if use_hand:
        for (key, aid), (cites, _) in HAND_VERDICTS.items():
            if key == case.key:
                (rel.add if cites else rel.discard)(aid)
    return rel


def scores(run: Run, use_hand: bool) -> tuple[float | None, float | None]:
    rel = relevant(run.case, use_hand)
    return precision_at(run.ids, rel), recall_at(run.ids, rel)


# --- disagreements ----------------------------------------------------------------------------------


def _window(text: str, start: int, end: int) -> str:
    left, right = text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
    return re.sub(r"\s+", " ", f"…{left}⟦{text[start:end]}⟧{right}…")


def engine_context(searcher, aid: str, key: str) -> str:
    """Where the engine found ``key`` in the stored bulletin (title or body)."""
    doc = searcher.get(aid)
    for r in doc.refs:  # Citation objects (spans into the body); plain dicts in older indexes
        if isinstance(r, dict) and r.get("key") == key:
            return _window(doc.body, r["start"], r["end"])
        if not isinstance(r, dict) and r.key == key and r.spans:
            return _window(doc.body, *r.spans[0])
    from searcher.refs import find_refs  # only to locate a title citation for display

    for r in find_refs(doc.title):
        if r.key == key:
            return "(title) " + _window(doc.title, r.start, r.end)
    return "(engine span not found)"


def disagreements(searcher, runs: list[Run], texts: dict[str, str], folded: dict[str, str]) -> list[dict]:
    """Engine hits the check rejects, and check citations the engine never returns."""
    out: dict[tuple, dict] = {}
    for run in runs:
        c = run.case
        returned = set(run.all_ids)
        for rank, aid in enumerate(run.all_ids, 1):
            if aid not in c.citing and (c.key, aid, "engine-only") not in out:
                out[(c.key, aid, "engine-only")] = {
                    "kind": "engine-only", "key": c.key, "label": c.label, "id": aid,
                    "query": run.query, "rank": rank,
                    "context": engine_context(searcher, aid, c.key),
                }
        for aid in sorted(c.citing - returned):
            k = (c.key, aid, "check-only")
            if k in out:
                out[k]["queries"].append(run.query)
                continue
            s, e = cite_spans(folded[aid], c.target)[0]
            out[k] = {"kind": "check-only", "key": c.key, "label": c.label, "id": aid,
                      "queries": [run.query], "context": _window(texts[aid], s, e)}
    rows = list(out.values())
    for r in rows:
        verdict = HAND_VERDICTS.get((r["key"], r["id"]))
        r["hand"] = None if verdict is None else {"cites": verdict[0], "why": verdict[1]}
    return sorted(rows, key=lambda r: (r["key"], r["kind"], r["id"]))


# --- the report -------------------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _mean(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


NUMBERED_GROUPS = {
    "with diacritics (label + symbol)": ("label", "symbol"),
    "without diacritics (label + symbol)": ("label-plain", "symbol-plain"),
    "label, with diacritics": ("label",),
    "label, without diacritics": ("label-plain",),
    "symbol form, with diacritics": ("symbol",),
    "symbol form, without diacritics": ("symbol-plain",),
}
NAMED_GROUPS = {
    "with diacritics (name + name with year)": ("name", "name-year"),
    "without diacritics (name + name with year)": ("name-plain", "name-year-plain"),
    "name, with diacritics": ("name",),
    "name, without diacritics": ("name-plain",),
    "name with year, with diacritics": ("name-year",),
    "name with year, without diacritics": ("name-year-plain",),
}


def aggregates(runs: list[Run], use_hand: bool, groups: dict[str, tuple[str, ...]] | None = None) -> dict[str, dict]:
    """Mean P@5 and R@10 per query form, and over the forms with/without diacritics
    (numbered references by default, or ``groups``)."""
    groups = groups or NUMBERED_GROUPS
    out = {}
    for name, forms in groups.items():
        sel = [r for r in runs if r.form in forms]
        ps, rs = zip(*(scores(r, use_hand) for r in sel)) if sel else ((), ())
        out[name] = {"queries": len(sel), "p5": _mean(list(ps)), "r10": _mean(list(rs))}
    return out


def misses(runs: list[Run], use_hand: bool) -> list[str]:
    """One line per query below 1.0 on P@5 or R@10, with the hits at fault."""
    lines = []
    for r in runs:
        p, rc = scores(r, use_hand)
        if (p is None or p >= 1) and (rc is None or rc >= 1):
            continue
        rel = relevant(r.case, use_hand)
        wrong = [i for i in r.ids[:5] if i not in rel]
        missing = sorted(rel - set(r.ids[:10]))[:6]
        lines.append(
            f"- `{r.query}` ({r.case.key}): P@5 {_fmt(p)}, R@10 {_fmt(rc)}; "
            f"engine total {r.total}, check {len(rel)}"
            + (f"; top-5 hits not citing: {', '.join(f'`{i}`' for i in wrong)}" if wrong else "")
            + (f"; citing, not in top 10: {', '.join(f'`{i}`' for i in missing)}" if missing else "")
        )
    return lines


def case_table(cases: list[Case], runs: list[Run], named: bool = False) -> list[str]:
    by = {(r.case.key, r.form): r for r in runs}
    base, specific, what = ("name", "name-year", "year") if named else ("label", "symbol", "symbol")
    lines = [
        ("| # | reference (label) | key | citing (check / engine) | P@5 | P@5 plain | R@10 | R@10 plain "
        f"| {what} form | P@5 | P@5 plain | R@10 | R@10 plain | {what} first@5 | other year@5 |"),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, c in enumerate(cases, 1):
        cells = []
        for form in (base, f"{base}-plain"):
            cells.append(scores(by[(c.key, form)], False))
        sym_cells = ["–"] * 6
        if c.specific_label:
            s1, s2 = scores(by[(c.key, specific)], False), scores(by[(c.key, f"{specific}-plain")], False)
            top5 = by[(c.key, specific)].ids[:5]
            sf = symbol_first(top5, c.citing_symbol)
            other = str(sum(1 for i in top5 if i in c.other_year)) if symbol_year(c.specific_key) else "–"
            sym_cells = [_fmt(s1[0]), _fmt(s2[0]), _fmt(s1[1]), _fmt(s2[1]), _fmt(sf), other]
        lines.append(
            f"| {i} | {c.label} | `{c.key}` | {len(c.citing)} / {c.engine_bulletins} "
            f"| {_fmt(cells[0][0])} | {_fmt(cells[1][0])} | {_fmt(cells[0][1])} | {_fmt(cells[1][1])} "
            f"| {c.specific_label or '–'} | " + " | ".join(sym_cells) + " |"
        )
    return lines


def machine() -> dict:
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), "?")
    mem = next((int(ln.split()[1]) / 1024 / 1024 for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal:")), 0.0)
    return {"cpu": model, "cores": os.cpu_count(), "ram_gb": round(mem, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def kept_notes(path: Path) -> str:
    """The hand-written section of an existing report, markers included."""
    if path.exists():
        m = re.search(re.escape(NOTES_START) + r".*?" + re.escape(NOTES_END), path.read_text(encoding="utf-8"), re.DOTALL)
        if m:
            return m.group()
    return f"{NOTES_START}\n_(no notes yet)_\n{NOTES_END}"


def _agg_table(agg: dict, agg_hand: dict) -> list[str]:
    lines = ["| queries | n | mean P@5 | mean R@10 | with hand verdicts: P@5 | R@10 | target met |",
             "|---|---|---|---|---|---|---|"]
    for name, a in agg.items():
        h = agg_hand[name]
        ok = a["p5"] is not None and a["p5"] >= TARGET_P5 and a["r10"] >= TARGET_R10
        lines.append(f"| {name} | {a['queries']} | {_fmt(a['p5'])} | {_fmt(a['r10'])} "
                     f"| {_fmt(h['p5'])} | {_fmt(h['r10'])} | {'yes' if ok else 'NO'} |")
    return lines


def _disagreement_lines(rows: list[dict]) -> list[str]:
    lines = []
    for r in rows:
        where = f"rank {r['rank']} for `{r['query']}`" if r["kind"] == "engine-only" else \
            "never returned for " + ", ".join(f"`{q}`" for q in r["queries"])
        hand = ""
        if r["hand"]:
            hand = f" — **hand: {'cites' if r['hand']['cites'] else 'does not cite'}** ({r['hand']['why']})"
        lines.append(f"- {r['kind']} `{r['key']}` `{r['id']}` ({where}): {r['context']}{hand}")
    return lines or ["- none"]


def write_report(path: Path, res: dict) -> None:
    b, lat, m = res["build"], res["latency"], res["machine"]
    numbered = [c for c in res["cases"] if not c.named]
    named = [c for c in res["cases"] if c.named]
    numbered_runs = [r for r in res["runs"] if not r.case.named]
    named_runs = [r for r in res["runs"] if r.case.named]
    lines = [
        "# Reference search on the VNTC \"Chính trị Xã hội\" slice",
        "",
        f"**Date**: {res['date']} · **command**: `{res['command']}`",
        f"**Machine**: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"{m['platform']}; shared with other jobs (load average "
        + (f"{b['loadavg_before'][0]:.1f} before the build, {b['loadavg_after'][0]:.1f} after)."
           if b else f"{res['loadavg'][0]:.1f} at the start).")
        + "",
        f"**Corpus**: {res['articles']:,} articles of category \"{CATEGORY}\" from "
        "`../shared/corpora/vntc.jsonl.xz`; index: " + (f"`{res['index']}`."),
        "",
        "## Index build and latency",
        "",
        "| what | figure |",
        "|---|---|",
    ]
    if b:
        source = f"; figures of the {b['date']} run that built this index" if b.get("reused") else ""
        lines.append(f"| `build_index` (from scratch, every core{source}) | **{b['seconds']:.1f} s** "
                     f"({b['documents']:,} bulletins, {b['skipped']} skipped; "
                     f"{b['documents'] / b['seconds']:.0f} bulletins/s; {b['cpu_seconds']:.0f} CPU s, i.e. "
                     f"{b['cpu_seconds'] / b['seconds']:.2f} of the {m['cores']} cores on average) |")
    else:
        lines.append("| `build_index` | not run (`--index` reused an existing index) |")
    lines += [
        (f"| reference query latency, warm, limit 10 (snippets included) | p50 **{lat['p50'] * 1000:.1f} ms**, "
        f"p95 **{lat['p95'] * 1000:.1f} ms**, max {lat['max'] * 1000:.1f} ms "
        f"({lat['calls']} calls: {lat['queries']} queries × {LATENCY_ROUNDS}) |"),
        "",
        "## Method",
        "",
        (f"The {res['top']} base references cited by the most bulletins (`Searcher.refs()`; "
        "symbol keys such as `nd:61/cp` are not counted separately but give the reference its "
        "*symbol form*, the most written one). Queries: the label as a user types it "
        "(\"Nghị định 181\") and the symbol form (\"Nghị định 61/CP\"), each with diacritics and "
        "stripped of them (`strip_diacritics`)."),
        "",
        ("\"Cites\" is decided by an **independent check** (`cite_spans` in the script): a simple "
        "regex over the article as published (title + body, no diacritics, lower case) that does "
        "not use `searcher.refs`: type word (full or abbreviated), a few non-word characters, "
        "optional \"số\", the number word-bounded, not a decimal, percentage, date or fraction; or the "
        "bare symbol (\"181/2004/NĐ-CP\"); \"Nghị quyết [Hội nghị] Trung ương N\" and \"Nghị quyết "
        "Đại hội [Đảng] [toàn quốc] [lần thứ] IX\" for sessions and congresses. It does not reject "
        "counts (\"quyết định 70 năm\") and knows no context beyond that."),
        "",
        ("* **P@5**: share of the top-5 hits that cite the document (over the hits returned when "
        "the engine returns fewer than 5)."),
        "* **R@10**: citing hits in the top 10 / min(10, articles citing it by the check).",
        ("* For the symbol form, a hit citing the same type and number counts (that is the "
        "engine's contract: the base key must match, the symbol only ranks). **symbol first@5** "
        "is stricter: of the first min(5, n) hits, the share that write the exact symbol "
        "(n = articles writing it). **other year@5**: how many of the top-5 hits write the same "
        "number with *another* year (\"17/2006/NĐ-CP\" for the query \"Nghị định 17/2001/NĐ-CP\") "
        "and never the query's: most likely another document with the same number."),
        "* Targets: mean P@5 ≥ 0.95 and mean R@10 ≥ 0.9, with and without diacritics.",
        "",
        "## Aggregate",
        "",
        *_agg_table(res["agg"], res["agg_hand"]),
        "",
        f"Hand verdicts applied: {len(HAND_VERDICTS)} (see the disagreements below).",
        "",
        "## Per reference (by the check)",
        "",
        ("\"plain\" = the query without diacritics. Citing = articles citing it by the check / "
        "bulletins the engine counts (`Searcher.refs()`)."),
        "",
        *case_table(numbered, numbered_runs),
        "",
        "## Queries below 1.0 (by the check)",
        "",
        *(misses(numbered_runs, False) or ["- none"]),
        "",
        "## Queries below 1.0 (with hand verdicts)",
        "",
        *(misses(numbered_runs, True) or ["- none"]),
        "",
        "## Named laws",
        "",
        (f"The {len(named)} laws and codes named by the most bulletins (base keys `luat:<name>` and "
        "`bl:<name>` of `Searcher.refs()`), queried by name (\"Luật Đất đai\", the label) and by name "
        "with the year most often written after it (\"Luật Đất đai 2003\", from the key "
        "`luat:dat-dai/2003`), with and without diacritics. \"Cites\" by the check: \"luật\" or "
        "\"bộ luật\", then the words of the name, commas optional, any case (so it also counts the "
        "lower-case \"luật đất đai\" of running text, which the engine leaves out on purpose), not "
        "after \"pháp\" or \"kỷ\". *year first@5*: of the first min(5, n) hits, the share that write "
        "the name with that year (n = articles that do); *other year@5*: top-5 hits that write the "
        "name with another year only."),
        "",
        *_agg_table(res["agg_named"], res["agg_named_hand"]),
        "",
        *case_table(named, named_runs, named=True),
        "",
        "### Named-law queries below 1.0 (by the check)",
        "",
        *(misses(named_runs, False) or ["- none"]),
        "",
        "### Named-law queries below 1.0 (with hand verdicts)",
        "",
        *(misses(named_runs, True) or ["- none"]),
        "",
        "## Disagreements between the check and the engine",
        "",
        ("*engine-only*: the engine returns the article for the reference, the check finds no "
        "citation (context: the engine's span). *check-only*: the check finds a citation (context: "
        "the check's span) that the engine never returns, at any rank."),
        "",
        *_disagreement_lines(res["disagreements"]),
        "",
        "## Notes from reading the disagreements by hand",
        "",
        kept_notes(path),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


# --- main ---------------------------------------------------------------------------------------------


def latency(runs: list[Run]) -> dict:
    secs = [s for r in runs for s in r.seconds]
    return {"p50": statistics.median(secs), "p95": _pct(secs, 95), "max": max(secs),
            "calls": len(secs), "queries": len(runs)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None, help="only the first N articles of the slice")
    ap.add_argument("--top", type=int, default=40, help="how many of the most cited references")
    ap.add_argument("--top-laws", type=int, default=20, help="how many of the laws named most often")
    ap.add_argument("--index", type=Path, default=None, help="reuse this index (built from the same slice)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work dir (corpus/, index/)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the Markdown report")
    ap.add_argument("--vntc", type=Path, default=VNTC, help="vntc.jsonl.xz (default: ../shared/corpora/)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.vntc.exists():
        print(f"missing {args.vntc}: ../shared is needed (or pass --vntc)", file=sys.stderr)
        return 2
    from searcher import Searcher

    t0 = time.perf_counter()
    articles = load_slice(args.vntc, args.n)
    print(f"{len(articles):,} articles loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    res: dict = {"articles": len(articles), "top": args.top, "machine": machine(),
                 "loadavg": os.getloadavg(), "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                 "command": " ".join(["python benchmarks/refs_search.py", *(sys.argv[1:] if argv is None else argv)]),
                 "build": None}
    index = args.index
    if index is None:
        index = args.work / "index"
        write_corpus(articles, args.work / "corpus")
        print("building the index…", file=sys.stderr)
        res["build"] = build(args.work / "corpus", index)
        print(f"built in {res['build']['seconds']:.1f} s", file=sys.stderr)
        (index.parent / BUILD_RECORD).write_text(
            json.dumps({**res["build"], "date": res["date"]}), encoding="utf-8")
    elif (index.parent / BUILD_RECORD).exists():  # the figures of the run that built this index
        res["build"] = {**json.loads((index.parent / BUILD_RECORD).read_text(encoding="utf-8")), "reused": True}
    res["index"] = str(index.resolve().relative_to(ROOT) if index.resolve().is_relative_to(ROOT) else index)
    with Searcher(index) as s:
        if s.doc_count() != len(articles):
            print(f"the index holds {s.doc_count():,} bulletins but the slice {len(articles):,}: "
                  "pass the --n it was built with", file=sys.stderr)
        refs = s.refs()
        cases = pick_cases(refs, args.top) + pick_named_cases(refs, args.top_laws)
        folded = judge_all(cases, articles)
        runs = run_queries(s, cases, LATENCY_ROUNDS)
        texts = {a.id: a.text for a in articles}
        res["disagreements"] = disagreements(s, runs, texts, folded)
    res.update(cases=cases, runs=runs, latency=latency(runs),
               agg=aggregates(runs, False), agg_hand=aggregates(runs, True),
               agg_named=aggregates(runs, False, NAMED_GROUPS), agg_named_hand=aggregates(runs, True, NAMED_GROUPS))
    write_report(args.out, res)
    dis_path = args.work / "disagreements.jsonl"
    dis_path.parent.mkdir(parents=True, exist_ok=True)
    with open(dis_path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in res["disagreements"])
    for name, a in [*res["agg"].items(), *res["agg_named"].items()]:
        print(f"{name}: P@5 {_fmt(a['p5'])} R@10 {_fmt(a['r10'])} ({a['queries']} queries)")
    print(f"latency p50 {res['latency']['p50'] * 1000:.1f} ms, p95 {res['latency']['p95'] * 1000:.1f} ms; "
          f"{len(res['disagreements'])} disagreements; report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
