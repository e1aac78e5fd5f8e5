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
  with that number?) → **recall** = taken-and-right among the real ones.

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
    figures = {"docs": len(texts), "chars": sum(len(t) for _, t in texts),
               "seconds": round(seconds, 2), "refs": len(recognised), "near": len(near)}
    return rows, figures


def score(sample: list[dict], labels: dict[str, dict]) -> dict:
    """Precision on kind a, recall on the real references of kind b."""
    a = [r for r in sample if r["kind"] == "a" and r["id"] in labels]
    b = [r for r in sample if r["kind"] == "b" and r["id"] in labels]
    ok = sum(1 for r in a if labels[r["id"]]["ok"])
    real = [r for r in b if labels[r["id"]]["real"]]
    taken_right = sum(1 for r in real if labels[r["id"]].get("taken_ok", bool(r["taken"])))
    false_taken = sum(1 for r in b if r["taken"] and not labels[r["id"]]["real"])
    return {"a_labelled": len(a), "a_correct": ok,
            "precision": round(ok / len(a), 3) if a else None,
            "b_labelled": len(b), "b_real": len(real), "b_real_taken": taken_right,
            "recall": round(taken_right / len(real), 3) if real else None,
            "b_not_real_taken": false_taken}


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
        else:
            hit = covering(refs, row["start"] + row["text"].rfind(row["number"]))
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
