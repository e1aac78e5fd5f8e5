"""Load-test ``bantin serve`` on loopback: throughput and latency with 2 workers and with 1.

    python benchmarks/bench_serve.py                                  # the seed corpus, 5,000 searches, 20 clients
    python benchmarks/bench_serve.py --requests 300                   # a smoke run
    python benchmarks/bench_serve.py --index /tmp/bantin-bench-index/index-par \\
        --corpus /tmp/bantin-bench-index/corpus                       # the 12,547 VNTC articles (bench_index.py's)

For each worker count (``--workers 2,1``: both in the same run), on a fresh
hard-link clone of the index (the original is never written):

1. start ``bantin serve --workers N`` on a free 127.0.0.1 port and wait for it to answer;
2. warm up (each query of the mix twice, not counted);
3. ``--clients`` concurrent clients (httpx2, async, keep-alive) send ``--requests``
   searches from a fixed mix: keywords with and without diacritics, document
   references ("Nghị định 181", "21-KL/TW"), phrases, OR, long questions, and
   navigation (filters by year, date range, source and cited document, date
   orders, deeper pages, facet counts; listings without query words);
4. half-way through, ``bantin index`` runs in another process on a changed copy
   of the corpus (``--corpus`` plus 20 new bulletins holding a made-up word, and
   one changed ``.txt`` file if there is one) and commits while the load goes on;
   from then on every 10th search asks for the made-up word, and each answer
   that started after the commit must find all 20 (the workers follow the index
   without restart);
5. stop the server (SIGINT) and report throughput, p50/p95/p99 latency (all
   searches, and those sent while the index job ran), errors (non-200 or
   transport failures), and empty answers to queries that should match (the
   queries that matched when run through the library before the load).

``--index`` must have been built from ``--corpus`` (the update is incremental
against it).  Without ``--index``, one is built from ``--corpus`` in the
scratch folder.  Bounded: a fixed number of requests, a 60 s timeout per
request, 900 s for the index job; traffic goes to 127.0.0.1 only.  Results:
``benchmarks/results/serve/bench_serve.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
TOKEN = "zorvakin"  # a made-up word: only the bulletins the mid-run update adds hold it
ADDED = 20

QUERIES = [
    # the seed corpus's subjects, with and without diacritics, both tone styles
    "Kết luận 21", "ket luan 21", "21-KL/TW", "KL 21", "Nghị quyết 18", "nghi quyet 18",
    "uỷ viên bộ chính trị", "uy vien bo chinh tri", "Trương Thị Mai", "truong thi mai",
    "đảng viên mới", "dang vien moi", "công tác tổ chức xây dựng Đảng", "cong tac to chuc xay dung dang",
    '"ban chấp hành"', "hội nghị OR giao ban", "title:\"Kết luận\"", "cán bộ -Thưởng", "Kết luận 99",
    # news keywords (the VNTC articles)
    "tham nhũng", "tham nhung", "Quốc hội", "quoc hoi", "Hà Nội", "ha noi", "Bộ Công an", "bo cong an",
    "xóa đói giảm nghèo", "xoa doi giam ngheo", "bảo hiểm y tế", "tai nan giao thong", "cải cách hành chính",
    # document references
    "Nghị định 181", "nghi dinh 181", "Nghị định 181/2004/NĐ-CP", "Chỉ thị 40", "Quyết định 135",
    "Luật Đất đai", "luat dat dai",
    # long questions
    "Hội nghị giao ban công tác tổ chức xây dựng Đảng các tỉnh miền núi phía Bắc đã thảo luận những nội dung gì",
    "Ban Tổ chức Trung ương hướng dẫn thực hiện các quy định mới về công tác cán bộ như thế nào",
    "cac dia phuong trien khai thuc hien nghi quyet ve xay dung chinh don dang ra sao",
    "chính phủ đã làm gì để phòng chống tham nhũng trong năm qua",
    "tai nan giao thong tren quoc lo tang hay giam so voi cung ky nam truoc",
]

# Navigation: /v1/search parameters besides q (the page's facets ask for year,source,cites).
NAVIGATION = [
    {"year": "2022"},
    {"year": "2008", "facets": "year,source,cites"},
    {"since": "2022-06-01", "sort": "oldest"},
    {"q": "đảng", "sort": "newest", "facets": "year,source,cites", "facet_limit": "10"},
    {"q": "Kết luận 21", "year": "2022", "facets": "year,source,cites", "facet_limit": "10"},
    {"q": "tham nhũng", "since": "2007", "until": "2008-06", "facets": "year,month"},
    {"q": "Hà Nội", "offset": "20", "facets": "year,source,author,cites"},
    {"q": "quoc hoi", "sort": "oldest", "offset": "10"},
    {"cites": "Kết luận 21"},
    {"q": "công tác cán bộ", "cites": ["Kết luận 21", "Nghị quyết 18"]},
    {"source": "dangcongsan.vn", "facets": "year"},
]


def _label(params: dict) -> str:
    """A navigation request's name in the report: its query string, readable (not percent-encoded)."""
    pairs = [(k, v) for k, vs in params.items() for v in ([vs] if isinstance(vs, str) else vs)]
    return "?" + "&".join(f"{k}={v}" for k, v in pairs)


