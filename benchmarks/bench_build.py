"""One-process index build: whoosh's stock writer path against bantin's BulkWriter.

    python benchmarks/bench_build.py                  # 1,500 "Chính trị Xã hội" VNTC articles, 2 rounds
    python benchmarks/bench_build.py --n 500 --rounds 1
    python benchmarks/bench_build.py --inline 0,1,2,4,8   # the new writer at several inlining limits

Side by side in one run, on the first N politics articles of
``../shared/corpora/vntc.jsonl.xz`` (``bench_index.prepare_corpus``), each build
``build_index(procs=1)`` in a fresh subprocess of its own:

* ``old``: ``indexer.LEGACY_WRITER = True``: whoosh's SegmentWriter (sort-and-pickle
  posting pool, postings fed to the codec one at a time, field length looked up
  per posting) with each field analysed by its own analyzer;
* ``new, inline 0``: ``searcher.whoosh_internals.BulkWriter`` with inlining off
  and whoosh's pickle protocol 2 (its segment files are byte-identical to
  ``old``'s; the report checks);
* ``new, inline K``: the job's writer (pickle protocol ``PICKLE_PROTOCOL``) with
  posting lists of at most K postings inlined into the term index (the job's
  default is ``INLINE_POSTINGS``);
* ``objects-K``: ``new, inline K`` with ``whoosh_internals._FAST_TERMS = False``:
  each term's row through whoosh's term info and block objects, as before the
  writer made short lists' rows itself (the same files; the report checks).

Each round runs every variant once, the order reversed every other round (the
machine is shared: the last column says how many cores *other* processes used
meanwhile).  Reported per variant: the median wall and CPU time (user+sys of the
build process), MB/s over the articles' UTF-8 title+body, peak RSS
(``ru_maxrss``) and the live generation's size.  Results:
``benchmarks/results/bench_build.md`` (and ``.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_index import VNTC, _machine_busy, machine, prepare_corpus  # noqa: E402

# --- one build (in its own process) ----------------------------------------------------------------


def phase(work: Path, variant: str) -> dict:
    from searcher import indexer, layout, whoosh_internals

    if variant == "old":
        indexer.LEGACY_WRITER = True
    else:
        whoosh_internals.INLINE_POSTINGS = int(variant.split("-", 1)[1])
        whoosh_internals._FAST_TERMS = not variant.startswith("objects-")
        if variant == "new-0":  # whoosh's own bytes, to compare with the old path's files
            whoosh_internals.PICKLE_PROTOCOL = 2
    index = work / f"index-{variant}"
    shutil.rmtree(index, ignore_errors=True)
    steps = {"add": 0.0, "write": 0.0}  # CPU of adding the documents / of writing the segment out

    def timed(step, f):
        def run(*args, **kwargs):
            t = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                steps[step] += time.process_time() - t

        return run

    indexer._add_serial = timed("add", indexer._add_serial)
    indexer.wi.commit_segments = timed("write", indexer.wi.commit_segments)
    t0 = time.perf_counter()
    rep = indexer.build_index(work / "corpus", index, procs=1)
    seconds = time.perf_counter() - t0
    me = resource.getrusage(resource.RUSAGE_SELF)
    gen = layout.current_generation(index).path
    files: dict[str, int] = {}
    digests: dict[str, str] = {}
    for p in sorted(gen.iterdir()):
        kind = p.name.rsplit(".", 1)[-1] if "." in p.name else p.name
        files[kind] = files.get(kind, 0) + p.stat().st_size
        if p.name.startswith("MAIN_") and kind in ("trm", "pst", "col", "bantin"):
            digests[p.name.split(".", 1)[1]] = hashlib.sha1(p.read_bytes()).hexdigest()
    return {
        "seconds": seconds,
        "docs": rep.documents,
        "cpu": me.ru_utime + me.ru_stime,
        "rss_mb": me.ru_maxrss / 1024,
        "steps": steps,
        "bytes": sum(files.values()),
        "files": files,
        "digests": digests,
    }


def run_phase(work: Path, variant: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", variant, "--work", str(work)]
    busy0, t0 = _machine_busy(), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT)
    wall, busy = time.perf_counter() - t0, _machine_busy() - busy0
    if p.returncode != 0:
        raise SystemExit(f"build {variant} failed:\n{p.stderr[-3000:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["others_cores"] = max(busy - r["cpu"], 0.0) / wall
    print(
        f"  {variant:<10} {r['seconds']:7.1f} s  cpu {r['cpu']:6.1f} s  rss {r['rss_mb']:5.0f} MB  "
        f"index {r['bytes'] / 1e6:6.1f} MB  others used {r['others_cores']:.2f} cores",
        file=sys.stderr,
        flush=True,
    )
    return r


# --- the report ------------------------------------------------------------------------------------


def _name(variant: str) -> str:
    from searcher.whoosh_internals import INLINE_POSTINGS

    if variant == "old":
        return "old: whoosh SegmentWriter"
    k = int(variant.split("-")[1])
    if variant.startswith("objects-"):
        return f"new: BulkWriter, inline {k}, terms through whoosh's objects"
    if k == 0:
        return "new: BulkWriter, inline 0, pickle protocol 2 (whoosh's bytes)"
    return f"new: BulkWriter, inline {k}" + (" (the job's)" if k == INLINE_POSTINGS else "")


def summarise(runs: dict[str, list[dict]]) -> dict[str, dict]:
    out = {}
    for v, rs in runs.items():
        out[v] = {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "best_seconds": min(r["seconds"] for r in rs),
            "cpu": statistics.median(r["cpu"] for r in rs),
            "best_cpu": min(r["cpu"] for r in rs),
            "rss_mb": statistics.median(r["rss_mb"] for r in rs),
            "bytes": rs[0]["bytes"],
            "files": rs[0]["files"],
            "docs": rs[0]["docs"],
            "others_cores": statistics.mean(r["others_cores"] for r in rs),
            "steps": {k: statistics.median(r["steps"][k] for r in rs) for k in rs[0]["steps"]},
            "digests": rs[0]["digests"],
        }
    return out


def write_report(path: Path, res: dict) -> None:
    c, m, s = res["corpus"], res["machine"], res["summary"]
    old = s["old"]
    lines = [
        "# One-process build: whoosh's writer path vs BulkWriter",
        "",
        f"- Date: {res['date']}",
        f"- Command: `{res['command']}`",
        f"- Machine: {m['usable_cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}",
        f"- Load average when it started: {', '.join(f'{x:.2f}' for x in m['loadavg_start'])} (the machine is "
        'shared: "others\' cores" is how many cores other processes used meanwhile; CPU time is the steadier measure)',
        f'- Corpus: the first {c["docs"]:,} VNTC articles of "Chính trị Xã hội", {c["mb"]:.1f} MB of UTF-8 '
        "title+body (MB/s below is over those bytes)",
        f"- How: `build_index(procs=1)`, each build in a fresh subprocess; {res['rounds']} round(s), every variant "
        "once per round, the order reversed every other round; medians over the rounds.",
        "",
        "| writer | wall s | CPU s | docs/s | MB/s | peak RSS MB | index MB | .trm MB | .pst MB | speed-up (wall / CPU) | others' cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for v, r in s.items():
        lines.append(
            f"| {_name(v)} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['docs'] / r['seconds']:.0f} | "
            f"{c['mb'] / r['seconds']:.3f} | {r['rss_mb']:.0f} | {r['bytes'] / 1e6:.1f} | "
            f"{r['files'].get('trm', 0) / 1e6:.1f} | {r['files'].get('pst', 0) / 1e6:.1f} | "
            f"{old['seconds'] / r['seconds']:.2f}× / {old['cpu'] / r['cpu']:.2f}× | {r['others_cores']:.2f} |"
        )
    lines += [
        "",
        "Where the CPU goes (medians): *add* = analysing the documents and adding them to the writer "
        "(`_add_serial`: analysis, posting pool); *write* = writing the segment out (`commit_segments`: "
        "postings sorted and encoded by the codec, sidecar, table of contents); the rest is reading the "
        "corpus, the vocabulary and start-up.",
        "",
        "| writer | add CPU s | write CPU s | rest CPU s |",
        "|---|---|---|---|",
    ]
    for v, r in s.items():
        st = r["steps"]
        lines.append(f"| {_name(v)} | {st['add']:.1f} | {st['write']:.1f} | {r['cpu'] - st['add'] - st['write']:.1f} |")
    lines += ["", "Best of the rounds (least disturbed by other work):", ""]
    lines += ["| writer | best wall s | best CPU s | speed-up (wall / CPU) |", "|---|---|---|---|"]
    for v, r in s.items():
        lines.append(
            f"| {_name(v)} | {r['best_seconds']:.1f} | {r['best_cpu']:.1f} | "
            f"{old['best_seconds'] / r['best_seconds']:.2f}× / {old['best_cpu'] / r['best_cpu']:.2f}× |"
        )
    lines += [
        "",
        "Every run:",
        "",
        "| round | writer | wall s | CPU s | peak RSS MB | others' cores |",
        "|---|---|---|---|---|---|",
    ]
    for i, rnd in enumerate(res["rounds_detail"], 1):
        for v, r in rnd:
            lines.append(
                f"| {i} | {_name(v)} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['rss_mb']:.0f} | {r['others_cores']:.2f} |"
            )
    lines += ["", "## Index files", ""]
    if "new-0" in s:
        same = s["new-0"]["digests"] == old["digests"]
        lines.append(
            f"- Inlining off, the new writer's segment files (`.trm`, `.pst`, columns, sidecar) are "
            f"{'**byte-identical** to' if same else '**not** identical to (a bug!)'} the old path's "
            "(SHA-1 of each; `tests/test_writer.py` also checks the table of contents and, with inlining on, "
            "every term, posting, stored field, column, sidecar row and the vocabulary)."
        )
    for v, r in s.items():
        if v.startswith("objects-") and f"new-{v.split('-')[1]}" in s:
            same = r["digests"] == s[f"new-{v.split('-')[1]}"]["digests"]
            lines.append(
                f"- Inline {v.split('-')[1]}, the rows of short lists made by the writer itself: segment files "
                f"{'**byte-identical** to' if same else '**not** identical to (a bug!)'} those written through "
                "whoosh's term info and block objects."
            )
    for v, r in s.items():
        if v in ("old", "new-0") or v.startswith("objects-"):
            continue
        delta = (r["bytes"] - old["bytes"]) / old["bytes"] * 100
        lines.append(
            f"- Inline {v.split('-')[1]}, pickle protocol 3 (the job's): index {old['bytes'] / 1e6:.1f} → "
            f"{r['bytes'] / 1e6:.1f} MB ({delta:+.1f} %): "
            f".trm {old['files'].get('trm', 0) / 1e6:.1f} → {r['files'].get('trm', 0) / 1e6:.1f} MB, "
            f".pst {old['files'].get('pst', 0) / 1e6:.1f} → {r['files'].get('pst', 0) / 1e6:.1f} MB "
            "(two changes together: short lists move into the term index, pickled uncompressed, each saving a "
            "zlib block and its header; and every pickle writes bytes as they are, where protocol 2 writes each "
            "as a call to `codecs.encode`)."
        )
    lines.append(
        "- The job inlines lists of one posting (`INLINE_POSTINGS = 1`): nearly all of the size gain, and "
        "every term found in two documents or more still read from the postings file (whoosh's inlined lists "
        "are pickled, uncompressed, into the term index that every term look-up reads)."
    )
    lines += [
        "",
        "## What changed (searcher/whoosh_internals.py, searcher/analysis.py, searcher/indexer.py)",
        "",
        "- Posting pool: per field and term in flat arrays (term id, document number, weight, encoded value), "
        "sorted with numpy when the segment is written, instead of whoosh's pool of posting tuples sorted in runs, "
        "pickled to disk and merged back.",
        "- Codec: each term's blocks filled at once and handed to whoosh's own block writer; each document's field "
        "length read once per field instead of once per posting.",
        "- Analysis: the title and the body each read once (one `SYLLABLE_RE` pass, `norm_syllable` and `fold` once "
        "per distinct syllable) for title/title_fold and syl/fold/pair/pair_fold, given to the writer pre-analysed; "
        "`word` and `ref` as term counts.",
        "- Inlining: whoosh's `W3PostingsWriter` calls `terminfo.set_inline`, but `W3TermInfo`'s method is "
        "`set_inlined`, so stock whoosh never inlines; `BulkWriter` passes a term info answering to both.",
        "- Term rows: a field's term table rows are added in one loop, and the rows of lists that are inlined or "
        "fit one block are made without whoosh's term info and block objects (`objects-K` above is the same "
        "writer going through them); a document's counts enter the pool a list at a time.",
        "- Pair postings (analysis 2026.11.8): every writer here, the old one too, keeps `pair_fold`'s postings "
        "out of whoosh, in the segment's pair postings file (`searcher/pair_postings.py`); the pool keeps a "
        "pre-analysed value's terms as text.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1500, help="articles (default 1,500)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--inline",
        default=None,
        help="inlining limits of the new writer, comma-separated (default: 0 and the job's INLINE_POSTINGS)",
    )
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-bench-build")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_build.md")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from its .json")
    args = ap.parse_args()

    if args.report_only:
        write_report(args.out, json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8")))
        return
    if args.phase:
        print(json.dumps(phase(args.work, args.phase)))
        return
    if not VNTC.exists():
        raise SystemExit(f"{VNTC} not found")
    from searcher.whoosh_internals import INLINE_POSTINGS

    limits = [int(x) for x in args.inline.split(",")] if args.inline else sorted({0, INLINE_POSTINGS})
    variants = ["old", f"objects-{INLINE_POSTINGS}", *(f"new-{k}" for k in limits)]
    t0 = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = prepare_corpus(args.work, args.n)
    print(f"{corpus['docs']} articles, {corpus['mb']:.1f} MB", file=sys.stderr)
    res = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_build.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "corpus": corpus,
        "rounds": args.rounds,
        "rounds_detail": [],
    }
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for i in range(args.rounds):
        order = variants if i % 2 == 0 else variants[::-1]
        rnd = []
        for v in order:
            r = run_phase(args.work, v)
            runs[v].append(r)
            rnd.append((v, r))
        res["rounds_detail"].append(rnd)
    res["summary"] = summarise(runs)
    res["total_seconds"] = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_report(args.out, res)
    print(args.out.read_text(encoding="utf-8"))
    print(f"(benchmark took {res['total_seconds'] / 60:.1f} min)", file=sys.stderr)


if __name__ == "__main__":
    main()
