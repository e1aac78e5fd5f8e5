"""Benchmark the query executor on synthetic segments: dense (old) against sparse (new).

    python benchmarks/bench_executor.py                          # 12.5k, 100k and 1M documents
    python benchmarks/bench_executor.py --sizes 12500,100000 --rounds 5

Each segment is built in memory (no whoosh index): every query term's postings,
sorted document numbers with weights 1-6, drawn uniformly at random with a
posting length that follows a Zipf law over the query's 26 terms (the k-th
longest has ``n * top / k`` documents), and per-field document lengths, coded
in a byte as whoosh stores them — the arrays a segment's sidecar holds
(:mod:`searcher.sidecar`).  The query has the
shape of bantin's ``all_query`` for three words (:mod:`searcher.query`):

    AndMaybe(And([Or(6 terms: fold, syl, 2 restored forms, title_fold, title)] x 3),
             Or(8 bonus word/pair terms))

and runs three times: "common words" (``top`` = 1/2: the longest posting list
holds half the segment, 1.9 postings per document in all, like "ha noi" in
news), "rarer words" (``top`` = 1/20) and "rare words" (``top`` = 1/200).

Side by side in one run, on the same segment objects, through ``top(q, 10)``:

* **old**: the executor as it was before the sparse evaluation — dense arrays of
  every document for every query node — copied below verbatim
  (:class:`DenseExecutor`, from ``searcher/execute.py`` at commit d2c6fad);
* **new**: :class:`searcher.execute.QueryExecutor`.

Times are medians (wall and this process's CPU time) of ``--rounds`` runs
(3x that below 1M documents) after one warm-up; peak memory is what
``tracemalloc`` sees allocated above the resting state during one more run
(numpy reports its arrays to it), and the arrays the new executor keeps per
segment for reuse are listed apart.  Both answers are compared (documents,
scores to the bit, total).  A second table reruns the queries with the dense
path starting at other shares of the segment, which is where
:data:`searcher.execute.DENSE_SHARE` comes from; a third times the two ways of
aligning sorted lists (binary search / position table) against the rule
:data:`searcher.execute.TABLE_PROBES` picks by.  Results go to
``benchmarks/results/bench_executor.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from whoosh import fields as wf
from whoosh import query as wq
from whoosh import scoring

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from searcher import execute  # noqa: E402
from searcher.execute import QueryExecutor, Ranked  # noqa: E402

FIELDS = ("syl", "fold", "title", "title_fold", "word", "pair", "pair_fold")
SCENARIOS = {"common words": 1 / 2, "rarer words": 1 / 20, "rare words": 1 / 200}
TARGET_MS = 60.0


# --- the old executor (baseline) -------------------------------------------------------------------
# BASELINE: searcher/execute.py as it was at commit d2c6fad (dense arrays), copied verbatim apart from
# the class name and the constructor (it shares the new executor's segments).  Not used by bantin.


class DenseExecutor:
    """OLD CODE, for comparison only: every node evaluated into dense per-document arrays."""

    def __init__(self, new: QueryExecutor):
        self.searcher = new.searcher
        self.weighting = new.weighting
        self.bm25f = new.bm25f
        self.leaves = new.leaves
        self._stats: dict = {}

    def top(self, q, limit: int, allow=None) -> Ranked:
        return self.ranked(self.match(q, allow), limit)

    def match(self, q, allow=None, keep=None):
        masks, scores = [], []
        for leaf in self.leaves:
            if q is None:
                m, s = np.ones(leaf.n, dtype=bool), np.zeros(leaf.n)
            else:
                m, s = self._eval(q, leaf)
            if allow is not None:
                m = m & self._eval(allow, leaf)[0]
            if keep is not None:
                k = keep(leaf)
                if k is not None:
                    m = m & k
            if leaf.live is not None:
                m = m & leaf.live
            masks.append(m)
            scores.append(s)
        return masks, scores

    def ranked(self, matches, limit: int, offset: int = 0, order=None) -> Ranked:
        masks, scores = matches
        mask = np.concatenate(masks) if masks else np.zeros(0, dtype=bool)
        score = np.concatenate(scores) if scores else np.zeros(0)
        docs = np.flatnonzero(mask)
        total = len(docs)
        want = offset + limit
        if total == 0 or offset >= total:
            return Ranked([], [], total)
        s = score[docs]
        if order is None:
            if total > want:
                kth = np.partition(s, total - want)[total - want]  # the want-th best score
                keep = s >= kth
                docs, s = docs[keep], s[keep]
            idx = np.lexsort((docs, -s))[offset:want]  # score descending, then document number
        else:
            key = np.concatenate([order(leaf) for leaf in self.leaves])[docs]
            idx = np.lexsort((docs, -s, key))[offset:want]
        return Ranked(docs[idx].tolist(), s[idx].tolist(), total)

    def _eval(self, q, leaf):
        kind = type(q)
        if kind is wq.Term:
            return self._term(q, leaf)
        if kind in (wq.Or, wq.And) and not getattr(q, "scale", None) and not getattr(q, "minmatch", 0):
            subs = q.subqueries
            if not subs:
                return self._empty(leaf)
            if len(subs) == 1:  # whoosh drops the compound (and its boost) around a single query
                return self._eval(subs[0], leaf)
            parts = [self._eval(sub, leaf) for sub in subs]
            if kind is wq.Or:
                mask = np.logical_or.reduce([m for m, _ in parts])
                score = np.add.reduce([s for _, s in parts])
            else:
                mask = np.logical_and.reduce([m for m, _ in parts])
                score = np.where(mask, np.add.reduce([s for _, s in parts]), 0.0)
            if q.boost != 1.0:
                score = score * q.boost
            return mask, score
        if kind is wq.AndMaybe:
            ma, sa = self._eval(q.a, leaf)
            mb, sb = self._eval(q.b, leaf)
            return ma, np.where(ma & mb, sa + sb, sa)
        if kind is wq.AndNot:
            ma, sa = self._eval(q.a, leaf)
            mb, _ = self._eval(q.b, leaf)
            mask = ma & ~mb
            return mask, np.where(mask, sa, 0.0)
        raise NotImplementedError(kind)  # (whoosh's matchers: not needed on these segments)

    def _empty(self, leaf):
        return np.zeros(leaf.n, dtype=bool), np.zeros(leaf.n)

    def _term(self, q, leaf):
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return self._empty(leaf)
        field = schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return self._empty(leaf)
        side = leaf.sidecar
        found = side.postings(q.fieldname, btext)
        docs, weights = found
        idf, avgfl = self._term_stats(q.fieldname, btext)
        b, k1 = self._bm25_params(q.fieldname)
        tf = weights.astype(np.float64)
        fl = side.lengths(q.fieldname)[docs]
        score = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        if q.boost != 1.0:
            score = score * q.boost
        mask = np.zeros(leaf.n, dtype=bool)
        mask[docs] = True
        out = np.zeros(leaf.n)
        out[docs] = score
        return mask, out

    def _term_stats(self, fieldname, btext):
        key = (fieldname, btext)
        stats = self._stats.get(key)
        if stats is None:
            s = self.searcher
            stats = self._stats[key] = (s.idf(fieldname, btext), s.avg_field_length(fieldname) or 1)
        return stats

    def _bm25_params(self, fieldname):
        w = self.weighting
        return w._field_B.get(fieldname, w.B), w.K1


# --- a synthetic segment -----------------------------------------------------------------------------


class MemorySidecar:
    """What :class:`searcher.sidecar.Sidecar` answers, from arrays in memory."""

    def __init__(self, n: int, postings: dict, lengths: dict):
        self.documents = n
        self.fields = frozenset(lengths)
        self._postings = postings
        self._lengths = lengths

    def postings(self, field: str, btext: bytes):
        """New ``intp`` and ``float64`` arrays, as the real sidecar decodes them on each look-up."""
        found = self._postings.get((field, btext))
        return None if found is None else (found[0].astype(np.intp), found[1].astype(np.float64))

    def lengths(self, field: str):
        return self._lengths[field]

    def close(self) -> None:
        pass


class _Reader:
    def __init__(self, n: int):
        self.n = n

    def doc_count_all(self) -> int:
        return self.n

    def has_deletions(self) -> bool:
        return False


class _LeafSearcher:
    def __init__(self, n: int):
        self._reader = _Reader(n)

    def reader(self):
        return self._reader


class SyntheticSearcher:
    """The parts of a whoosh searcher the executor reads, for one synthetic segment."""

    def __init__(self, n: int, postings: dict, lengths: dict):
        self.schema = wf.Schema(**{f: wf.TEXT() for f in FIELDS})
        self.weighting = scoring.BM25F(title_B=0.5, title_fold_B=0.5)
        self.n = n
        self._df = {key: len(docs) for key, (docs, _) in postings.items()}
        self._avg = {f: float(v.mean()) for f, v in lengths.items()}

    def leaf_searchers(self):
        return [(_LeafSearcher(self.n), 0)]

    def idf(self, field: str, btext: bytes) -> float:
        return math.log(self.n / (self._df[(field, btext)] + 1)) + 1.0  # whoosh's Weighting.idf

    def doc_frequency(self, field: str, btext: bytes) -> int:
        return self._df.get((field, btext), 0)

    def avg_field_length(self, field: str) -> float:
        return self._avg[field]


def query_terms() -> list[tuple[str, str, float, str]]:
    """The 26 terms ``(field, text, boost, role)`` of the query, longest postings first."""
    roles = [("fold", 0.5), ("syl", 1.0), ("syl", 0.3), ("title_fold", 1.0), ("title", 2.0), ("syl", 0.1)]
    terms = []
    for role, (field, boost) in enumerate(roles):  # rank 3*role + syllable + 1
        for syllable in range(3):
            terms.append((field, f"s{syllable}r{role}", boost, f"or{syllable}"))
    for k in range(8):
        field = ("word", "pair", "pair_fold")[k % 3]
        terms.append((field, f"b{k}", 0.7, "bonus"))
    return terms


def bantin_query() -> wq.Query:
    terms = query_terms()
    syl = [wq.Or([wq.Term(f, t, boost=b) for f, t, b, r in terms if r == f"or{i}"]) for i in range(3)]
    bonus = wq.Or([wq.Term(f, t, boost=b) for f, t, b, r in terms if r == "bonus"])
    return wq.AndMaybe(wq.And(syl), bonus)


def build_segment(n: int, top: float, seed: int = 0) -> tuple[QueryExecutor, int]:
    """A one-segment executor over synthetic postings; returns it and the query's postings."""
    rng = np.random.default_rng(seed)
    lengths = {}
    for f in FIELDS:  # as whoosh stores them: one byte each (whoosh.util.numeric.length_to_byte)
        scale = 3.0 if f.startswith("title") else 90.0
        raw = np.round(rng.gamma(4.0, scale, n)) + 1
        lengths[f] = execute._LENGTHS[np.minimum(np.searchsorted(execute._LENGTHS, raw), 255)]
    postings = {}
    total = 0
    for rank, (field, text, _boost, _role) in enumerate(query_terms(), start=1):
        share = top / rank  # Zipf
        docs = np.flatnonzero(rng.random(n) < share).astype(np.uint32)
        weights = np.minimum(rng.zipf(2.0, len(docs)), 6).astype(np.float32)
        postings[(field, text.encode())] = (docs, weights)
        total += len(docs)
    searcher = SyntheticSearcher(n, postings, lengths)
    ev = QueryExecutor(searcher, "/nonexistent")
    (leaf,) = ev.leaves
    leaf.sidecar = MemorySidecar(n, postings, lengths)
    return ev, total


