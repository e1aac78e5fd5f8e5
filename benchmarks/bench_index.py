"""Benchmark the index job against itself and its peers, and the query side.

    python benchmarks/bench_index.py                 # the 12,547 "Chính trị Xã hội" VNTC articles
    python benchmarks/bench_index.py --n 1000        # a quick run on the first 1,000 of them

Side by side, on the same articles of ``../shared/corpora/vntc.jsonl.xz``:

* bantin full build on every core, and the same pipeline in one process (procs=1);
* bantin incremental runs: nothing changed, and 1 % of the articles changed;
* whoosh with a plain ``RegexTokenizer() | LowercaseFilter()`` schema (title, body);
* the naive Vietnamese index: pyvi's ``ViTokenizer.tokenize`` on each text, then
  whoosh on whitespace and lower case (title, body);
* SQLite FTS5 with ``unicode61 remove_diacritics 2`` (title, body);
* optionally (``--mpwriter``) the previous implementation: whoosh ``MpWriter``
  (multisegment) with bantin's schema;
* bantin warm query latency (p50/p95, with snippets) over ~50 realistic queries,
  and the wall time of a cold one-shot ``bantin search`` (new process, median of 5).

Every build phase runs in a subprocess of its own (this script with ``--phase``),
which reports its wall time, its CPU time (``getrusage`` of itself plus its
waited-for children, i.e. the workers) and its peak RSS (``ru_maxrss`` of itself,
and the largest of its children).  The parent also reads ``/proc/stat`` around
each phase to report how many cores *other* processes used meanwhile, since a
shared machine distorts wall-clock speedups.  Results go to
``benchmarks/results/bench_index.md`` (and ``.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import lzma
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
SHARED = PROJECT.parent / "shared"
VNTC = SHARED / "corpora" / "vntc.jsonl.xz"
CATEGORY = "Chính trị Xã hội"

QUERIES = [
    # short keywords, with and without diacritics
    "tham nhũng", "tham nhung", "chính phủ", "chinh phu", "Quốc hội", "quoc hoi", "bầu cử",
    "đất đai", "dat dai", "ma túy", "buôn lậu", "học phí", "công chức", "hộ nghèo", "WTO",
    # multi-word topics
    "đại biểu quốc hội", "dai bieu quoc hoi", "tai nạn giao thông", "tai nan giao thong",
    "ô nhiễm môi trường", "o nhiem moi truong", "giải phóng mặt bằng", "xóa đói giảm nghèo",
    "xoa doi giam ngheo", "bảo hiểm y tế", "thi đại học", "lũ lụt miền Trung", "cúm gia cầm",
    "cum gia cam", "cải cách hành chính", "cai cach hanh chinh", "khiếu nại tố cáo",
    "người lao động", "xuất khẩu lao động", "an toàn thực phẩm",
    # names and places
    "Hà Nội", "ha noi", "Nguyễn Tấn Dũng", "nguyen tan dung", "Phan Văn Khải", "Nông Đức Mạnh",
    "Bộ Công an", "bo cong an", "Thành phố Hồ Chí Minh", "TP.HCM", "Đà Nẵng", "da nang",
    # document references
    "Nghị định 181", "nghi dinh 181", "Nghị quyết 18", "Chỉ thị 40", "Quyết định 135",
    "Luật Đất đai", "luat dat dai", "Luật Doanh nghiệp",
]


# --- measuring -----------------------------------------------------------------------------------


def _rusage() -> dict:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "rss_main_mb": me.ru_maxrss / 1024,
        "rss_worker_mb": kids.ru_maxrss / 1024,
    }


def _machine_busy() -> float:
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def live_generation_bytes(index: Path) -> int:
    gen = (index / "CURRENT").read_text(encoding="utf-8").strip()
    return folder_bytes(index / gen)


def run_phase(args, name: str, **extra) -> dict:
    """Run one phase in a subprocess; return its report plus the machine's load meanwhile."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--work", str(args.work)]
    for k, v in extra.items():
        cmd += [f"--{k}", str(v)]
    busy0, t0 = _machine_busy(), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT)
    wall, busy = time.perf_counter() - t0, _machine_busy() - busy0
    if p.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{p.stderr[-3000:]}")
    report = json.loads(p.stdout.strip().splitlines()[-1])
    report["process_wall"] = wall
    report["others_cores"] = max(busy - report.get("cpu", 0.0), 0.0) / wall
    print(f"  {name:<16} {report.get('seconds', wall):8.1f} s  cpu {report.get('cpu', 0):7.1f} s  "
          f"others used {report['others_cores']:.2f} cores", file=sys.stderr, flush=True)
    return report


