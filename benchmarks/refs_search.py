"""Measure reference search on the VNTC "Chính trị Xã hội" slice.

    python benchmarks/refs_search.py                      # full slice: build, query, report
    python benchmarks/refs_search.py --n 1000             # quick run on the first 1,000 articles
    python benchmarks/refs_search.py --index DIR          # reuse an index built from the same slice

What it does, on the articles of category "Chính trị Xã hội" of
``../shared/corpora/vntc.jsonl.xz`` (12,547 of them):

1. writes them as one JSONL corpus under the work dir and builds the index with
   :func:`searcher.build_index` on every core (timed), unless ``--index`` is given;
2. takes the ``--top`` (40) base references cited by the most bulletins, from
   :meth:`Searcher.refs` (``nd:181``, ``nq:tw6``, ``nq:dh-ix``; the symbol keys
   ``nd:61/cp`` are attached to their base key as its "symbol form");
3. for each, runs the queries a user would type: the label ("Nghị định 181"),
   and, when bulletins wrote it with a symbol, the most written symbol form
   ("Nghị định 61/CP"), each with diacritics and without
   (:func:`searcher.evaluation.strip_diacritics`);
4. judges every hit with an **independent check** (:func:`cite_spans`): a
   deliberately simple regex over the article's own text (title + body as
   published, diacritics stripped, lower case) that knows nothing of
   ``searcher.refs``: the type word, full or abbreviated, then within a few
   characters an optional "số" and the same number, word-bounded, and not a
   decimal, a percentage, a date or a fraction ("/" or "-" plus a number that
   is not a year); or the bare symbol ("181/2004/NĐ-CP", "36-NQ/TW"); session
   and congress resolutions by their own simple pattern;
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
from functools import lru_cache
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
NOTES_START, NOTES_END = "<!-- hand-notes -->", "<!-- /hand-notes -->"

#: Verdicts read by hand on disagreements: (base key, article id) -> (cites?, why).
#: ``True`` = the article does cite that document (the check missed it);
#: ``False`` = it does not (the check or the engine was fooled).  Filled in
#: after reading the disagreement listing of a full run; see the report.
HAND_VERDICTS: dict[tuple[str, str], tuple[bool, str]] = {
    ("ct:1", "vntc-test-XH_NLD_T_9058"): (False, "“chỉ thi 1 vòng”: sits only one exam round"),
    ("ct:1", "vntc-train-XH_VNE_482"): (False, "“bị đình chỉ thi; 1 trường hợp…”: barred from the exam"),
    ("nd:16", "vntc-test-XH_VNE_T_5628"): (
        True, "“quy định số 16/2005/NĐ-CP … của Chính phủ”: the symbol names Nghị định 16/2005/NĐ-CP "
        "(the engine has filed it so since the symbol names the type)"),
    ("nd:5", "vntc-test-XH_NLD_T_9100"): (
        False, "“Nghị định 05/2005/NQ-CP”: the symbol names Nghị quyết 05/2005/NQ-CP (the Government's "
        "resolution); the type word is the writer's slip, the engine files it as nq:5"),
    ("nd:181", "vntc-test-XH_TT_T_10072"): (
        True, "“siêu nghị định” 181 về thi hành Luật đất đai: the engine misses it (closing quote "
        "between type word and number)"),
    ("nd:31", "vntc-train-XH_VNE_552"): (
        True, "“Nghị định 87/CP, 31/CP của Chính phủ”: a list; the engine is right, the check reads "
        "only the first number"),
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
        for a in articles:
            fh.write(json.dumps(a.record, ensure_ascii=False) + "\n")


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
    session ("Nghị quyết Trung ương 6") or a Party congress ("Nghị quyết Đại hội IX")."""

    code: str
    kind: str  # "number" | "session" | "congress"
    number: int


def target_of(base_key: str) -> Target:
    """``"nd:181"`` → number 181 of Nghị định; ``"nq:tw6"``; ``"nq:dh-ix"``."""
    code, rest = base_key.split(":", 1)
    if rest.startswith("tw"):
        return Target(code, "session", int(rest[2:]))
    if rest.startswith("dh-"):
        roman = {v: k for k, v in ROMANS.items()}[rest[3:]]
        return Target(code, "congress", roman)
    return Target(code, "number", int(rest))