# --- measuring -------------------------------------------------------------------------------------


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float, object]:
    """Median wall and CPU milliseconds of ``rounds`` runs after a warm-up, and the last result."""
    out = fn()
    wall, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    return statistics.median(wall), statistics.median(cpu), out


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        tracemalloc.stop()


def kept_mb(ev: QueryExecutor) -> float:
    """What the new executor keeps per segment between queries: arrays for reuse
    (execute._Scratch) and the byte-coded field lengths of the fields queried."""
    total = 0
    for leaf in ev.leaves:
        total += sum(m.nbytes + s.nbytes for m, s in leaf.scratch._dense)
        total += sum(t.nbytes for t in leaf.scratch._tables)
        total += sum(c.nbytes for c in leaf._length_codes.values() if c is not None)
    return total / 2**20


def fresh(ev: QueryExecutor) -> QueryExecutor:
    """The executor with no scored postings kept from an earlier run: each round scores
    the query's terms again (a real index keeps them across searches, up to 64 MB)."""
    ev.forget_terms()
    return ev


def rounds_for(n: int, rounds: int) -> int:
    return rounds if n >= 1_000_000 else rounds * 3


def compare_one(n: int, scenario: str, top: float, rounds: int) -> dict:
    q = bantin_query()
    ev, postings = build_segment(n, top)
    old = DenseExecutor(ev)
    r = rounds_for(n, rounds)
    old_ms, old_cpu, old_res = timed(lambda: old.top(q, 10), r)
    new_ms, new_cpu, new_res = timed(lambda: fresh(ev).top(q, 10), r)
    same = (old_res.docnums, old_res.scores, old_res.total) == (new_res.docnums, new_res.scores, new_res.total)
    m = ev.match(q)
    old_masks, old_scores = old.match(q)
    bitwise = np.array_equal(m.masks[0], old_masks[0]) and np.array_equal(m.values[0], old_scores[0][m.docs[0]])
    del m, old_masks, old_scores
    return {
        "n": n, "scenario": scenario, "postings": postings, "matches": new_res.total,
        "old_ms": old_ms, "new_ms": new_ms, "old_cpu": old_cpu, "new_cpu": new_cpu,
        "old_mb": peak_mb(lambda: old.top(q, 10)), "new_mb": peak_mb(lambda: fresh(ev).top(q, 10)),
        "kept_mb": kept_mb(ev), "same": same and bitwise,
    }