# --- the corpus ------------------------------------------------------------------------------------


def prepare_corpus(work: Path, n: int | None) -> dict:
    """Write the chosen articles as one JSONL corpus, and a 1 %-changed copy of it."""
    corpus, changed = work / "corpus", work / "corpus-1pct"
    for d in (corpus, changed):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    records = []
    with lzma.open(VNTC, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("category") == CATEGORY:
                records.append({k: r.get(k) for k in ("id", "title", "body", "date", "source", "url")})
                if n and len(records) >= n:
                    break
    n_changed = 0
    with open(corpus / "vntc.jsonl", "w", encoding="utf-8") as a, open(changed / "vntc.jsonl", "w", encoding="utf-8") as b:
        for i, r in enumerate(records):
            a.write(json.dumps(r, ensure_ascii=False) + "\n")
            if i % 100 == 7:
                r = {**r, "body": r["body"] + "\n\nBản tin đã được cập nhật lúc 17 giờ."}
                n_changed += 1
            b.write(json.dumps(r, ensure_ascii=False) + "\n")
    mb = sum(len((r["title"] or "").encode()) + len(r["body"].encode()) for r in records) / 1e6
    return {"docs": len(records), "mb": mb, "changed": n_changed}


def link_copy_index(src: Path, dst: Path) -> None:
    """A copy of an index whose (immutable) generation files are hard links."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, copy_function=os.link)
    for name in ("LOCK", "CURRENT"):
        if (dst / name).exists():
            data = (dst / name).read_bytes()
            (dst / name).unlink()
            (dst / name).write_bytes(data)


# --- phases (each runs in its own process) ---------------------------------------------------------


def phase_bantin(work: Path, procs: int | None, out: str) -> dict:
    from searcher.indexer import build_index

    index = work / out
    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    rep = build_index(work / "corpus", index, procs=procs)
    return {"seconds": time.perf_counter() - t0, "docs": rep.documents, "bytes": live_generation_bytes(index)}


def phase_mpwriter(work: Path, procs: int) -> dict:
    """The previous implementation: whoosh MpWriter(multisegment) with bantin's schema."""
    from whoosh import index as windex
    from whoosh.multiproc import MpWriter

    from searcher.indexer import _fields, scan
    from searcher.schema import build_schema

    folder = work / "mpwriter"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    docs = [b for b in scan(work / "corpus") if hasattr(b, "body")]
    ix = windex.create_in(str(folder), build_schema())
    writer = MpWriter(ix, procs=procs, batchsize=64, multisegment=True)
    for b in docs:
        writer.add_document(**_fields(b))
    writer.commit()
    return {"seconds": time.perf_counter() - t0, "docs": len(docs), "bytes": folder_bytes(folder)}


def _whoosh_title_body(work: Path, name: str, pattern: str | None = None, segment=None, t0: float | None = None) -> dict:
    """A whoosh index of title and body (both stored) in ``work / name``, tokenised by
    ``pattern`` (whoosh's default word pattern if None) and lower-cased, each text first
    passed through ``segment`` if given (the original stored); timed from ``t0`` (now if None)."""
    from whoosh import index as windex
    from whoosh.analysis import LowercaseFilter, RegexTokenizer
    from whoosh.fields import ID, TEXT, Schema

    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    analyzer = (RegexTokenizer(pattern) if pattern else RegexTokenizer()) | LowercaseFilter()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer, stored=True),
                    body=TEXT(analyzer=analyzer, stored=True))
    t0 = time.perf_counter() if t0 is None else t0
    ix = windex.create_in(str(folder), schema)
    writer = ix.writer()
    n = 0
    with open(work / "corpus" / "vntc.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            title, body = r["title"] or "", r["body"]
            if segment is None:
                writer.add_document(id=r["id"], title=title, body=body)
            else:
                writer.add_document(id=r["id"], title=segment(title), _stored_title=title,
                                    body=segment(body), _stored_body=body)
            n += 1
    writer.commit()
    return {"seconds": time.perf_counter() - t0, "docs": n, "bytes": folder_bytes(folder)}


def phase_whoosh_plain(work: Path) -> dict:
    return _whoosh_title_body(work, "whoosh-plain")


def phase_whoosh_pyvi(work: Path) -> dict:
    """The naive Vietnamese index: pyvi's ``ViTokenizer.tokenize`` (compound words
    joined by ``_``) on each title and body, then whoosh on whitespace and lower case,
    in one process; the original texts stored.  pyvi's import (scikit-learn) is timed."""
    t0 = time.perf_counter()
    from pyvi import ViTokenizer

    return _whoosh_title_body(work, "whoosh-pyvi", r"\S+", ViTokenizer.tokenize, t0)


def phase_fts5(work: Path) -> dict:
    path = work / "fts5.sqlite"
    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
               "tokenize='unicode61 remove_diacritics 2')")
    n = 0
    with open(work / "corpus" / "vntc.jsonl", encoding="utf-8") as fh:
        rows = ((r["id"], r["title"] or "", r["body"]) for r in map(json.loads, fh))
        for row in rows:
            db.execute("INSERT INTO docs VALUES (?, ?, ?)", row)
            n += 1
    db.commit()
    db.close()
    return {"seconds": time.perf_counter() - t0, "docs": n, "bytes": path.stat().st_size}


