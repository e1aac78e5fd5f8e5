"""Load-test ``bantin serve`` on loopback: throughput and latency with 2 workers and with 1.

    python benchmarks/bench_serve.py                                  # the seed corpus, 5,000 searches, 20 clients
    python benchmarks/bench_serve.py --requests 600 --workers 2 --out /tmp/smoke   # a smoke run
    python benchmarks/bench_serve.py --index /tmp/bantin-bench-index/index-par \\
        --corpus /tmp/bantin-bench-index/corpus                       # the 12,547 VNTC articles (bench_index.py's)
    python benchmarks/bench_serve.py ... --workers 2 --cache-size 1024,0   # the response cache on, then off

The mix (:class:`Mix`): the 55 hand-written requests below (keywords with and
without diacritics, document references such as "Nghị định 181" and "21-KL/TW",
phrases, OR, long questions, and navigation: filters by year, date range, source
and cited document, date orders, deeper pages, facet counts, listings without
query words) and ``--corpus-queries`` (3,000) distinct queries drawn from the
corpus: runs of 2–5 syllables from titles and bodies, some without diacritics,
some asking the page's facets or page 2.  They are asked with Zipf-like
popularity (``--zipf``, 0.9: a few popular requests, a long tail asked once or
never), from a fixed ``--seed``, so that a response cache cannot simply hold
the whole mix.

For each worker count (``--workers 2,1``: both in the same run) and each cache
size (``--cache-size``, passed to ``bantin serve``; ``1024,0`` compares the
cache on and off), on a fresh hard-link clone of the index (the original is
never written):

1. start ``bantin serve --workers N --cache-size C`` on a free 127.0.0.1 port and
   wait for it to answer;
2. warm up from every client, not counted: corpus queries outside the mix, and
   the made-up word of step 4, which nothing holds yet;
3. ``--clients`` concurrent clients (asyncio, each on its own keep-alive
   connection: :class:`Connection`) send ``--requests`` searches following the
   same plan drawn from the mix;
4. after ``--update-at`` of the searches (a quarter: the job takes about 5 s,
   so that it commits near the middle of the run), ``bantin index`` runs in another process on a changed copy
   of the corpus (``--corpus`` plus 20 new bulletins holding a made-up word, and
   one changed ``.txt`` file if there is one) and commits while the load goes on;
   from then on every 10th search asks for the made-up word, and each answer
   that started after the commit must find all 20 (the workers follow the index
   without restart, and no cache answers from the old generation);
5. stop the server (SIGINT) and report throughput, p50/p95/p99 latency (all
   searches, and those sent while the index job ran), errors (non-200 or
   transport failures), empty answers to queries that should match (the
   requests that matched when run through the library before the load), the
   share of searches answered from the cache, and the server's CPU time.

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
import http.client
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
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index import link_copy_index  # noqa: E402  (a clone with hard-linked generation files)

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
MIX = list(PARAMS)  # the hand-written requests

# What the page asks with a query (its facets), and page 2: some corpus queries come this way.
PAGE_FACETS = {"facets": "year,source,cites", "facet_limit": "10"}
RUN_LENGTHS = {2: 0.35, 3: 0.30, 4: 0.20, 5: 0.15}  # syllables per corpus query: short ones are typed most
FOLDED_SHARE = 0.3  # corpus queries typed without diacritics
FACETS_SHARE, PAGE2_SHARE = 0.10, 0.05
WARMUP = 110  # warm-up requests (corpus queries outside the mix)


# --- the query mix ---------------------------------------------------------------------------------


@dataclass
class Mix:
    """The requests the clients send, most popular first, and how often each is asked.

    The hand-written requests (:data:`MIX`) plus ``corpus`` queries drawn from the
    corpus: runs of 2–5 syllables from a bulletin's title (its first line when it
    has none) or body, :data:`FOLDED_SHARE` of them stripped of diacritics, some
    asking the page's facets or page 2.  Popularity is Zipf-like: the request of
    rank r (0-based) is asked in proportion to 1 / (r + 1) ** zipf.  The
    hand-written requests are spread over the first 4 × 55 ranks (the popular
    head); the corpus queries, shuffled, make up the rest and the long tail.
    ``warmup`` holds further corpus queries, none of them in the mix.
    """

    params: dict[str, dict]
    names: list[str]
    zipf: float
    handwritten: int
    corpus: int
    warmup: list[str]

    def plan(self, n: int, seed: int) -> list[str]:
        weights = [1 / (r + 1) ** self.zipf for r in range(len(self.names))]
        return random.Random(seed).choices(self.names, weights=weights, k=n)


def _title(b) -> str:
    return b.title or b.body.split("\n", 1)[0][:200]


def corpus_queries(corpus: Path, n: int, seed: int, skip: set[str]) -> list[str]:
    """``n`` distinct queries taken from the corpus's bulletins (fewer if it is small)."""
    from searcher.bulletins import Bulletin, scan_corpus
    from searcher.normalise import SYLLABLE_RE, fold

    bulletins = [b for b in scan_corpus(corpus) if isinstance(b, Bulletin)]
    rng = random.Random(seed)
    lengths, length_weights = list(RUN_LENGTHS), list(RUN_LENGTHS.values())
    out: list[str] = []
    seen = {q.casefold() for q in skip}
    for _ in range(n * 20):  # bounded: a small corpus gives fewer queries
        if len(out) >= n or not bulletins:
            break
        b = rng.choice(bulletins)
        text = _title(b) if rng.random() < 0.5 else rng.choice([p for p in b.body.split("\n") if p.strip()] or [""])
        toks = list(SYLLABLE_RE.finditer(text))
        length = rng.choices(lengths, weights=length_weights)[0]
        starts = [
            i for i in range(len(toks) - length + 1)
            if all(t.group().isalpha() for t in toks[i : i + length])
            and all(text[toks[j].end() : toks[j + 1].start()] == " " for j in range(i, i + length - 1))
        ]
        if not starts:
            continue
        i = rng.choice(starts)
        q = " ".join(t.group() for t in toks[i : i + length])
        if rng.random() < FOLDED_SHARE:
            q = fold(q)
        if q.casefold() in seen:
            continue
        seen.add(q.casefold())
        out.append(q)
    return out