def compare_executors(sizes: list[int], rounds: int) -> list[dict]:
    rows = []
    for n in sizes:
        for scenario, top in SCENARIOS.items():
            x = compare_one(n, scenario, top, rounds)
            rows.append(x)
            print(f"{n:>9,} {scenario:<13} old {x['old_ms']:7.1f} ms (cpu {x['old_cpu']:6.1f})  new {x['new_ms']:6.1f} ms "
                  f"(cpu {x['new_cpu']:5.1f})  peak {x['old_mb']:6.1f} / {x['new_mb']:5.1f} MB  same={x['same']}", flush=True)
    return rows


SHARES = (0, 2, 4, 8, 16, 32, None)  # 0: no OR dense; None: every OR dense


def sweep_one(n: int, scenario: str, top: float, rounds: int) -> dict:
    q = bantin_query()
    ev, _ = build_segment(n, top)
    row: dict = {"n": n, "scenario": scenario}
    saved = execute.DENSE_SHARE
    try:
        for share in SHARES:
            execute.DENSE_SHARE = 1e12 if share is None else 1e-12 if share == 0 else share
            row[share] = timed(lambda: fresh(ev).top(q, 10), rounds_for(n, rounds))[1]
    finally:
        execute.DENSE_SHARE = saved
    return row