def phase_queries(work: Path, rounds: int = 5) -> dict:
    """Warm latency on the parallel-built index (one segment per worker), and the
    p50/p95 on the one-process build (a single segment) for comparison."""
    out = query_latency(work / "index-par", rounds)
    single = query_latency(work / "index-serial", rounds)
    out["serial_index"] = {k: single[k] for k in ("p50_ms", "p95_ms", "max_ms", "segments")}
    return out


def _segments(index: Path) -> int:
    from whoosh import index as windex

    ix = windex.open_dir(str(index / (index / "CURRENT").read_text(encoding="utf-8").strip()))
    try:
        return len(ix._segments())
    finally:
        ix.close()


def query_latency(index: Path, rounds: int) -> dict:
    """Warm latency of Searcher.search(limit=10): hits with snippets and highlights.

    ``first_*``: each query's first run in the process (after one unrelated
    query has paid for lazy imports), so no cache has seen its terms yet;
    then ``rounds`` more rounds of all queries."""
    from searcher import Searcher

    per_query: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    first: list[float] = []
    with Searcher(index) as s:
        s.search("khởi động", limit=10)
        for q in QUERIES:
            t0 = time.perf_counter()
            totals[q] = s.search(q, limit=10).total
            first.append((time.perf_counter() - t0) * 1000)
        for _ in range(rounds):
            for q in QUERIES:
                t0 = time.perf_counter()
                s.search(q, limit=10)
                per_query.setdefault(q, []).append((time.perf_counter() - t0) * 1000)
    samples = sorted(x for xs in per_query.values() for x in xs)
    medians = {q: statistics.median(xs) for q, xs in per_query.items()}
    slow = sorted(medians.items(), key=lambda kv: -kv[1])
    first.sort()
    return {
        "queries": len(QUERIES), "rounds": rounds, "segments": _segments(index),
        "first_p50_ms": statistics.median(first),
        "first_p95_ms": first[max(int(len(first) * 0.95) - 1, 0)],
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[max(int(len(samples) * 0.95) - 1, 0)],
        "max_ms": samples[-1],
        "slowest": [{"query": q, "median_ms": m, "total": totals[q]} for q, m in slow[:10]],
        "over_50ms": [q for q, m in slow if m > 50],
        "no_hits": [q for q, t in totals.items() if t == 0],
    }


