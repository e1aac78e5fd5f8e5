"""Typo slips: known-item queries typed with one slip, against any built index.

    python benchmarks/typo_slips.py --index DIR          # an existing index of (part of) the slice
    python benchmarks/typo_slips.py                      # builds an index of the 12,547 articles (long)
    python benchmarks/typo_slips.py --n 300 --procs 1    # ... of the first 300 only

Queries come from the "Chính trị Xã hội" articles of ``../shared/corpora/vntc.jsonl.xz``,
selected by ``bench_index.prepare_corpus`` (the index benchmark's own helper): for
``--queries`` articles drawn with ``--seed`` among those the index holds, a run of 3–5
consecutive words of the body as indexed (Vietnamese syllables only, separated by single
spaces).  Each query is then typed with each slip, one syllable chosen at random:

* ``clean`` — as written;
* ``neighbour`` — one plain letter replaced by a QWERTY neighbour (tiếng → tiếmg);
* ``drop`` — one letter dropped (tiếng → tiếg);
* ``double`` — one letter doubled (tiếng → tiếnng);
* ``telex`` — the whole query as raw Telex keystrokes (tiếng → tieengs);
* ``vni`` — the whole query as raw VNI keystrokes (tiếng → tie6ng1);
* ``tone`` — one tone changed for another (tiếng → tiềng);
* ``horn`` — one horn left out (người → nguời, thương → thuơng); only queries holding
  ư or ơ.

For each slip: success@10 (the article is in the top 10), MRR@10, and warm latency of
``Searcher.search(q, limit=10)`` (each query is run once untimed, then timed), as a
Markdown table in ``benchmarks/results/typo_slips.md`` and figures in ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (ROOT, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench_index import CATEGORY, VNTC, prepare_corpus

from searcher.normalise import SYLLABLE_RE, has_diacritics, norm_syllable
from searcher.telex import encode_telex, encode_vni
from searcher.variants import TONE_MARKS, is_syllable, strip_tones

SLIPS = ["clean", "neighbour", "drop", "double", "telex", "vni", "tone", "horn"]
K = 10

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_STAGGER = [0.0, 0.25, 0.75]  # how far each row sits right of the one above on a keyboard


def _keyboard_neighbours() -> dict[str, str]:
    """Letter -> the letters touching its key on a QWERTY keyboard."""
    pos = {ch: (r, c + _STAGGER[r]) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    return {
        a: "".join(b for b, (rb, xb) in pos.items()
                   if b != a and abs(rb - ra) <= 1 and abs(xb - xa) < (1.1 if rb == ra else 1.0))
        for a, (ra, xa) in pos.items()
    }


NEIGHBOURS = _keyboard_neighbours()
_HORN = "\u031b"


# --- queries ---------------------------------------------------------------------


def slice_records(work: Path, n: int | None) -> list[dict]:
    """The slice's articles, as the index benchmark selects them."""
    prepare_corpus(work, n)
    with open(work / "corpus" / "vntc.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


RARE_SHARE = 0.005  # a known-item query holds a word at most this share of the articles use


def word_run(body: str, rng: random.Random, rare=lambda syllable: True) -> str | None:
    """A run of 3–5 consecutive Vietnamese syllables of ``body``, single-space
    separated, holding at least one ``rare`` syllable (what makes it a known-item
    query: "các giảng viên hàng" is not one, "giảng viên Nguyễn Văn Thạc" is)."""
    toks = list(SYLLABLE_RE.finditer(body))
    ok = [t.group().isalpha() and is_syllable(norm_syllable(t.group())) for t in toks]
    joined = [i + 1 < len(toks) and body[toks[i].end() : toks[i + 1].start()] == " "
              for i in range(len(toks))]
    length = rng.randint(3, 5)
    starts = [
        i for i in range(len(toks) - length + 1)
        if all(ok[i : i + length]) and all(joined[i : i + length - 1])
        and any(has_diacritics(t.group()) for t in toks[i : i + length])
        and any(rare(t.group()) for t in toks[i : i + length])
    ]
    if not starts:
        return None
    i = rng.choice(starts)
    return " ".join(t.group() for t in toks[i : i + length])


# --- slips -----------------------------------------------------------------------------


def _on_one(query: str, rng: random.Random, eligible, change) -> str | None:
    """Apply ``change`` to one randomly chosen eligible word of the query."""
    words = query.split(" ")
    idx = [i for i, w in enumerate(words) if eligible(w)]
    if not idx:
        return None
    i = rng.choice(idx)
    words[i] = change(words[i], rng)
    return " ".join(words)


def _neighbour(w: str, rng: random.Random) -> str:
    pos = rng.choice([i for i, ch in enumerate(w) if ch.lower() in NEIGHBOURS])
    ch = w[pos]
    new = rng.choice(NEIGHBOURS[ch.lower()])
    return w[:pos] + (new.upper() if ch.isupper() else new) + w[pos + 1 :]


def _drop(w: str, rng: random.Random) -> str:
    pos = rng.randrange(len(w))
    return w[:pos] + w[pos + 1 :]


def _double(w: str, rng: random.Random) -> str:
    pos = rng.randrange(len(w))
    return w[: pos + 1] + w[pos:]


def _tone(w: str, rng: random.Random) -> str:
    bare, tones = strip_tones(w.lower())
    new = rng.choice([t for t in TONE_MARKS if t != tones[:1]])
    first = next(i for i, ch in enumerate(bare) if ch in "aeiouyăâêôơư")
    out = norm_syllable(bare[: first + 1] + new + bare[first + 1 :])
    return out[:1].upper() + out[1:] if w[:1].isupper() else out


def _horn(w: str, rng: random.Random) -> str:
    nfd = unicodedata.normalize("NFD", w)
    k = nfd.index(_HORN)  # the first horn: ươ loses the u's (người → nguời)
    return unicodedata.normalize("NFC", nfd[:k] + nfd[k + 1 :])


def apply_slip(slip: str, query: str, rng: random.Random) -> str | None:
    """The query typed with one slip; None when the slip does not apply to it."""
    if slip == "clean":
        return query
    if slip == "telex":
        return encode_telex(query)
    if slip == "vni":
        return encode_vni(query)
    if slip == "neighbour":
        return _on_one(query, rng, lambda w: any(c.lower() in NEIGHBOURS for c in w), _neighbour)
    if slip == "drop":
        return _on_one(query, rng, lambda w: len(w) >= 2, _drop)
    if slip == "double":
        return _on_one(query, rng, lambda w: True, _double)
    if slip == "tone":
        return _on_one(query, rng, lambda w: True, _tone)
    if slip == "horn":
        return _on_one(query, rng, lambda w: _HORN in unicodedata.normalize("NFD", w), _horn)
    raise ValueError(slip)


# --- measuring ----------------------------------------------------------------------------


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[max(int(len(xs) * 0.95) - 1, 0)]


ENGINE: dict = {}  # the library measured: this checkout's, or another's (--engine)


def load_engine(root: Path | None) -> dict:
    """``Searcher``, ``build_index`` and the error classes of the ``searcher`` package
    at ``root`` (another checkout, e.g. the code before a change), imported under
    the alias ``searcher_engine`` so it never mixes with this checkout's modules;
    this checkout's own when ``root`` is None."""
    import importlib
    import importlib.util

    if root is None:
        import searcher

        pkg = "searcher"
    else:
        pkg = "searcher_engine"
        spec = importlib.util.spec_from_file_location(
            pkg, root / "searcher" / "__init__.py", submodule_search_locations=[str(root / "searcher")]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[pkg] = module
        spec.loader.exec_module(module)
    search = importlib.import_module(f"{pkg}.search")
    errors = importlib.import_module(f"{pkg}.errors")
    indexer = importlib.import_module(f"{pkg}.indexer")
    ENGINE.update(Searcher=search.Searcher, build_index=indexer.build_index,
                  BantinError=errors.BantinError, DocumentNotFound=errors.DocumentNotFound)
    return ENGINE


def known_items(searcher, records: list[dict], n: int, seed: int) -> list[dict]:
    """``n`` (id, clean query) pairs from articles the index holds."""
    DocumentNotFound = ENGINE["DocumentNotFound"]

    rng = random.Random(seed)
    limit = max(1, int(searcher.doc_count() * RARE_SHARE))
    df_cache: dict[str, int] = {}

    def rare(syllable: str) -> bool:
        key = norm_syllable(syllable)
        if key not in df_cache:
            try:
                df_cache[key] = searcher.search(f'"{key}"', limit=1).total
            except ENGINE["BantinError"]:
                df_cache[key] = 0
        return 0 < df_cache[key] <= limit

    order = list(range(len(records)))
    rng.shuffle(order)
    out: list[dict] = []
    for i in order:
        if len(out) >= n:
            break
        try:
            doc = searcher.get(records[i]["id"])
        except DocumentNotFound:
            continue
        q = word_run(doc.body, rng, rare)
        if q:
            out.append({"id": doc.id, "query": q})
    return out


def _search_ids(searcher, q: str) -> list[str]:
    BantinError = ENGINE["BantinError"]

    try:
        return [h.id for h in searcher.search(q, limit=K).hits]
    except BantinError:  # an unsearchable query finds nothing
        return []


def run(searcher, items: list[dict], seed: int) -> dict:
    """Every slip of every query: the query as typed, the rank of the known item
    (None: not in the top 10; the slip does not apply when ``typed`` is None),
    and warm latency."""
    per_slip: dict[str, dict] = {}
    for slip in SLIPS:
        typed = [apply_slip(slip, it["query"], random.Random(f"{seed}:{n}:{slip}"))
                 for n, it in enumerate(items)]
        ranks: list[int | None] = []
        for it, q in zip(items, typed):
            ids = _search_ids(searcher, q) if q is not None else []
            ranks.append(ids.index(it["id"]) + 1 if it["id"] in ids else None)
        times = []
        for q in typed:  # warm: the second run of each query
            if q is not None:
                t0 = time.perf_counter()
                _search_ids(searcher, q)
                times.append((time.perf_counter() - t0) * 1000)
        n = len(times)
        found = [r for q, r in zip(typed, ranks) if q is not None and r]
        per_slip[slip] = {
            "queries": n,
            "success_at_10": len(found) / n if n else 0.0,
            "mrr_at_10": sum(1 / r for r in found) / n if n else 0.0,
            "p50_ms": statistics.median(times) if times else 0.0,
            "p95_ms": _p95(times) if times else 0.0,
            "typed": typed,
            "ranks": ranks,
        }
        r = per_slip[slip]
        print(f"  {slip:<10} n={n:4d}  success@10 {r['success_at_10']:.3f}  MRR@10 {r['mrr_at_10']:.3f}  "
              f"p50 {r['p50_ms']:.1f} ms", file=sys.stderr, flush=True)
    return per_slip


def write_report(path: Path, res: dict) -> None:
    lines = [
        "# Typo slips: known-item queries typed with one slip",
        "",
        f"- Date: {res['date']}",
        f"- Command: `{res['command']}`",
        (f"- Index: {res['index']} ({res['documents']} documents); queries from VNTC \"{CATEGORY}\" "
         f"articles it holds: {res['queries']} runs of 3–5 consecutive words holding a word at most "
         f"{RARE_SHARE:.1%} of the articles use (known-item queries), seed {res['seed']}"),
        ("- Success@10: the article the words come from is in the top 10; MRR@10 over the queries a "
         "slip applies to; latency: warm `Searcher.search(q, limit=10)` (second run of each query)."),
        "",
        "| slip | queries | success@10 | MRR@10 | p50 ms | p95 ms | example |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for slip in SLIPS:
        r = res["slips"][slip]
        ex = next((q for q in r["typed"] if q is not None), "")
        lines.append(f"| {slip} | {r['queries']} | {r['success_at_10']:.3f} | {r['mrr_at_10']:.3f} | "
                     f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {ex} |")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, help="an existing index (default: build one of the slice)")
    ap.add_argument("--queries", type=int, default=300, help="known-item queries (default 300)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--n", type=int, default=None, help="only the first N articles of the slice")
    ap.add_argument("--procs", type=int, default=None, help="worker processes when building")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-typo-slips",
                    help="scratch folder for the slice (and the index, when building)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "typo_slips.md")
    ap.add_argument("--engine", type=Path, default=None,
                    help="measure the searcher package of another checkout (e.g. the code before a change)")
    ap.add_argument("--items", type=Path, default=None,
                    help="reuse the known items of an earlier run's JSON (same queries for both engines)")
    args = ap.parse_args()
    if not VNTC.is_file():
        raise SystemExit(f"{VNTC} is missing")
    engine = load_engine(args.engine)
    Searcher, build_index = engine["Searcher"], engine["build_index"]

    print("reading the slice…", file=sys.stderr)
    records = slice_records(args.work, args.n)
    index = args.index
    if index is None:
        index = args.work / "index"
        print(f"building {index} from {len(records)} articles…", file=sys.stderr)
        build_index(args.work / "corpus", index, procs=args.procs)
    with Searcher(index) as s:
        if args.items is not None:
            items = json.loads(args.items.read_text(encoding="utf-8"))["items"]
        else:
            items = known_items(s, records, args.queries, args.seed)
        if not items:
            raise SystemExit(f"no article of the slice is in {index}")
        s.search("khởi động", limit=K)
        res = {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["python", "benchmarks/typo_slips.py", *sys.argv[1:]]),
            "engine": str(args.engine) if args.engine else "this checkout",
            "index": str(index), "documents": s.doc_count(), "seed": args.seed, "queries": len(items),
            "slips": run(s, items, args.seed), "items": items,
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_report(args.out, res)
    args.out.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
