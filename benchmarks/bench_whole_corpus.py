"""The whole VNTC corpus (all 80,790 articles of ../shared/corpora/vntc.jsonl.xz):
build time, index size, peak memory, warm and cold query latency.

    python benchmarks/bench_whole_corpus.py                 # ~238 MB of text; scratch in /tmp
    python benchmarks/bench_whole_corpus.py --n 5000        # a smoke run

1. write every article as one JSONL corpus under ``--work`` (once; reused);
2. build the index with ``build_index`` in a subprocess (``--procs`` workers,
   default every core): wall and CPU time, MB/s, peak RSS of the main process
   and of the largest worker, index size, segments;
3. warm latency of ``Searcher.search(q, limit=10)`` (hits with snippets) in a
   fresh process, over a mix: the short queries of ``bench_index.py`` (with
   and without diacritics), 60 runs of 4–6 words taken from random articles
   (half of them stripped of diacritics), and 20 long questions;
   p50/p95 per class and overall, 3 rounds after a first pass;
4. cold ``bantin search`` (a new process, as a user runs it), median of 5.

Results: ``benchmarks/results/bench_whole_corpus.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import lzma
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_index as B  # noqa: E402  (shared helpers: phases in subprocesses, machine info)

HERE = Path(__file__).resolve().parent
VNTC = B.VNTC

QUESTIONS = [
    "Chính phủ đã có những biện pháp gì để kiềm chế lạm phát trong năm nay?",
    "Những trường hợp nào được miễn học phí theo quy định mới của Bộ Giáo dục?",
    "Vì sao giá xăng dầu trong nước tăng liên tục trong những tháng qua?",
    "Người dân cần làm gì khi bị thu hồi đất để giải phóng mặt bằng?",
    "Quốc hội thảo luận về dự án luật phòng chống tham nhũng như thế nào?",
    "Tai nạn giao thông trên quốc lộ 1A khiến bao nhiêu người thiệt mạng?",
    "Dịch cúm gia cầm bùng phát ở những tỉnh nào của đồng bằng sông Cửu Long?",
    "Tại sao nhiều doanh nghiệp nợ bảo hiểm xã hội của người lao động?",
    "Bộ Công an triệt phá đường dây buôn bán ma túy xuyên quốc gia ra sao?",
    "Thành phố Hồ Chí Minh có kế hoạch gì để chống ngập trong mùa mưa?",
    "Học sinh thi tốt nghiệp trung học phổ thông năm nay gặp khó khăn gì?",
    "Những cán bộ nào bị kỷ luật vì sai phạm trong quản lý đất đai?",
    "Bệnh viện quá tải khiến bệnh nhân phải nằm ghép như thế nào?",
    "Lũ lụt ở miền Trung gây thiệt hại bao nhiêu tỷ đồng?",
    "Xuất khẩu lao động sang Hàn Quốc cần những điều kiện gì?",
    "Ai chịu trách nhiệm về vụ sập cầu Cần Thơ?",
    "Giá vàng trong nước biến động thế nào so với thế giới?",
    "Chính sách hỗ trợ hộ nghèo vay vốn sản xuất được thực hiện ra sao?",
    "Tình trạng ô nhiễm môi trường ở các khu công nghiệp được xử lý thế nào?",
    "Việt Nam gia nhập WTO mang lại cơ hội và thách thức gì cho nông dân?",
]


def strip_diacritics(text: str) -> str:
    from searcher.evaluation import strip_diacritics as strip

    return strip(text)


def prepare(work: Path, n: int | None) -> dict:
    corpus = work / "corpus"
    path = corpus / "vntc.jsonl"
    meta = work / "corpus.json"
    if path.is_file() and meta.is_file() and json.loads(meta.read_text()).get("n") == n:
        return json.loads(meta.read_text())
    corpus.mkdir(parents=True, exist_ok=True)
    docs, size = 0, 0
    with lzma.open(VNTC, "rt", encoding="utf-8") as fh, open(path, "w", encoding="utf-8") as out:
        for line in fh:
            r = json.loads(line)
            rec = {k: r.get(k) for k in ("id", "title", "body", "date", "source", "url")}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            docs += 1
            size += len((rec["title"] or "").encode()) + len((rec["body"] or "").encode())
            if n and docs >= n:
                break
    info = {"n": n, "docs": docs, "mb": size / 1e6}
    meta.write_text(json.dumps(info))
    return info


def runs_from_articles(work: Path, k: int, seed: int = 7) -> list[str]:
    """``k`` runs of 4–6 consecutive words from random articles of the corpus."""
    rng = random.Random(seed)
    lines = (work / "corpus" / "vntc.jsonl").read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    while len(out) < k:
        body = json.loads(rng.choice(lines)).get("body") or ""
        sentences = [s for s in re.split(r"[.!?\n]", body) if len(s.split()) >= 8]
        if not sentences:
            continue
        words = [w for w in rng.choice(sentences).split() if re.fullmatch(r"[^\W_]+", w)]
        if len(words) < 6:
            continue
        n = rng.randint(4, 6)
        i = rng.randrange(len(words) - n + 1)
        out.append(" ".join(words[i : i + n]))
    return out


def phase_build(work: Path, procs: int | None) -> dict:
    from searcher.indexer import build_index

    index = work / "index"
    import shutil

    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    rep = build_index(work / "corpus", index, procs=procs)
    return {
        "seconds": time.perf_counter() - t0,
        "docs": rep.documents,
        "bytes": B.live_generation_bytes(index),
        "segments": B._segments(index),
    }


def phase_queries(work: Path, rounds: int = 3) -> dict:
    from searcher import Searcher

    runs = runs_from_articles(work, 60)
    mix = {
        "short": list(B.QUERIES),
        "runs": runs[:30],
        "runs_no_diacritics": [strip_diacritics(q) for q in runs[30:]],
        "questions": QUESTIONS,
    }
    samples: dict[str, list[float]] = {k: [] for k in mix}
    first: list[float] = []
    found = {k: 0 for k in mix}
    with Searcher(work / "index") as s:
        s.search("khởi động", limit=10)
        for cls, qs in mix.items():
            for q in qs:
                t0 = time.perf_counter()
                found[cls] += s.search(q, limit=10).total > 0
                first.append((time.perf_counter() - t0) * 1000)
        for _ in range(rounds):
            for cls, qs in mix.items():
                for q in qs:
                    t0 = time.perf_counter()
                    s.search(q, limit=10)
                    samples[cls].append((time.perf_counter() - t0) * 1000)

    def pct(xs: list[float], p: float) -> float:
        xs = sorted(xs)
        return xs[max(int(len(xs) * p) - 1, 0)]

    every = [x for xs in samples.values() for x in xs]
    no_questions = [x for k, xs in samples.items() if k != "questions" for x in xs]
    return {
        "rounds": rounds,
        "classes": {
            k: {"queries": len(mix[k]), "found": found[k], "p50_ms": statistics.median(v), "p95_ms": pct(v, 0.95)}
            for k, v in samples.items()
        },
        "p50_ms": statistics.median(every),
        "p95_ms": pct(every, 0.95),
        "without_questions": {"p50_ms": statistics.median(no_questions), "p95_ms": pct(no_questions, 0.95)},
        "first_p50_ms": statistics.median(first),
        "first_p95_ms": pct(first, 0.95),
        "examples": {k: v[:3] for k, v in mix.items()},
    }


def cold(work: Path, runs: int = 5) -> dict:
    B.timed_cli("--version")  # writes the bytecode, as installing would
    walls = []
    for _ in range(runs):
        wall, p = B.timed_cli("search", "--index", str(work / "index"), "--json", "Nghị định 181")
        if p.returncode not in (0, 1):
            raise SystemExit(f"bantin search failed: {p.stderr}")
        walls.append(wall)
    return {"median_s": statistics.median(walls), "runs": walls}


def write_report(path: Path, res: dict) -> None:
    b, q, c = res["build"], res["queries"], res["cold"]
    lines = [
        "# The whole VNTC corpus",
        "",
        f"{res['date']}, {res['machine']}; `{res['command']}`.",
        "",
        f"Corpus: {res['corpus']['docs']:,} articles, {res['corpus']['mb']:.1f} MB of text (titles and bodies).",
        "",
        *([f"The build figures are those of the run of {res['built']} (`--reuse-build`): the index was reused.", ""]
          if res.get("built") else []),
        "| build | value |",
        "|---|---:|",
        f"| wall time | {b['seconds']:.0f} s ({b['seconds'] / 60:.1f} min) |",
        f"| CPU (all processes) | {b['cpu']:.0f} s |",
        f"| throughput | {res['corpus']['mb'] / b['seconds']:.2f} MB/s |",
        f"| peak RSS, main process | {b['rss_main_mb']:.0f} MB |",
        f"| peak RSS, largest worker | {b['rss_worker_mb']:.0f} MB |",
        f"| index size | {b['bytes'] / 1e6:.0f} MB ({b['bytes'] / 1e6 / res['corpus']['mb']:.1f}× the text) |",
        f"| segments | {b['segments']} |",
        f"| workers | {res['procs']} |",
        f"| other load on the machine meanwhile | {b['others_cores']:.2f} cores |",
        "",
        f"Warm `Searcher.search(q, limit=10)` with snippets, {q['rounds']} rounds after a first pass:",
        "",
        "| queries | n | with hits | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, v in q["classes"].items():
        lines.append(f"| {k} | {v['queries']} | {v['found']} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} |")
    short_runs = q.get("without_questions")
    if short_runs:
        n = sum(v["queries"] for k, v in q["classes"].items() if k != "questions")
        lines.append(f"| short and runs | {n} | | {short_runs['p50_ms']:.1f} | {short_runs['p95_ms']:.1f} |")
    lines += [
        f"| **all** | {sum(v['queries'] for v in q['classes'].values())} | | **{q['p50_ms']:.1f}** | **{q['p95_ms']:.1f}** |",
        "",
        f"First run of each query (nothing cached yet): p50 {q['first_p50_ms']:.1f} ms, p95 {q['first_p95_ms']:.1f} ms.",
        "",
        f"Cold `bantin search --json \"Nghị định 181\"` (a new process): median {c['median_s']:.2f} s of {len(c['runs'])}.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None, help="only the first N articles")
    ap.add_argument("--procs", type=int, default=None, help="worker processes (default: every core)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-whole-corpus")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_whole_corpus.md")
    ap.add_argument("--reuse-build", action="store_true",
                    help="keep the index in --work and the build figures of the last report; measure queries again")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        report = {"build": lambda: phase_build(args.work, args.procs), "queries": lambda: phase_queries(args.work)}[
            args.phase
        ]()
        report.update(B._rusage())
        print(json.dumps(report))
        return
    if not VNTC.is_file():
        raise SystemExit(f"{VNTC} is missing: put ../shared beside the project")
    args.work.mkdir(parents=True, exist_ok=True)
    print("preparing the corpus…", file=sys.stderr, flush=True)
    corpus = prepare(args.work, args.n)
    print(f"  {corpus['docs']:,} articles, {corpus['mb']:.1f} MB", file=sys.stderr, flush=True)
    res = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": "{cores} cores, {cpu}, {ram_gb} GB RAM, Python {python}".format(**B.machine()),
        "command": "python benchmarks/bench_whole_corpus.py" + (f" --n {args.n}" if args.n else ""),
        "corpus": corpus,
        "procs": args.procs or "every core",
    }
    extra = {"procs": args.procs} if args.procs else {}
    if args.reuse_build:
        last = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        res["build"], res["built"] = last["build"], last["date"]
        res["command"] += " --reuse-build"
    else:
        res["build"] = _phase(args, "build", **extra)
    res["queries"] = _phase(args, "queries")
    res["cold"] = cold(args.work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    write_report(args.out, res)
    print(args.out.read_text(encoding="utf-8"))


def _phase(args, name: str, **extra) -> dict:
    """One phase in its own process (bench_index's runner, pointed at this script)."""
    import subprocess

    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--work", str(args.work)]
    for k, v in extra.items():
        cmd += [f"--{k}", str(v)]
    busy0, t0 = B._machine_busy(), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=B.PROJECT)
    wall, busy = time.perf_counter() - t0, B._machine_busy() - busy0
    if p.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{p.stderr[-3000:]}")
    report = json.loads(p.stdout.strip().splitlines()[-1])
    report["process_wall"] = wall
    report["others_cores"] = max(busy - report.get("cpu", 0.0), 0.0) / wall
    print(f"  {name}: {report.get('seconds', wall):.1f} s, cpu {report.get('cpu', 0):.1f} s", file=sys.stderr, flush=True)
    return report


if __name__ == "__main__":
    main()
