"""Navigation speed: filters, facets, sorting and browsing on the politics slice.

    python benchmarks/bench_navigation.py                 # build a dated slice index, then measure
    python benchmarks/bench_navigation.py --index DIR     # reuse an index built by an earlier run

VNTC articles carry no date, so each article of the 12,547-article "Chính trị
Xã hội" slice gets one, spread over 2003–2007 by a fixed-seed generator, as a
record ``date`` (a trusted date: it is filtered and sorted on), and a source
from a fixed list of five.  Then, side by side in one run, with the same
queries as ``bench_index.py``:

* each query as it is (the baseline);
* the same query with a date filter (one year) and three facets (year, source, cites);
* the same query sorted newest first;
* browsing with no query: a date filter, newest first, 10 per page, pages 1-5.

Warm latency (each measured query runs once before the timed rounds), p50 and
p95 over 5 rounds.  Results: ``benchmarks/results/bench_navigation.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (ROOT, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench_index import CATEGORY, QUERIES, VNTC, prepare_corpus  # noqa: E402

SOURCES = ["dangcongsan.vn", "tapchixaydungdang.org.vn", "nhandan.vn", "baochinhphu.vn", "qdnd.vn"]
ROUNDS = 5


def dated_corpus(work: Path, n: int | None) -> dict:
    """The slice as one JSONL corpus, each record with a date in 2003–2007 and a source."""
    info = prepare_corpus(work, n)
    rng = random.Random(2003)
    first, days = dt.date(2003, 1, 1), (dt.date(2007, 12, 31) - dt.date(2003, 1, 1)).days
    src = work / "corpus" / "vntc.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines()
    with open(src, "w", encoding="utf-8") as f:
        for line in lines:
            r = json.loads(line)
            r["date"] = (first + dt.timedelta(days=rng.randrange(days + 1))).isoformat()
            r["source"] = rng.choice(SOURCES)
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return info


def timed(fn, rounds: int = ROUNDS) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[max(int(round(len(xs) * 0.95)) - 1, 0)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--n", type=int, default=None, help="only the first N articles of the slice")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-bench-navigation")
    ap.add_argument("--procs", type=int, default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_navigation.md")
    args = ap.parse_args()
    if not VNTC.is_file():
        raise SystemExit(f"{VNTC} is missing")
    from searcher import Searcher, build_index

    index = args.index
    build_s = None
    if index is None:
        info = dated_corpus(args.work, args.n)
        index = args.work / "index"
        t0 = time.perf_counter()
        build_index(args.work / "corpus", index, procs=args.procs)
        build_s = time.perf_counter() - t0
        print(f"built {info['docs']} articles in {build_s:.0f} s", file=sys.stderr)

    rows: dict[str, list[float]] = {"query": [], "query + year filter + 3 facets": [], "query, newest first": [],
                                    "browse: year filter, newest first, pages 1-5": []}
    totals: dict[str, list[int]] = {k: [] for k in rows}
    with Searcher(index) as s:
        docs = s.doc_count()
        for i, q in enumerate(QUERIES):
            year = 2003 + i % 5
            cases = {
                "query": lambda q=q: s.search(q, limit=10),
                "query + year filter + 3 facets": lambda q=q, y=year: s.search(
                    q, limit=10, since=str(y), until=str(y), facets=["year", "source", "cites"]),
                "query, newest first": lambda q=q: s.search(q, limit=10, sort="newest"),
            }
            for name, fn in cases.items():
                rows[name] += timed(fn)
                totals[name].append(fn().total)
        for y in range(2003, 2008):
            for page in range(5):
                fn = (lambda y=y, page=page: s.search("", since=f"{y}", until=f"{y}", offset=10 * page, limit=10))
                rows["browse: year filter, newest first, pages 1-5"] += timed(fn)
                totals["browse: year filter, newest first, pages 1-5"].append(fn().total)
    lines = [
        "# Navigation speed",
        "",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {platform.platform()}, {platform.python_version()}",
        f"- Command: `python benchmarks/bench_navigation.py {' '.join(sys.argv[1:])}`".rstrip(),
        f"- Index: {docs} VNTC \"{CATEGORY}\" articles, each dated in 2003–2007 (fixed seed) with one of "
        f"{len(SOURCES)} sources" + (f"; built in {build_s:.0f} s" if build_s else ""),
        f"- {len(QUERIES)} queries of `bench_index.py`; warm, {ROUNDS} rounds each; browsing: 5 years × 5 pages",
        "",
        "| case | searches | p50 ms | p95 ms | mean matches |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, xs in rows.items():
        mean = statistics.mean(totals[name]) if totals[name] else 0
        lines.append(f"| {name} | {len(xs)} | {statistics.median(xs):.1f} | {p95(xs):.1f} | {mean:.0f} |")
    lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