PHASES = {
    "bantin-par": lambda a: phase_bantin(a.work, a.procs, "index-par"),
    "bantin-serial": lambda a: phase_bantin(a.work, 1, "index-serial"),
    "mpwriter": lambda a: phase_mpwriter(a.work, a.procs or os.cpu_count() or 1),
    "whoosh-plain": lambda a: phase_whoosh_plain(a.work),
    "whoosh-pyvi": lambda a: phase_whoosh_pyvi(a.work),
    "fts5": lambda a: phase_fts5(a.work),
    "queries": lambda a: phase_queries(a.work),
}


def run_one_phase(args) -> None:
    report = PHASES[args.phase](args)
    report.update(_rusage())
    print(json.dumps(report))


# --- CLI runs (bantin as a user runs it) -----------------------------------------------------------


def timed_cli(*cli: str) -> tuple[float, subprocess.CompletedProcess]:
    """``bantin CLI…`` in a new process, timed.  As installed, with its bytecode
    cached: PYTHONDONTWRITEBYTECODE is dropped (set, every start would compile
    bantin's modules again, about 0.1 s no user pays)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_") and k != "PYTHONDONTWRITEBYTECODE"}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "searcher", *cli], capture_output=True, text=True, cwd=PROJECT, env=env)
    return time.perf_counter() - t0, p


def incremental_runs(work: Path) -> dict:
    out = {}
    wall, p = timed_cli("index", "--corpus", str(work / "corpus"), "--index", str(work / "index-par"), "--json")
    if p.returncode != 0:
        raise SystemExit(f"incremental run failed: {p.stderr}")
    out["none"] = {"wall": wall, "report": json.loads(p.stdout)}
    link_copy_index(work / "index-par", work / "index-1pct")
    busy0 = _machine_busy()
    wall, p = timed_cli("index", "--corpus", str(work / "corpus-1pct"), "--index", str(work / "index-1pct"), "--json")
    if p.returncode != 0:
        raise SystemExit(f"incremental run failed: {p.stderr}")
    out["1pct"] = {"wall": wall, "report": json.loads(p.stdout), "machine_cpu": _machine_busy() - busy0}
    return out


def cold_search(work: Path, runs: int = 5) -> dict:
    timed_cli("--version")  # writes the bytecode, as installing would
    walls = []
    for _ in range(runs):
        wall, p = timed_cli("search", "--index", str(work / "index-par"), "--json", "Nghị định 181")
        if p.returncode not in (0, 1):
            raise SystemExit(f"bantin search failed: {p.stderr}")
        walls.append(wall)
    return {"median_s": statistics.median(walls), "runs": walls}


# --- the report -------------------------------------------------------------------------------------


def machine() -> dict:
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) / 1024 / 1024
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "cpu": model,
        "ram_gb": round(mem, 1), "python": platform.python_version(), "platform": platform.platform(),
        "loadavg_start": os.getloadavg(),
    }


def _row(name: str, r: dict, corpus: dict, note: str = "") -> str:
    secs = r["seconds"]
    rss = f"{r['rss_main_mb']:.0f}" + (f" / {r['rss_worker_mb']:.0f}" if r["rss_worker_mb"] > 1 else "")
    return (f"| {name} | {secs:.1f} | {r['docs'] / secs:.0f} | {corpus['mb'] / secs:.2f} | {r['cpu']:.1f} | "
            f"{rss} | {r['bytes'] / 1e6:.1f} | {r['others_cores']:.2f} | {note} |")


def write_report(path: Path, res: dict, argv: list[str]) -> None:
    c, m = res["corpus"], res["machine"]
    par, ser = res["phases"]["bantin-par"], res["phases"]["bantin-serial"]
    speedup = ser["seconds"] / par["seconds"]
    cpu_ratio = ser["cpu"] / par["cpu"]
    inc = res["incremental"]
    q, cold = res["phases"]["queries"], res["cold"]
    lines = [
        "# Index job benchmark",
        "",
        f"- Date: {res['date']}",
        f"- Command: `{' '.join(argv)}`",
        f"- Machine: {m['usable_cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, {m['platform']}",
        f"- Load average when it started: {', '.join(f'{x:.2f}' for x in m['loadavg_start'])} "
        "(the machine is shared: the last column says how many cores *other* processes used during each phase)",
        f"- Corpus: {c['docs']:,} VNTC articles, category \"{CATEGORY}\", {c['mb']:.1f} MB of UTF-8 title+body "
        "(MB/s below is over those bytes)",
        "- How: each build runs in a subprocess of its own; CPU = user+sys of it and its waited-for children "
        "(`getrusage`); peak RSS = `ru_maxrss` of the main process / of the largest worker.",
        "",
        "## Builds",
        "",
        "| engine | wall s | docs/s | MB/s | CPU s | peak RSS MB (main / worker) | index MB | others' cores | note |",
        "|---|---|---|---|---|---|---|---|---|",
        _row(f"bantin full build, {res['procs']} procs", par, c, f"{speedup:.2f}× vs 1 proc"),
        _row("bantin full build, procs=1", ser, c, "same pipeline, one process"),
    ]
    if "mpwriter" in res["phases"]:
        mp = res["phases"]["mpwriter"]
        lines.append(_row(f"previous: whoosh MpWriter, {res['procs']} procs", mp, c,
                          f"{ser['seconds'] / mp['seconds']:.2f}× vs 1 proc"))
    lines += [
        _row("whoosh plain (Regex+Lowercase)", res["phases"]["whoosh-plain"], c, "syllables only, 1 proc"),
        _row("naive whoosh + pyvi (ViTokenizer, then whitespace+Lowercase)", res["phases"]["whoosh-pyvi"], c,
             "compound words, 1 proc"),
        _row("SQLite FTS5 unicode61 rd=2", res["phases"]["fts5"], c, "1 proc"),
        "",
        "## Incremental runs (`bantin index`, a new process each, wall time)",
        "",
        "| run | wall s | added | updated | deleted | unchanged | % of full build |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, label in (("none", "nothing changed"), ("1pct", f"1 % changed ({c['changed']} articles)")):
        r = inc[name]["report"]
        lines.append(f"| {label} | {inc[name]['wall']:.1f} | {r['added']} | {r['updated']} | {r['deleted']} | "
                     f"{r['unchanged']} | {100 * inc[name]['wall'] / par['seconds']:.1f} % |")
    lines += [
        "",
        "## Queries (bantin)",
        "",
        f"- Warm `Searcher.search(q, limit=10)` with snippets, {q['queries']} queries × {q['rounds']} rounds "
        f"after one warm-up round: **p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms**, max {q['max_ms']:.1f} ms "
        f"({q['segments']} segments).",
        f"- Each query's first run in the process (no cache has seen its terms): "
        f"p50 {q['first_p50_ms']:.1f} ms, p95 {q['first_p95_ms']:.1f} ms.",
        f"- Peak RSS of the query process (both indexes opened in turn): {q['rss_main_mb']:.0f} MB.",
        f"- The same on the one-process build ({q['serial_index']['segments']} segment): "
        f"p50 {q['serial_index']['p50_ms']:.1f} ms, p95 {q['serial_index']['p95_ms']:.1f} ms.",
        f"- Cold one-shot `bantin search --json \"Nghị định 181\"` (new process): median **{cold['median_s']:.2f} s** "
        f"of {len(cold['runs'])} ({', '.join(f'{x:.2f}' for x in cold['runs'])}).",
        "",
        "Slowest queries (median of the rounds):",
        "",
        "| query | median ms | hits |",
        "|---|---|---|",
        *[f"| {s['query']} | {s['median_ms']:.1f} | {s['total']} |" for s in q["slowest"]],
        "",
    ]
    if q["no_hits"]:
        lines += [f"Queries with no hits: {', '.join(q['no_hits'])}", ""]
    targets = [
        ("full build ≥ 1.6× faster than one process", speedup >= 1.6,
         f"{speedup:.2f}× wall (CPU: 1 proc {ser['cpu']:.0f} s, {res['procs']} procs {par['cpu']:.0f} s; "
         f"others used {ser['others_cores']:.2f} / {par['others_cores']:.2f} cores meanwhile)"),
        ("incremental, nothing changed < 5 s", inc["none"]["wall"] < 5, f"{inc['none']['wall']:.1f} s"),
        ("1 % changed < 10 % of the full build", inc["1pct"]["wall"] < 0.1 * par["seconds"],
         f"{inc['1pct']['wall']:.1f} s = {100 * inc['1pct']['wall'] / par['seconds']:.1f} %"),
        ("warm p95 with snippets < 50 ms", q["p95_ms"] < 50, f"{q['p95_ms']:.1f} ms"
         + (f"; over 50 ms: {', '.join(q['over_50ms'])}" if q["over_50ms"] else "")),
        ("cold `bantin search` < 1 s", cold["median_s"] < 1, f"{cold['median_s']:.2f} s"),
    ]
    lines += ["## Targets", "", "| target | met | measured |", "|---|---|---|"]
    lines += [f"| {t} | {'yes' if ok else '**no**'} | {v} |" for t, ok, v in targets]
    lines += ["", f"CPU ratio serial/parallel build: {cpu_ratio:.2f} (1.0 = no parallel overhead).", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None, help="use only the first N articles of the category")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-bench-index",
                    help="scratch folder, outside the project (it gets a copy of the articles and ~2 GB of indexes)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_index.md")
    ap.add_argument("--procs", type=int, default=None, help="worker processes for the parallel build (default: every core)")
    ap.add_argument("--mpwriter", action="store_true", help="also time the previous implementation (whoosh MpWriter)")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        run_one_phase(args)
        return
    if not VNTC.is_file():
        raise SystemExit(f"{VNTC} is missing")
    args.work.mkdir(parents=True, exist_ok=True)
    res = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
           "procs": args.procs or len(os.sched_getaffinity(0))}
    t0 = time.perf_counter()
    print("preparing the corpus…", file=sys.stderr)
    res["corpus"] = prepare_corpus(args.work, args.n)
    extra = {"procs": args.procs} if args.procs else {}
    res["phases"] = {"bantin-par": run_phase(args, "bantin-par", **extra)}
    res["phases"]["bantin-serial"] = run_phase(args, "bantin-serial")
    res["incremental"] = incremental_runs(args.work)
    print(f"  incremental      none {res['incremental']['none']['wall']:.1f} s, "
          f"1% {res['incremental']['1pct']['wall']:.1f} s", file=sys.stderr)
    if args.mpwriter:
        res["phases"]["mpwriter"] = run_phase(args, "mpwriter", **extra)
    res["phases"]["whoosh-plain"] = run_phase(args, "whoosh-plain")
    res["phases"]["whoosh-pyvi"] = run_phase(args, "whoosh-pyvi")
    res["phases"]["fts5"] = run_phase(args, "fts5")
    res["phases"]["queries"] = run_phase(args, "queries")
    res["cold"] = cold_search(args.work)
    res["total_seconds"] = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_report(args.out, res, ["python", "benchmarks/bench_index.py", *sys.argv[1:]])
    args.out.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    print(f"(benchmark took {res['total_seconds'] / 60:.1f} min)", file=sys.stderr)


if __name__ == "__main__":
    main()