@lru_cache(maxsize=None)
def check_patterns(t: Target) -> tuple[re.Pattern, ...]:
    """The check's regexes for a target (on folded text)."""
    sp = r"\s+"
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
    """The year of issue in a symbol key: ``"nd:17/2001/nd-cp"`` → ``"2001"``."""
    m = re.match(r"[a-z]+:\d+/((?:19|20)\d\d)(?!\d)", symbol_key or "")
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
    citing_symbol: set[str] = field(default_factory=set)  # exact symbol written
    other_year: set[str] = field(default_factory=set)  # same number, only another year written

    def queries(self) -> list[tuple[str, str]]:
        """(form, query text): label and symbol form, each with and without diacritics."""
        out = [("label", self.label), ("label-plain", strip_diacritics(self.label))]
        if self.specific_label:
            out += [("symbol", self.specific_label), ("symbol-plain", strip_diacritics(self.specific_label))]
        return out


def pick_cases(refs: list, top: int) -> list[Case]:
    """The ``top`` base keys cited by the most bulletins, each with its most
    written specific key (most bulletins, then the longest) as the symbol form."""
    base = [r for r in refs if _BASE_KEY_RE.fullmatch(r.key)]
    cases = []
    for r in base[:top]:
        specific = [s for s in refs if s.key.startswith(r.key + "/") or s.key.startswith(r.key + "-")]
        specific.sort(key=lambda s: (-s.bulletins, -len(s.key), s.key))
        sp = specific[0] if specific else None
        cases.append(Case(r.key, r.label, r.bulletins, sp.key if sp else None, sp.label if sp else None))
    return cases


def judge_all(cases: list[Case], articles: list[Article]) -> dict[str, str]:
    """Fill each case's citing sets by the check; returns id -> folded text."""
    folded = {a.id: fold_text(a.text) for a in articles}
    for c in cases:
        t = target_of(c.key)
        sym = symbol_regex(c.specific_key) if c.specific_key and "/" in c.specific_key else None
        year = symbol_year(c.specific_key)
        needle = str(t.number) if t.kind == "number" else ""  # a cheap pre-filter
        for aid, f in folded.items():
            if needle in f and cite_spans(f, t):
                c.citing.add(aid)
                if sym and sym.search(f):
                    c.citing_symbol.add(aid)
                if year and year not in (years := years_written(f, t.number)) and years:
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
    for r in doc.refs:
        if r.get("key") == key:
            return _window(doc.body, r["start"], r["end"])
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
            s, e = cite_spans(folded[aid], target_of(c.key))[0]
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


def aggregates(runs: list[Run], use_hand: bool) -> dict[str, dict]:
    """Mean P@5 and R@10 per query form, and over the label forms with/without diacritics."""
    groups = {
        "with diacritics (label + symbol)": ("label", "symbol"),
        "without diacritics (label + symbol)": ("label-plain", "symbol-plain"),
        "label, with diacritics": ("label",),
        "label, without diacritics": ("label-plain",),
        "symbol form, with diacritics": ("symbol",),
        "symbol form, without diacritics": ("symbol-plain",),
    }
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