def build_mix(corpus: Path, n_corpus: int = 3000, zipf: float = 0.9, seed: int = 12) -> Mix:
    """The hand-written requests and ``n_corpus`` corpus queries, ranked by popularity (see :class:`Mix`)."""
    rng = random.Random(seed)
    drawn = corpus_queries(corpus, n_corpus + WARMUP, seed, set(QUERIES))
    params = dict(PARAMS)
    tail: list[str] = []
    for q in drawn[:n_corpus]:
        r = rng.random()
        p = {"q": q} | (PAGE_FACETS if r < FACETS_SHARE else {"offset": "10"} if r < FACETS_SHARE + PAGE2_SHARE else {})
        name = q if len(p) == 1 else _label(p)
        params[name] = p
        tail.append(name)
    rng.shuffle(tail)
    names = list(tail)
    head = list(MIX)
    rng.shuffle(head)
    for name in head:
        names.insert(rng.randrange(min(len(names), 4 * len(MIX)) + 1), name)
    warmup = drawn[n_corpus:]
    for q in warmup:
        params.setdefault(q, {"q": q})
    return Mix(params, names, zipf, len(MIX), len(tail), warmup)


# --- the index and the changed corpus ------------------------------------------------------------


def changed_corpus(corpus: Path, dst: Path) -> dict:
    """``corpus`` (hard-linked, else copied) plus ADDED new bulletins holding TOKEN, and one ``.txt`` changed.

    Not symlinked: the index job skips symlinks by default, and keeps the bulletins of
    a skipped file (reading each one's stored fields back), which no real update does."""
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
        elif p.is_symlink():  # skipped by the job, as in the corpus itself
            target.symlink_to(p.readlink())
        else:
            try:
                os.link(p, target)
            except OSError:  # another file system
                shutil.copy2(p, target)
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