PARAMS: dict[str, dict] = {q: {"q": q} for q in QUERIES} | {_label(p): p for p in NAVIGATION}
MIX = list(PARAMS)  # what the clients pick from


# --- the index and the changed corpus ------------------------------------------------------------


def link_copy_index(src: Path, dst: Path) -> None:
    """A clone whose (immutable) generation files are hard links; CURRENT and LOCK are its own."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, copy_function=os.link)
    for name in ("LOCK", "CURRENT"):
        if (dst / name).exists():
            data = (dst / name).read_bytes()
            (dst / name).unlink()
            (dst / name).write_bytes(data)


def changed_corpus(corpus: Path, dst: Path) -> dict:
    """``corpus`` (symlinked) plus ADDED new bulletins holding TOKEN, and one ``.txt`` changed."""
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    changed = None
    for p in sorted(corpus.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(corpus).parts):
            continue
        target = dst / p.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        if changed is None and p.suffix == ".txt":
            target.write_text(
                p.read_text(encoding="utf-8") + "\nBản tin này được cập nhật trong lúc đo tải.\n", encoding="utf-8"
            )
            changed = str(p.relative_to(corpus))
        else:
            target.symlink_to(p.resolve())
    records = [
        {
            "id": f"bench-serve-added-{i:02d}",
            "title": f"Hội thảo {TOKEN} lần thứ {i + 1}",
            "body": (
                f"Ban Tổ chức Trung ương tổ chức hội thảo {TOKEN} về công tác cán bộ, lần thứ {i + 1}. "
                "Các đại biểu thảo luận việc thực hiện Kết luận số 21-KL/TW."
            ),
            "date": "2026-11-22",
        }
        for i in range(ADDED)
    ]
    with open(dst / "zz_bench_serve_added.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return {"added": ADDED, "changed": changed}


def calibrate(index: Path) -> dict[str, int]:
    """Each request's total through the library (parameters read as the service reads them):
    those above 0 should match during the load."""
    from searcher import QueryError, Searcher
    from searcher.serve.schemas import SearchParams

    totals = {}
    with Searcher(index) as s:
        lists = {n for n, f in SearchParams.model_fields.items() if typing.get_origin(f.annotation) is list}
        for name in MIX:
            # As a query string: a repeatable parameter given once is a list of one.
            given = {k: [v] if k in lists and isinstance(v, str) else v for k, v in PARAMS[name].items()}
            p = SearchParams.model_validate({**given, "limit": 10})
            try:
                totals[name] = s.search(p.q, **p.library_kwargs()).total
            except QueryError:
                totals[name] = -1
    return totals


# --- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, index: Path, workers: int, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [sys.executable, "-m", "searcher", "serve", "--index", str(index), "--port", str(self.port),
               "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT)
        for _ in range(2400):  # bounded: each round waits for a refused connection
            if self.proc.poll() is not None:
                raise SystemExit(f"bantin serve exited with {self.proc.returncode}:\n{log.read_text()}")
            try:
                if httpx2.get(self.url + "/v1/health", timeout=10).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"bantin serve never answered:\n{log.read_text()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its reaped children (the server and its workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime


def children_cpu_seconds(pid: int) -> float:
    """CPU time of the live children of ``pid`` (uvicorn's worker processes)."""
    total = 0.0
    for task in Path("/proc").iterdir():
        if not task.name.isdigit():
            continue
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            total += cpu_seconds(int(task.name))
    return total


# --- the load --------------------------------------------------------------------------------------


@dataclass
class Sample:
    query: str
    start: float
    ms: float
    status: str
    total: int = -1


@dataclass
class Run:
    workers: int
    requests: int
    clients: int
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    update: dict = field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0


async def _update(corpus: Path, index: Path, marks: dict) -> dict:
    marks["update_start"] = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "searcher", "index", "--corpus", str(corpus), "--index", str(index), "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=PROJECT,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=900)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise SystemExit("the index job took more than 900 s") from None
    marks["commit"] = time.perf_counter()
    if proc.returncode != 0:
        raise SystemExit(f"bantin index failed ({proc.returncode}): {err.decode()[-2000:]}")
    report = json.loads(out)
    return {"seconds": round(marks["commit"] - marks["update_start"], 2),
            **{k: report.get(k) for k in ("added", "updated", "deleted", "unchanged", "documents", "generation")}}


async def load(url: str, run: Run, corpus: Path, index: Path, seed: int) -> None:
    rng = random.Random(seed)
    plan = [rng.choice(MIX) for _ in range(run.requests)]
    marks: dict[str, float] = {}
    update_task: asyncio.Task | None = None
    next_i = 0
    limits = httpx2.Limits(max_connections=run.clients, max_keepalive_connections=run.clients)
    async with httpx2.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def one(q: str, record: bool) -> None:
            t0 = time.perf_counter()
            try:
                r = await client.get("/v1/search", params={**PARAMS.get(q, {"q": q}), "limit": 10})
                status, total = str(r.status_code), (r.json()["total"] if r.status_code == 200 else -1)
            except httpx2.HTTPError as e:
                status, total = f"error:{e.__class__.__name__}", -1
            if record:
                run.samples.append(Sample(q, t0, (time.perf_counter() - t0) * 1000, status, total))

        for q in MIX * 2:  # warm-up, not counted
            await one(q, record=False)

        async def client_loop() -> None:
            nonlocal next_i, update_task
            while next_i < run.requests:
                i = next_i
                next_i += 1
                if i == run.requests // 2 and update_task is None:
                    update_task = asyncio.create_task(_update(corpus, index, marks))
                q = TOKEN if ("commit" in marks and i % 10 == 0) else plan[i]
                await one(q, record=True)

        cpu0 = time.process_time()
        t0 = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(run.clients)))
        run.seconds = time.perf_counter() - t0
        run.client_cpu_s = time.process_time() - cpu0
        assert update_task is not None
        run.update = await update_task  # a short run may end before the commit: wait for it
        run.update["start_s"] = round(marks["update_start"] - t0, 2)
        run.update["commit_s"] = round(marks["commit"] - t0, 2)
        run.update["_window"] = (marks["update_start"], marks["commit"])
        after = [s for s in run.samples if s.query == TOKEN]
        if not after:  # the load ended before the commit: ask once now
            await one(TOKEN, record=True)
            after = [s for s in run.samples if s.query == TOKEN]
        run.update["token_queries_after_commit"] = len(after)
        run.update["token_found_all"] = sum(1 for s in after if s.total == ADDED)


def pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def summarise(run: Run, expected: dict[str, int]) -> dict:
    main = [s for s in run.samples if s.query != TOKEN]
    ms = [s.ms for s in run.samples]
    lo, hi = run.update.pop("_window")
    during = [s.ms for s in run.samples if lo <= s.start <= hi]
    errors = [s for s in run.samples if s.status != "200"]
    empty = [s for s in main if s.status == "200" and s.total == 0 and expected.get(s.query, 0) > 0]
    return {
        "workers": run.workers,
        "clients": run.clients,
        "requests": len(run.samples),
        "seconds": round(run.seconds, 2),
        "throughput_rps": round(len(run.samples) / run.seconds, 1),
        "p50_ms": round(pct(ms, 50), 1),
        "p95_ms": round(pct(ms, 95), 1),
        "p99_ms": round(pct(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "during_update": {"requests": len(during), "p50_ms": round(pct(during, 50), 1), "p95_ms": round(pct(during, 95), 1)},
        "errors": len(errors),
        "error_kinds": sorted({s.status for s in errors}),
        "empty_should_match": len(empty),
        "empty_queries": sorted({s.query for s in empty}),
        "update": run.update,
        "server_cpu_s": round(run.server_cpu_s, 1),
        "client_cpu_s": round(run.client_cpu_s, 1),
    }


def bench(workers: int, args, base_index: Path, expected: dict[str, int]) -> dict:
    work: Path = args.work / f"workers-{workers}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    index = work / "index"
    link_copy_index(base_index, index)
    corpus_info = changed_corpus(args.corpus, work / "corpus-changed")
    print(f"workers={workers}: starting bantin serve…", file=sys.stderr)
    server = Server(index, workers, work / "serve.log")
    run = Run(workers=workers, requests=args.requests, clients=args.clients)
    try:
        cpu0 = cpu_seconds(server.proc.pid) + children_cpu_seconds(server.proc.pid)
        asyncio.run(load(server.url, run, work / "corpus-changed", index, seed=args.seed))
        run.server_cpu_s = cpu_seconds(server.proc.pid) + children_cpu_seconds(server.proc.pid) - cpu0
    finally:
        code = server.stop()
    log = (work / "serve.log").read_text(errors="replace")
    out = summarise(run, expected)
    out["update"]["corpus_change"] = corpus_info
    out["server_exit"] = code
    out["server_tracebacks"] = log.count("Traceback")
    print(f"workers={workers}: {out['throughput_rps']} req/s, p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms, "
          f"p99 {out['p99_ms']} ms, errors {out['errors']}, empty {out['empty_should_match']}", file=sys.stderr)
    return out


def markdown(res: dict) -> str:
    m, c = res["machine"], res["config"]
    lines = [
        "# `bantin serve` under load (loopback)",
        "",
        (
            f"{res['date']}, {m['cores']} cores ({m['cpu']}), Python {m['python']}; "
            f"`python benchmarks/bench_serve.py {' '.join(res['argv'])}`."
        ),
        "",
        (
            f"Index: {c['documents']:,} bulletins (`{c['index']}`), corpus `{c['corpus']}`. "
            f"{c['requests']:,} searches per run from {c['clients']} concurrent keep-alive clients (httpx2, async, "
            f"in one process on the same machine), a mix of {len(MIX)} requests: {len(QUERIES)} queries and "
            f"{len(NAVIGATION)} navigation requests (filters, date orders, offset, facets) "
            f"({c['should_match']} of the {len(MIX)} match in the library before the load), `limit=10`. "
            f"Half-way through, `bantin index` adds {ADDED} bulletins (and changes one `.txt` when there is one) "
            "and commits while the load goes on; afterwards every 10th search asks for the word only those "
            "bulletins hold."
        ),
        "",
        (
            "| workers | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | empty (should match) "
            "| during the index job: n, p50 / p95 ms | index job s | new bulletins found after the commit "
            "| server CPU s | client CPU s |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    for r in res["runs"]:
        u, d = r["update"], r["during_update"]
        lines.append(
            f"| {r['workers']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} "
            f"| {r['errors']} | {r['empty_should_match']} | {d['requests']}: {d['p50_ms']} / {d['p95_ms']} "
            f"| {u['seconds']} | {u['token_found_all']} / {u['token_queries_after_commit']} "
            f"| {r['server_cpu_s']} | {r['client_cpu_s']} |"
        )
    lines += [
        "",
        (
            "Latency is measured by the client, from sending a search to reading its JSON, so it includes "
            f"queueing behind the other clients' searches.  The machine has {m['cores']} cores for the server's "
            "workers, the clients and the index job together: compare the runs with each other, not with a "
            "dedicated server."
        ),
    ]
    if res.get("note"):
        lines += ["", res["note"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=None, help="an index built from --corpus (cloned, never written)")
    ap.add_argument("--corpus", type=Path, default=PROJECT / "corpus")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", default="2,1", help="worker counts to compare, in order")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-bench-serve",
                    help="scratch folder, outside the project")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "serve" / "bench_serve",
                    help="writes OUT.md and OUT.json")
    ap.add_argument("--note", default="", help="a line to add to the report")
    args = ap.parse_args()
    if args.requests < 2 or args.clients < 1:
        ap.error("--requests must be at least 2 and --clients at least 1")
    args.work.mkdir(parents=True, exist_ok=True)

    from searcher import Searcher, build_index

    base_index = args.index
    if base_index is None:
        base_index = args.work / "base-index"
        print(f"building an index of {args.corpus}…", file=sys.stderr)
        shutil.rmtree(base_index, ignore_errors=True)
        build_index(args.corpus, base_index)
    expected = calibrate(base_index)
    with Searcher(base_index) as s:
        documents = s.doc_count()

    runs = [bench(int(w), args, base_index, expected) for w in args.workers.split(",")]
    res = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "argv": sys.argv[1:],
        "machine": {"cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                    "python": platform.python_version(),
                    "maxrss_client_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)},
        "config": {"index": str(args.index or "(built from the corpus)"), "corpus": str(args.corpus),
                   "documents": documents, "requests": args.requests, "clients": args.clients,
                   "queries": len(QUERIES), "navigation": len(NAVIGATION), "should_match": sum(1 for t in expected.values() if t > 0)},
        "expected_totals": expected,
        "runs": runs,
        "note": args.note,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(res), encoding="utf-8")
    print(f"wrote {args.out.with_suffix('.md')} and .json", file=sys.stderr)
    bad = [r for r in runs if r["errors"] or r["server_tracebacks"] or r["server_exit"] != 0]
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