def case_table(cases: list[Case], runs: list[Run]) -> list[str]:
    by = {(r.case.key, r.form): r for r in runs}
    lines = [
        "| # | reference (label) | key | citing (check / engine) | P@5 | P@5 plain | R@10 | R@10 plain "
        "| symbol form | P@5 | P@5 plain | R@10 | R@10 plain | symbol first@5 | other year@5 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, c in enumerate(cases, 1):
        cells = []
        for form in ("label", "label-plain"):
            cells.append(scores(by[(c.key, form)], False))
        sym_cells = ["–"] * 6
        if c.specific_label:
            s1, s2 = scores(by[(c.key, "symbol")], False), scores(by[(c.key, "symbol-plain")], False)
            top5 = by[(c.key, "symbol")].ids[:5]
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
        m = re.search(re.escape(NOTES_START) + r".*?" + re.escape(NOTES_END), path.read_text(encoding="utf-8"), re.S)
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
        lines.append(f"| `build_index` (from scratch, every core) | **{b['seconds']:.1f} s** "
                     f"({b['documents']:,} bulletins, {b['skipped']} skipped; "
                     f"{b['documents'] / b['seconds']:.0f} bulletins/s; {b['cpu_seconds']:.0f} CPU s, i.e. "
                     f"{b['cpu_seconds'] / b['seconds']:.2f} of the {m['cores']} cores on average) |")
    else:
        lines.append("| `build_index` | not run (`--index` reused an existing index) |")
    lines += [
        f"| reference query latency, warm, limit 10 (snippets included) | p50 **{lat['p50'] * 1000:.1f} ms**, "
        f"p95 **{lat['p95'] * 1000:.1f} ms**, max {lat['max'] * 1000:.1f} ms "
        f"({lat['calls']} calls: {lat['queries']} queries × {LATENCY_ROUNDS}) |",
        "",
        "## Method",
        "",
        f"The {res['top']} base references cited by the most bulletins (`Searcher.refs()`; "
        "symbol keys such as `nd:61/cp` are not counted separately but give the reference its "
        "*symbol form*, the most written one). Queries: the label as a user types it "
        "(\"Nghị định 181\") and the symbol form (\"Nghị định 61/CP\"), each with diacritics and "
        "stripped of them (`strip_diacritics`).",
        "",
        "\"Cites\" is decided by an **independent check** (`cite_spans` in the script): a simple "
        "regex over the article as published (title + body, no diacritics, lower case) that does "
        "not use `searcher.refs`: type word (full or abbreviated), a few non-word characters, "
        "optional \"số\", the number word-bounded, not a decimal, percentage, date or fraction; or the "
        "bare symbol (\"181/2004/NĐ-CP\"); \"Nghị quyết [Hội nghị] Trung ương N\" and \"Nghị quyết "
        "Đại hội [Đảng] [toàn quốc] [lần thứ] IX\" for sessions and congresses. It does not reject "
        "counts (\"quyết định 70 năm\") and knows no context beyond that.",
        "",
        "* **P@5**: share of the top-5 hits that cite the document (over the hits returned when "
        "the engine returns fewer than 5).",
        "* **R@10**: citing hits in the top 10 / min(10, articles citing it by the check).",
        "* For the symbol form, a hit citing the same type and number counts (that is the "
        "engine's contract: the base key must match, the symbol only ranks). **symbol first@5** "
        "is stricter: of the first min(5, n) hits, the share that write the exact symbol "
        "(n = articles writing it). **other year@5**: how many of the top-5 hits write the same "
        "number with *another* year (\"17/2006/NĐ-CP\" for the query \"Nghị định 17/2001/NĐ-CP\") "
        "and never the query's: most likely another document with the same number.",
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
        "\"plain\" = the query without diacritics. Citing = articles citing it by the check / "
        "bulletins the engine counts (`Searcher.refs()`).",
        "",
        *case_table(res["cases"], res["runs"]),
        "",
        "## Queries below 1.0 (by the check)",
        "",
        *(misses(res["runs"], False) or ["- none"]),
        "",
        "## Queries below 1.0 (with hand verdicts)",
        "",
        *(misses(res["runs"], True) or ["- none"]),
        "",
        "## Disagreements between the check and the engine",
        "",
        "*engine-only*: the engine returns the article for the reference, the check finds no "
        "citation (context: the engine's span). *check-only*: the check finds a citation (context: "
        "the check's span) that the engine never returns, at any rank.",
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
    ap.add_argument("--index", type=Path, default=None, help="reuse this index (built from the same slice)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work dir (corpus/, index/)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the Markdown report")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not VNTC.exists():
        print(f"missing {VNTC}: ../shared is needed", file=sys.stderr)
        return 2
    from searcher import Searcher

    t0 = time.perf_counter()
    articles = load_slice(VNTC, args.n)
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
    res["index"] = str(index.resolve().relative_to(ROOT) if index.resolve().is_relative_to(ROOT) else index)
    with Searcher(index) as s:
        if s.doc_count() != len(articles):
            print(f"the index holds {s.doc_count():,} bulletins but the slice {len(articles):,}: "
                  "pass the --n it was built with", file=sys.stderr)
        cases = pick_cases(s.refs(), args.top)
        folded = judge_all(cases, articles)
        runs = run_queries(s, cases, LATENCY_ROUNDS)
        texts = {a.id: a.text for a in articles}
        res["disagreements"] = disagreements(s, runs, texts, folded)
    res.update(cases=cases, runs=runs, latency=latency(runs),
               agg=aggregates(runs, False), agg_hand=aggregates(runs, True))
    write_report(args.out, res)
    dis_path = args.work / "disagreements.jsonl"
    dis_path.parent.mkdir(parents=True, exist_ok=True)
    with open(dis_path, "w", encoding="utf-8") as fh:
        for r in res["disagreements"]:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    for name, a in res["agg"].items():
        print(f"{name}: P@5 {_fmt(a['p5'])} R@10 {_fmt(a['r10'])} ({a['queries']} queries)")
    print(f"latency p50 {res['latency']['p50'] * 1000:.1f} ms, p95 {res['latency']['p95'] * 1000:.1f} ms; "
          f"{len(res['disagreements'])} disagreements; report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