def calibrate(index: Path, params: dict[str, dict], names: list[str]) -> dict[str, int]:
    """Each request's total through the library (parameters read as the service reads them):
    those above 0 should match during the load."""
    from searcher import QueryError, Searcher
    from searcher.serve.schemas import SearchParams

    totals = {}
    with Searcher(index) as s:
        lists = {n for n, f in SearchParams.model_fields.items() if typing.get_origin(f.annotation) is list}
        for name in names:
            # As a query string: a repeatable parameter given once is a list of one.
            given = {k: [v] if k in lists and isinstance(v, str) else v for k, v in params[name].items()}
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
    def __init__(self, index: Path, workers: int, log: Path, cache_size: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [sys.executable, "-m", "searcher", "serve", "--index", str(index), "--port", str(self.port),
               "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        if cache_size is not None:
            cmd += ["--cache-size", str(cache_size)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT)
        for _ in range(2400):  # bounded: each round waits for a refused connection
            if self.proc.poll() is not None:
                raise SystemExit(f"bantin serve exited with {self.proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/v1/health", timeout=10) as r:
                    if r.status == 200:
                        return
            except (OSError, http.client.HTTPException):  # URLError is an OSError; a half answer, an HTTPException
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
    cache: str = ""  # the X-Bantin-Cache header: "hit", "miss", or "" with the cache off


@dataclass
class Run:
    workers: int
    requests: int
    clients: int
    cache_size: int | None = None
    update_at: float = 0.25  # the share of the searches sent before the index job starts
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


class ProtocolError(Exception):
    """An answer this client cannot read (no ``Content-Length``, a bad status line)."""


class Connection:
    """One client's keep-alive HTTP/1.1 connection: ``GET`` and answers with ``Content-Length``, no more.

    The clients run on the same 2 cores as the server, so they must cost little:
    an HTTP library's async client (httpx2) took about 1 ms of CPU per search here
    (4.9–7.5 s of client CPU per 5,000 searches), a third of a core taken from the
    server's workers; the whole client now takes 0.34–0.46 ms (1.7–2.3 s per 5,000, JSON
    parsing and bookkeeping included).  A connection that fails or that
    the server closes is opened again for the next request.
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, target: str) -> tuple[int, dict[bytes, bytes], bytes]:
        """``GET target`` (a path and query string): the status, the headers (names in lower case), the body."""
        try:
            return await asyncio.wait_for(self._get(target), timeout=60)
        except BaseException:
            self.close()  # whatever was half read is lost with the connection
            raise

    async def _get(self, target: str) -> tuple[int, dict[bytes, bytes], bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("ascii"))
        head = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        parts = head[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"bad status line {head[0][:80]!r}")
        headers = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
        if not headers.get(b"content-length", b"").isdigit():
            raise ProtocolError("an answer without Content-Length")
        body = await reader.readexactly(int(headers[b"content-length"]))
        if b"close" in (t.strip() for t in headers.get(b"connection", b"").lower().split(b",")):
            self.close()
        return int(parts[1]), headers, body

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def load(
    url: str, run: Run, corpus: Path, index: Path, mix: Mix, plan: list[str], server_cpu: typing.Callable[[], float]
) -> None:
    marks: dict[str, float] = {}
    update_task: asyncio.Task | None = None
    next_i = 0
    host, port = urllib.parse.urlsplit(url).hostname or "127.0.0.1", urllib.parse.urlsplit(url).port or 80

    async def one(conn: Connection, q: str, record: bool) -> None:
        target = "/v1/search?" + urllib.parse.urlencode({**mix.params.get(q, {"q": q}), "limit": 10})
        t0 = time.perf_counter()
        try:
            code, headers, body = await conn.get(target)
            status, total = str(code), (json.loads(body)["total"] if code == 200 else -1)
            cache = headers.get(b"x-bantin-cache", b"").decode("latin-1")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ProtocolError,
                ValueError, KeyError) as e:
            status, total, cache = f"error:{e.__class__.__name__}", -1, ""
        if record:
            run.samples.append(Sample(q, t0, (time.perf_counter() - t0) * 1000, status, total, cache))

    connections = [Connection(host, port) for _ in range(run.clients)]
    try:
        # Warm-up, not counted, from every client (each keep-alive connection stays with one worker):
        # corpus queries outside the mix, and the made-up word, found nowhere yet; a worker that kept
        # that answer past the commit would fail the check below.
        warm = list(mix.warmup)

        async def warm_loop(conn: Connection) -> None:
            await one(conn, TOKEN, record=False)
            while warm:
                await one(conn, warm.pop(), record=False)

        await asyncio.gather(*(warm_loop(conn) for conn in connections))

        async def client_loop(conn: Connection) -> None:
            nonlocal next_i, update_task
            while next_i < run.requests:
                i = next_i
                next_i += 1
                if i == int(run.requests * run.update_at) and update_task is None:
                    update_task = asyncio.create_task(_update(corpus, index, marks))
                q = TOKEN if ("commit" in marks and i % 10 == 0) else plan[i]
                await one(conn, q, record=True)

        server0 = server_cpu()  # the measured searches only, not the warm-up
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        await asyncio.gather(*(client_loop(conn) for conn in connections))
        run.seconds = time.perf_counter() - t0
        run.client_cpu_s = time.process_time() - cpu0
        run.server_cpu_s = server_cpu() - server0
        assert update_task is not None
        run.update = await update_task  # a short run may end before the commit: wait for it
        run.update["start_s"] = round(marks["update_start"] - t0, 2)
        run.update["commit_s"] = round(marks["commit"] - t0, 2)
        run.update["_window"] = (marks["update_start"], marks["commit"])
        after = [s for s in run.samples if s.query == TOKEN]
        if not after:  # the load ended before the commit: ask once now
            probe = Connection(host, port)  # the load's connections may have idled past keep-alive since
            try:
                await one(probe, TOKEN, record=True)
            finally:
                probe.close()
            after = [s for s in run.samples if s.query == TOKEN]
        run.update["token_queries_after_commit"] = len(after)
        run.update["token_found_all"] = sum(1 for s in after if s.total == ADDED)
    finally:
        for conn in connections:
            conn.close()


def pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def summarise(run: Run, expected: dict[str, int]) -> dict:
    main = [s for s in run.samples if s.query != TOKEN]
    hits = sum(1 for s in run.samples if s.cache == "hit")
    ms = [s.ms for s in run.samples]
    lo, hi = run.update.pop("_window")
    during = [s.ms for s in run.samples if lo <= s.start <= hi]
    errors = [s for s in run.samples if s.status != "200"]
    empty = [s for s in main if s.status == "200" and s.total == 0 and expected.get(s.query, 0) > 0]
    return {
        "workers": run.workers,
        "cache_size": run.cache_size,
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
        "cache_hits": hits,
        "cache_hit_rate": round(hits / len(run.samples), 3) if run.samples else 0.0,
        "by_cache": {
            kind: {"requests": len(v), "p50_ms": round(pct(v, 50), 1), "p95_ms": round(pct(v, 95), 1)}
            for kind in ("hit", "miss")
            if (v := [s.ms for s in run.samples if s.cache == kind])
        },
        "server_cpu_s": round(run.server_cpu_s, 1),
        "server_cpu_ms_per_request": round(run.server_cpu_s * 1000 / len(run.samples), 2) if run.samples else 0.0,
        "client_cpu_s": round(run.client_cpu_s, 1),
    }


def bench(
    workers: int, cache_size: int | None, args, base_index: Path, mix: Mix, plan: list[str], expected: dict[str, int]
) -> dict:
    name = f"workers-{workers}" + (f"-cache-{cache_size}" if cache_size is not None else "")
    work: Path = args.work / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    index = work / "index"
    link_copy_index(base_index, index)
    corpus_info = changed_corpus(args.corpus, work / "corpus-changed")
    print(f"{name}: starting bantin serve…", file=sys.stderr)
    server = Server(index, workers, work / "serve.log", cache_size)
    run = Run(workers=workers, requests=args.requests, clients=args.clients, cache_size=cache_size,
              update_at=args.update_at)
    pid = server.proc.pid
    try:
        asyncio.run(load(server.url, run, work / "corpus-changed", index, mix, plan,
                         lambda: cpu_seconds(pid) + children_cpu_seconds(pid)))
    finally:
        code = server.stop()
    log = (work / "serve.log").read_text(errors="replace")
    out = summarise(run, expected)
    out["update"]["corpus_change"] = corpus_info
    out["server_exit"] = code
    out["server_tracebacks"] = log.count("Traceback")
    print(f"{name}: {out['throughput_rps']} req/s, p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms, "
          f"p99 {out['p99_ms']} ms, errors {out['errors']}, empty {out['empty_should_match']}, "
          f"cache hits {out['cache_hit_rate']:.1%}, server CPU {out['server_cpu_ms_per_request']} ms/request",
          file=sys.stderr)
    return out


def markdown(res: dict) -> str:
    m, c, x = res["machine"], res["config"], res["config"]["mix"]
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
            f"{c['requests']:,} searches per run from {c['clients']} concurrent keep-alive clients (asyncio, "
            f"one connection each, in one process on the same machine), `limit=10`, from a mix of {x['handwritten']} hand-written "
            f"requests ({len(QUERIES)} queries and {len(NAVIGATION)} navigation requests: filters, date orders, "
            f"offset, facets) and {x['corpus']:,} queries drawn from the corpus (runs of 2–5 syllables from titles "
            f"and bodies, {FOLDED_SHARE:.0%} without diacritics, {FACETS_SHARE:.0%} asking the page's facets, "
            f"{PAGE2_SHARE:.0%} page 2), asked with Zipf-like popularity (exponent {x['zipf']}, the hand-written "
            f"ones among the most popular; seed {x['seed']}): {x['distinct_in_plan']:,} distinct requests, the 10 "
            f"most asked making {x['top10_share']:.0%} of the searches, {c['should_match']:,} of those distinct "
            "requests matching in the library before the load. "
            f"After {c.get('update_at', 0.5):.0%} of the searches, `bantin index` adds {ADDED} bulletins (and changes one `.txt` when there is one) "
            "and commits while the load goes on; afterwards every 10th search asks for the word only those "
            "bulletins hold."
        ),
        "",
        (
            "| workers | cache size | cache hits | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
            "| empty (should match) | during the index job: n, p50 / p95 ms | index job s (its commit, s into the run) "
            "| new bulletins found after the commit | server CPU s (ms per search) | client CPU s |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    for r in res["runs"]:
        u, d = r["update"], r["during_update"]
        lines.append(
            f"| {r['workers']} | {r['cache_size'] if r['cache_size'] is not None else 'default'} "
            f"| {r['cache_hit_rate']:.1%} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r['max_ms']} | {r['errors']} | {r['empty_should_match']} "
            f"| {d['requests']}: {d['p50_ms']} / {d['p95_ms']} "
            f"| {u['seconds']} ({u['commit_s']} of {r['seconds']}) | {u['token_found_all']} / {u['token_queries_after_commit']} "
            f"| {r['server_cpu_s']} ({r['server_cpu_ms_per_request']}) | {r['client_cpu_s']} |"
        )
    cached = [r for r in res["runs"] if r.get("by_cache")]
    if cached:
        lines += ["", "| workers | cache size | from the cache: n, p50 / p95 ms | searched: n, p50 / p95 ms |",
                  "|---:|---:|---|---|"]
        for r in cached:
            h, m_ = r["by_cache"].get("hit"), r["by_cache"].get("miss")
            cell = lambda v: f"{v['requests']}: {v['p50_ms']} / {v['p95_ms']}" if v else "–"  # noqa: E731
            lines.append(f"| {r['workers']} | {r['cache_size']} | {cell(h)} | {cell(m_)} |")
    lines += [
        "",
        (
            "Latency is measured by the client, from sending a search to reading its JSON, so it includes "
            f"queueing behind the other clients' searches.  The machine has {m['cores']} cores for the server's "
            "workers, the clients and the index job together: compare the runs with each other, not with a "
            "dedicated server.  Server CPU: the server's processes during the measured searches (not the "
            "warm-up).  Cache hits: the searches a worker answered from its cache (`X-Bantin-Cache: hit`); "
            "each worker has its own, emptied when the index job commits."
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
    ap.add_argument("--update-at", type=float, default=0.25,
                    help="the share of the searches sent before the index job starts (it then runs for seconds)")
    ap.add_argument("--workers", default="2,1", help="worker counts to compare, in order")
    ap.add_argument("--cache-size", default="1024",
                    help="`bantin serve --cache-size` for each worker count, e.g. 1024,0 to compare cache on and off")
    ap.add_argument("--corpus-queries", type=int, default=3000, help="distinct queries drawn from the corpus")
    ap.add_argument("--zipf", type=float, default=0.9, help="popularity exponent: rank r asked ∝ 1/(r+1)^zipf")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bantin-bench-serve",
                    help="scratch folder, outside the project")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "serve" / "bench_serve",
                    help="writes OUT.md and OUT.json")
    ap.add_argument("--note", default="", help="a line to add to the report")
    args = ap.parse_args()
    if args.requests < 2 or args.clients < 1 or not 0 <= args.update_at < 1:
        ap.error("--requests must be at least 2, --clients at least 1, --update-at from 0 to below 1")
    try:
        cache_sizes = [int(c) for c in args.cache_size.split(",")]
        workers = [int(w) for w in args.workers.split(",")]
    except ValueError:
        ap.error("--workers and --cache-size take whole numbers, comma-separated")
    if any(c < 0 for c in cache_sizes) or any(w < 1 for w in workers) or args.corpus_queries < 0 or args.zipf < 0:
        ap.error("--cache-size, --corpus-queries and --zipf are 0 or more, --workers 1 or more")
    args.work.mkdir(parents=True, exist_ok=True)

    from searcher import Searcher, build_index

    base_index = args.index
    if base_index is None:
        base_index = args.work / "base-index"
        print(f"building an index of {args.corpus}…", file=sys.stderr)
        shutil.rmtree(base_index, ignore_errors=True)
        build_index(args.corpus, base_index)
    print(f"drawing {args.corpus_queries} queries from {args.corpus}…", file=sys.stderr)
    mix = build_mix(args.corpus, args.corpus_queries, args.zipf, args.seed)
    plan = mix.plan(args.requests, args.seed)
    distinct = list(dict.fromkeys(plan))
    print(f"calibrating the {len(distinct)} distinct requests through the library…", file=sys.stderr)
    expected = calibrate(base_index, mix.params, distinct)
    with Searcher(base_index) as s:
        documents = s.doc_count()
    asked = Counter(plan)
    counts = sorted(asked.values(), reverse=True)

    runs = [bench(w, c, args, base_index, mix, plan, expected) for w in workers for c in cache_sizes]
    res = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "argv": sys.argv[1:],
        "machine": {"cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                    "python": platform.python_version(),
                    "maxrss_client_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)},
        "config": {"index": str(args.index or "(built from the corpus)"), "corpus": str(args.corpus),
                   "documents": documents, "requests": args.requests, "clients": args.clients,
                   "update_at": args.update_at,
                   "queries": len(QUERIES), "navigation": len(NAVIGATION), "should_match": sum(1 for t in expected.values() if t > 0),
                   "mix": {"handwritten": mix.handwritten, "corpus": mix.corpus, "zipf": mix.zipf, "seed": args.seed,
                           "distinct_in_plan": len(distinct), "top10_share": round(sum(counts[:10]) / len(plan), 3),
                           "asked_once": sum(1 for n in counts if n == 1),
                           "top10": [[n, k] for n, k in asked.most_common(10)]}},
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
