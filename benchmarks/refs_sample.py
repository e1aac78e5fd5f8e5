"""Sample the reference recogniser's output on real news, for checking by hand.

    python benchmarks/refs_sample.py [--seed 2] [--n 200]
        [--out benchmarks/work/refs_sample.jsonl] [--score LABELS.jsonl]

Reads the VNTC articles of category "Chính trị Xã hội" from
``../shared/corpora/vntc.jsonl.xz`` (title + newline + body, through
``clean_text``), runs :func:`searcher.refs.find_refs` over all of them (timed),
and writes two seeded random samples to ``--out``:

* ``kind == "a"``: ``--n`` recognised references, each with ±60 characters
  of context; label each ``{"id", "ok": true|false}`` (is it a correct
  reference with the right type and number?) → **precision**.
* ``kind == "b"``: ``--n`` places where a number comes within three tokens
  after a document-type word (full or abbreviated, any diacritics, no
  check at all), with ``taken`` = the recogniser's keys covering that number;
  label each ``{"id", "real": true|false}`` (is it a reference to a document
  with that number?) → **recall** = taken-and-right among the real ones; a
  number covered by another, right reference (the article of a law, "quy
  định tại khoản 4 điều 170 của Luật Thương mại"; a law's year, "Luật Đất đai
  2003") is labelled ``"other_ref": true`` and not counted as a false one.
* ``kind == "c"``: ``--n`` places where a word that names a document by its
  name occurs ("luật", "bộ luật", "hiến pháp", "điều lệ"; any case, any
  diacritics, no check at all: "pháp luật", "luật sư" and "Luật Đất đai"
  alike), with ``taken`` = the keys of the reference covering the word;
  label each ``{"id", "real": true|false}`` (does it introduce a reference to
  one named law, code, the Constitution or the Party Statute?), adding
  ``"taken_ok": false`` when it was taken with the wrong name → **recall of
  named references** (and false positives among the rest).

With ``--score`` the labels file (JSON lines) is read and the figures printed;
adding ``--retake`` first re-runs the current recogniser on the sampled rows
(same rows, same labels), to see what a change to the recogniser did to them:
``taken`` is recomputed for kind b, and a kind-a row counts as lost when no
reference with the same start and base key is found any more.
Progress and figures go to stderr/stdout; exits 2 when ``../shared`` is missing.
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from searcher.normalise import clean_text  # noqa: E402
from searcher.refs import Ref, find_refs, fold_same_length  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "vntc.jsonl.xz"
CATEGORY = "Chính trị Xã hội"
DEFAULT_OUT = ROOT / "benchmarks" / "work" / "refs_sample.jsonl"
CONTEXT = 60

_TYPE_WORDS = (
    "ket luan|nghi quyet|quy dinh|quyet dinh|chi thi|ke hoach|huong dan|thong bao|"
    "thong tu|nghi dinh|luat|cong van|nq|kl|qd|ct|kh|hd|tb|nd|tt"
).replace(" ", r"[^\S\n]+")
# A type word, then up to two tokens without digits, then a token with a number.
_NEAR_RE = re.compile(
    rf"(?<![^\W_])(?:{_TYPE_WORDS})(?![^\W_])"
    r"(?:[^\S\n]+[^\s\d]+){0,2}?[^\S\n]+[^\s\d]*?(?P<num>\d+)"
)
# A word that names a document by its name (folded; "bo luat" before "luat").
_NAME_WORD_RE = re.compile(r"(?<![^\W_])(?:bo[^\S\n]+luat|luat|hien[^\S\n]+phap|dieu[^\S\n]+le)(?![^\W_])")
NAME_CONTEXT = 40  # characters after the word shown in ``text``


def load_texts(path: Path) -> list[tuple[str, str]]:
    """(id, display text) of every article of the category."""
    out = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d.get("category") == CATEGORY:
                out.append((str(d["id"]), clean_text(f"{d['title']}\n{d['body']}")))
    return out


def context(text: str, start: int, end: int) -> str:
    """``…left⟦span⟧right…`` on one line."""
    left = text[max(0, start - CONTEXT) : start]
    right = text[end : end + CONTEXT]
    return re.sub(r"\s+", " ", f"{left}⟦{text[start:end]}⟧{right}")


def near_numbers(text: str) -> list[tuple[int, int, int, int]]:
    """(word start, number start, number end, match end) of every type word + number."""
    f = fold_same_length(text)
    return [(m.start(), m.start("num"), m.end("num"), m.end()) for m in _NEAR_RE.finditer(f)]


def name_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word that may name a document by its name."""
    return [(m.start(), m.end()) for m in _NAME_WORD_RE.finditer(fold_same_length(text))]


def covering(refs: list[Ref], pos: int) -> Ref | None:
    """The reference whose span holds ``pos``, if any."""
    for r in refs:
        if r.start <= pos < r.end:
            return r
    return None