def dense_share_sweep(sizes: list[int], rounds: int) -> list[dict]:
    """The whole query's CPU time with the dense path starting at other shares of the segment."""
    return [sweep_one(n, scenario, top, rounds) for n in sizes for scenario, top in SCENARIOS.items()]


ALIGN_CASES = ((1_000, 500_000), (5_000, 500_000), (20_000, 500_000), (60_000, 500_000), (150_000, 500_000),
               (500_000, 500_000), (1_000, 50_000), (5_000, 50_000), (20_000, 50_000), (50_000, 50_000),
               (300, 5_000), (2_000, 5_000), (5_000, 5_000))


def align_costs(rounds: int, n: int = 1_000_000) -> list[dict]:
    """Aligning two sorted lists of random documents of a 1M-document segment: binary search
    against the segment's position table, and which the executor picks (TABLE_PROBES)."""
    rows = []
    rng = np.random.default_rng(2)
    scratch = execute._Scratch(n)
    flush = np.ones(4 * n)  # read between runs, so the lists and the table start out of cache as in a query
    saved = execute.TABLE_PROBES
    try:
        for short, long_ in ALIGN_CASES:
            a = np.sort(rng.choice(n, short, replace=False))
            b = np.sort(rng.choice(n, long_, replace=False))
            row = {"short": short, "long": long_}
            for name, probes in (("binary search", 1e12), ("table", 0.0)):
                execute.TABLE_PROBES = probes
                times = []
                for _ in range(rounds * 3):
                    flush.sum()
                    c0 = time.process_time()
                    execute._align(a, b, scratch)
                    times.append((time.process_time() - c0) * 1000)
                row[name] = statistics.median(times)
            row["picked"] = "table" if short * math.log2(long_) > saved * (short + long_) else "binary search"
            rows.append(row)
    finally:
        execute.TABLE_PROBES = saved
    return rows


# --- report ----------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.1f} GB RAM, Python {platform.python_version()}, "
            f"numpy {np.__version__}, {platform.platform()}")


def write_report(path: Path, argv: list[str], load: tuple, load_end: tuple, rows: list[dict], sweep: list[dict],
                 aligns: list[dict], rounds: int) -> None:
    lines = [
        "# Query executor benchmark: dense (old) against sparse (new)",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- Command: `python benchmarks/bench_executor.py{' ' + ' '.join(argv) if argv else ''}`",
        f"- Machine: {machine()}",
        f"- Load average at the start / end: {', '.join(f'{x:.2f}' for x in load)} / "
        f"{', '.join(f'{x:.2f}' for x in load_end)} (the machine is shared: wall times include waiting "
        "for a core; CPU time is this process's own)",
        "- Segments: synthetic, in memory, one segment each; the 26 query terms' postings are uniform random "
        "documents, the k-th longest list holding `n × top / k` of them (Zipf); weights 1–6; field lengths "
        "gamma-distributed, byte-encoded as whoosh stores them.",
        "- Query: `AndMaybe(And([Or(6 terms)] × 3), Or(8 bonus terms))` — bantin's `all_query` for three "
        "words — through `top(q, 10)`. \"common words\": top = 1/2 (≈1.9 postings per document in all); "
        "\"rarer words\": top = 1/20; \"rare words\": top = 1/200.",
        f"- Old: the dense executor of commit d2c6fad, copied into the benchmark (`DenseExecutor`). "
        f"Times: median of {rounds * 3} runs (below 1M documents) or {rounds} runs (1M), each executor warmed "
        "up by one run first. Peak: `tracemalloc` peak above the resting state during one run; kept: what "
        "the new executor keeps per segment between queries (arrays for reuse, a byte per document and "
        "field queried for the lengths).",
        "- Same: the top 10, their scores and the total are equal, and every matching document with "
        "its score to the bit.",
        "",
        "## Per query",
        "",
        "| documents | query | postings | matches | old ms | new ms | speed-up | old CPU ms | new CPU ms "
        "| old peak MB | new peak MB | new kept MB | same |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['scenario']} | {r['postings']:,} | {r['matches']:,} | {r['old_ms']:.1f} | "
            f"{r['new_ms']:.1f} | {r['old_ms'] / r['new_ms']:.1f}× | {r['old_cpu']:.1f} | {r['new_cpu']:.1f} | "
            f"{r['old_mb']:.1f} | {r['new_mb']:.1f} | {r['kept_mb']:.1f} | {'yes' if r['same'] else '**NO**'} |"
        )
    big = [r for r in rows if r["n"] == max(x["n"] for x in rows)]
    worst = max(r["new_ms"] for r in big)
    lines += [
        "",
        f"Target: ≤ {TARGET_MS:.0f} ms per 26-term query on a {big[0]['n']:,}-document segment: "
        f"**{'met' if worst <= TARGET_MS else 'NOT met'}** (slowest median {worst:.1f} ms wall, "
        f"{max(r['new_cpu'] for r in big):.1f} ms CPU).",
        "",
        "## Where the dense path starts (`DENSE_SHARE`)",
        "",
        "The same queries, CPU ms (median), with an OR summed densely once its postings exceed 1/k of the "
        "segment (\"never\": every node sparse; \"always\": every OR dense):",
        "",
        "| documents | query | "
        + " | ".join("always" if k is None else "never" if k == 0 else f"1/{k}" for k in SHARES)
        + " |",
        "|---|---|" + "---|" * len(SHARES),
    ]
    for r in sweep:
        best = min(r[k] for k in SHARES)
        cells = [f"**{r[k]:.1f}**" if r[k] == best else f"{r[k]:.1f}" for k in SHARES]
        lines.append(f"| {r['n']:,} | {r['scenario']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"The executor uses 1/{execute.DENSE_SHARE}. Toward the left (\"never\", 1/2) the common-word query "
        "sorts hundreds of thousands of postings per OR and runs 2-3 times slower at 100k-1M documents; at "
        "the right (\"always\") every OR costs the whole segment, which shows on the rare-word query once "
        "the segment is large (and grows with it, whatever the postings). In between the optimum is flat: "
        "the common-word ORs are dense from 1/4 on anyway, and differences of a few ms are the shared "
        "machine's noise. 1/8 sits in the middle of it.",
        "",
        "## Binary search or position table (`TABLE_PROBES`)",
        "",
        "Aligning two sorted lists of random documents of a 1M-document segment (out of cache), CPU ms (median), "
        f"and what the executor picks (a table when shorter × log2(longer) > {execute.TABLE_PROBES:g} × "
        "(shorter + longer)):",
        "",
        "| shorter | longer | binary search ms | table ms | picked |",
        "|---|---|---|---|---|",
    ]
    for r in aligns:
        lines.append(f"| {r['short']:,} | {r['long']:,} | {r['binary search']:.3f} | {r['table']:.3f} | {r['picked']} |")
    lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="12500,100000,1000000", help="segment sizes, comma-separated")
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per query at 1M documents (3× that below)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_executor.md")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    load = os.getloadavg()
    rows = compare_executors(sizes, args.rounds)
    sweep = dense_share_sweep(sizes, args.rounds)
    aligns = align_costs(args.rounds)
    write_report(args.out, sys.argv[1:], load, os.getloadavg(), rows, sweep, aligns, args.rounds)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