def build_samples(texts: list[tuple[str, str]], n: int, seed: int) -> tuple[list[dict], dict]:
    """Run the recogniser over all texts; return the two samples and figures."""
    t0 = time.perf_counter()
    all_refs = [find_refs(t) for _, t in texts]
    seconds = time.perf_counter() - t0
    recognised = [(i, r) for i, refs in enumerate(all_refs) for r in refs]
    near = [(i, c) for i, (_, t) in enumerate(texts) for c in near_numbers(t)]
    named = [(i, w) for i, (_, t) in enumerate(texts) for w in name_words(t)]
    rng = random.Random(seed)
    rows = []
    for k, (i, r) in enumerate(rng.sample(recognised, min(n, len(recognised)))):
        doc, text = texts[i]
        rows.append({"id": f"a{k}", "kind": "a", "doc": doc, "start": r.start, "end": r.end,
                     "text": r.text, "keys": r.keys(), "context": context(text, r.start, r.end)})
    for k, (i, (ws, ns, ne, me)) in enumerate(rng.sample(near, min(n, len(near)))):
        doc, text = texts[i]
        hit = covering(all_refs[i], ns)
        rows.append({"id": f"b{k}", "kind": "b", "doc": doc, "start": ws, "end": me,
                     "text": text[ws:me], "number": text[ns:ne],
                     "taken": hit.keys() if hit else None,
                     "context": context(text, ws, me)})
    for k, (i, (ws, we)) in enumerate(rng.sample(named, min(n, len(named)))):
        doc, text = texts[i]
        hit = covering(all_refs[i], ws)
        rows.append({"id": f"c{k}", "kind": "c", "doc": doc, "start": ws, "end": we,
                     "text": text[ws : we + NAME_CONTEXT].split("\n")[0],
                     "taken": hit.keys() if hit else None,
                     "context": context(text, ws, we)})
    figures = {"docs": len(texts), "chars": sum(len(t) for _, t in texts),
               "seconds": round(seconds, 2), "refs": len(recognised), "near": len(near),
               "name_words": len(named)}
    return rows, figures


def _recall(rows: list[dict], labels: dict[str, dict], kind: str) -> dict:
    """Recall of one recall sample (kind b or c): taken-and-right among the real ones."""
    got = [r for r in rows if r["kind"] == kind and r["id"] in labels]
    real = [r for r in got if labels[r["id"]]["real"]]
    taken_right = sum(1 for r in real if bool(r["taken"]) and labels[r["id"]].get("taken_ok", True))
    not_real = [r for r in got if r["taken"] and not labels[r["id"]]["real"]]
    # "other_ref": the word is covered by another, right reference ("quy định tại khoản 4
    # điều 170 của Luật Thương mại": the article of the law, not a Quy định 4)
    other = sum(1 for r in not_real if labels[r["id"]].get("other_ref"))
    return {f"{kind}_labelled": len(got), f"{kind}_real": len(real), f"{kind}_real_taken": taken_right,
            f"{kind}_recall": round(taken_right / len(real), 3) if real else None,
            f"{kind}_not_real_taken": len(not_real) - other, f"{kind}_other_ref": other}


def score(sample: list[dict], labels: dict[str, dict]) -> dict:
    """Precision on kind a, recall on the real references of kinds b (numbered)
    and c (named)."""
    a = [r for r in sample if r["kind"] == "a" and r["id"] in labels]
    ok = sum(1 for r in a if labels[r["id"]]["ok"])
    figures = {"a_labelled": len(a), "a_correct": ok,
               "precision": round(ok / len(a), 3) if a else None}
    b = _recall(sample, labels, "b")
    figures.update(b_labelled=b["b_labelled"], b_real=b["b_real"], b_real_taken=b["b_real_taken"],
                   recall=b["b_recall"], b_not_real_taken=b["b_not_real_taken"],
                   b_other_ref=b["b_other_ref"])
    if any(r["kind"] == "c" for r in sample):
        figures.update(_recall(sample, labels, "c"))
    return figures


def retake(sample: list[dict], texts: list[tuple[str, str]]) -> list[dict]:
    """The sample with ``taken`` (kind b) and ``lost`` (kind a) from the current code."""
    by_id = dict(texts)
    out = []
    for row in sample:
        refs = find_refs(by_id[row["doc"]])
        row = dict(row)
        if row["kind"] == "a":
            row["lost"] = not any(
                r.start == row["start"] and r.key == row["keys"][0] for r in refs
            )
        elif row["kind"] == "b":
            hit = covering(refs, row["start"] + row["text"].rfind(row["number"]))
            row["taken"] = hit.keys() if hit else None
        else:
            hit = covering(refs, row["start"])
            row["taken"] = hit.keys() if hit else None
        out.append(row)
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--n", type=int, default=200, help="rows per sample")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--score", type=Path, help="labels (JSON lines) to score the sample in --out")
    p.add_argument("--retake", action="store_true", help="with --score: re-run the recogniser first")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.score:
        sample = [json.loads(line) for line in args.out.open(encoding="utf-8")]
        labels = {}
        for line in args.score.open(encoding="utf-8"):
            if line.strip():
                d = json.loads(line)
                labels[d["id"]] = d
        if args.retake:
            if not CORPUS.exists():
                print(f"error: {CORPUS} not found (needs ../shared)", file=sys.stderr)
                return 2
            sample = retake(sample, load_texts(CORPUS))
        figures = score(sample, labels)
        if args.retake:
            figures["a_lost"] = sum(1 for r in sample if r.get("lost"))
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    if not CORPUS.exists():
        print(f"error: {CORPUS} not found (needs ../shared)", file=sys.stderr)
        return 2
    texts = load_texts(CORPUS)
    rows, figures = build_samples(texts, args.n, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    figures.update(seed=args.seed, out=str(args.out))
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
