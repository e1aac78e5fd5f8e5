"""The index job: incremental, atomic, exclusive, safe beside live searchers, parallel.

Real whoosh indexes, real pyvi, real processes and real signals; no mocks.  The
only instrumentation is a counting wrapper around ``analysis._segment_sentence``
(the real pyvi still runs) to prove that unchanged documents are not analysed
again, and a count of the items the scan has yielded when workers are forked
(the real scan and workers run) to show that a full build starts them early.

Corpora are small: the five seed bulletins, and short JSON-line records made
from their paragraphs (or from VNTC articles when ``../shared`` exists, for the
SIGKILL test).
"""

from __future__ import annotations

import json
import lzma
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from searcher import layout, vocab
from searcher.errors import BadDocument, CorpusError, DocumentNotFound, IndexLockedError
from searcher.indexer import PARALLEL_THRESHOLD, index_stats, scan, update_index, worker_count
from searcher.search import Searcher

PROJECT = Path(__file__).resolve().parents[1]
SEEDS = PROJECT / "corpus"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
VNTC = SHARED / "corpora" / "vntc.jsonl.xz"

INDEX_LOCKED = 5
INTERRUPTED = 130

# A made-up syllable no real text contains: a marker for documents a test adds or changes.
MARK = "zebrafoo"


# --- helpers ------------------------------------------------------------------------------


def seed_files() -> list[Path]:
    files = sorted(SEEDS.glob("*.txt"))
    if len(files) < 5:
        pytest.skip(f"seed corpus missing: {SEEDS}")
    return files


def seed_records(n: int) -> list[dict]:
    """``n`` short records made from the seed bulletins' paragraphs (always available)."""
    from searcher.bulletins import read_txt

    paragraphs = []
    for p in seed_files():
        body = read_txt(p, SEEDS).body
        paragraphs += [x for x in body.split("\n\n") if len(x.split()) >= 12]
    records = []
    for i in range(n):
        text = paragraphs[i % len(paragraphs)]
        if i >= len(paragraphs):  # more records than paragraphs: pair them up
            text += "\n\n" + paragraphs[(i * 7 + 3) % len(paragraphs)]
        title = " ".join(text.split()[:9])
        records.append({"id": f"rec-{i:03d}", "title": title, "body": text})
    return records


def vntc_records(n: int) -> list[dict] | None:
    """The first ``n`` "Chính trị Xã hội" VNTC articles, cut short; None without ../shared."""
    if not VNTC.is_file():
        return None
    out = []
    with lzma.open(VNTC, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("category") != "Chính trị Xã hội":
                continue
            body = r["body"][:900].rsplit(" ", 1)[0]
            out.append({"id": r["id"], "title": r.get("title") or "", "body": body})
            if len(out) == n:
                break
    return out


def write_records(corpus: Path, records: list[dict], name: str = "records.jsonl") -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    with open(corpus / name, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def marked(record: dict, word: str = MARK) -> dict:
    return {**record, "body": record["body"] + f"\n\nTin bổ sung {word} về công tác cán bộ."}


def hit_ids(s: Searcher, query: str, limit: int = 10) -> list[str]:
    return [h.id for h in s.search(query, limit=limit).hits]


def answers(index: Path, queries: list[str]) -> dict[str, list[str]]:
    """Ids, in order, of each query's hits on a freshly opened index."""
    with Searcher(index) as s:
        return {q: hit_ids(s, q) for q in queries}


def segment_sizes(gen: Path) -> list[int]:
    """Documents per whoosh segment of a generation folder."""
    from whoosh import index as windex

    ix = windex.open_dir(str(gen))
    try:
        return sorted(seg.doc_count_all() for seg in ix._segments())
    finally:
        ix.close()


def generations(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("gen-*"))


def live(index: Path) -> str:
    return (index / "CURRENT").read_text(encoding="utf-8").strip()


def bantin(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """``python -m searcher ARGS`` in a real process (its own session, for signals)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    return subprocess.run(
        [sys.executable, "-m", "searcher", *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=PROJECT, **kw,
    )


def start_bantin(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    return subprocess.Popen(
        [sys.executable, "-m", "searcher", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT,
        start_new_session=True,
    )


def session_processes(sid: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes of session ``sid``: (pid, state)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state not in ("Z", "X"):
            out.append((int(stat.parent.name), state))
    return out


def _has_open(pid: int, path: Path) -> bool:
    """True when process ``pid`` holds ``path`` open (Linux /proc)."""
    target = str(path.resolve())
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(fd) == target:
                return True
        except OSError:
            continue
    return False


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ") and "Traceback" not in stderr
    return lines[0]


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def txt_corpus(tmp_path) -> Path:
    """Three of the seed bulletins as .txt files."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in seed_files()[:3]:
        shutil.copy(p, corpus / p.name)
    return corpus


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return seed_records(40)


@pytest.fixture
def jsonl_corpus(tmp_path, records) -> Path:
    corpus = tmp_path / "jcorpus"
    write_records(corpus, records[:12])
    return corpus


# --- incremental updates -----------------------------------------------------------------------


def test_txt_add_change_remove_are_counted_and_searchable(tmp_path, txt_corpus):
    index = tmp_path / "index"
    first = update_index(txt_corpus, index, procs=1)
    assert (first.added, first.documents, first.rebuilt) == (3, 3, True)
    a, b, c = sorted(txt_corpus.glob("*.txt"))
    new = seed_files()[3]
    shutil.copy(new, txt_corpus / new.name)
    a.write_text(a.read_text(encoding="utf-8") + f"\nĐoạn mới về {MARK} trong công tác tổ chức.\n", encoding="utf-8")
    c.unlink()

    rep = update_index(txt_corpus, index, procs=1)

    assert (rep.added, rep.updated, rep.deleted, rep.unchanged) == (1, 1, 1, 1)
    assert not rep.rebuilt and rep.documents == 3 and rep.generation != first.generation
    with Searcher(index) as s:
        assert hit_ids(s, MARK) == [a.stem]
        assert s.get(new.stem).title
        assert s.get(b.stem).title
        with pytest.raises(DocumentNotFound):
            s.get(c.stem)
        assert s.doc_count() == 3


def test_jsonl_add_change_remove_by_record_id_and_hash(tmp_path, jsonl_corpus, records):
    index = tmp_path / "index"
    update_index(jsonl_corpus, index, procs=1)
    edited = records[:12]
    edited[4] = marked(edited[4])  # changed
    del edited[7]  # removed
    edited.append(marked(records[20], MARK + "x"))  # added
    write_records(jsonl_corpus, edited)
    pinned = Searcher(index, auto_refresh=False)

    rep = update_index(jsonl_corpus, index, procs=1)

    assert (rep.added, rep.updated, rep.deleted, rep.unchanged) == (1, 1, 1, 10)
    assert rep.documents == 12
    # the old generation shares its segment files by hard links, and is unchanged
    with pinned:
        assert pinned.get(records[7]["id"]).body == records[7]["body"]
        assert pinned.get(records[4]["id"]).body == records[4]["body"]
        assert hit_ids(pinned, MARK) == [] and pinned.doc_count() == 12
    with Searcher(index) as s:
        assert hit_ids(s, MARK) == [records[4]["id"]]
        assert hit_ids(s, MARK + "x") == [records[20]["id"]]
        with pytest.raises(DocumentNotFound):
            s.get(records[7]["id"])


def test_moving_a_record_to_another_line_is_not_a_change(tmp_path, jsonl_corpus, records):
    index = tmp_path / "index"
    update_index(jsonl_corpus, index, procs=1)
    write_records(jsonl_corpus, list(reversed(records[:12])))
    rep = update_index(jsonl_corpus, index, procs=1)
    assert (rep.added, rep.updated, rep.deleted, rep.unchanged) == (0, 0, 0, 12)


def test_an_unchanged_corpus_makes_no_new_generation(tmp_path, txt_corpus, jsonl_corpus):
    for p in txt_corpus.glob("*.txt"):
        shutil.copy(p, jsonl_corpus / p.name)
    index = tmp_path / "index"
    first = update_index(jsonl_corpus, index, procs=1)
    before = generations(index)

    again = update_index(jsonl_corpus, index, procs=1)

    assert not again.changed
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 15)
    assert again.generation == first.generation == live(index)
    assert generations(index) == before


def test_only_added_and_changed_documents_are_analysed(tmp_path, jsonl_corpus, records, monkeypatch):
    """Count the sentences pyvi really segments during an update (the cache is
    emptied first, so a cached sentence cannot hide work): none may come from
    an unchanged document."""
    from searcher import analysis

    index = tmp_path / "index"
    update_index(jsonl_corpus, index, procs=1)
    edited = records[:12]
    edited[2] = marked(edited[2])
    edited.append(records[30])
    write_records(jsonl_corpus, edited)

    seen: list[str] = []
    real = analysis._segment_sentence

    def counting(sentence: str) -> tuple:
        seen.append(sentence)
        return real(sentence)

    monkeypatch.setattr(analysis, "_segment_sentence", counting)
    analysis._SEGMENT_CACHE.clear()
    rep = update_index(jsonl_corpus, index, procs=1)

    assert (rep.added, rep.updated, rep.unchanged) == (1, 1, 11)
    analysed = {records[2]["id"]: edited[2], records[30]["id"]: records[30]}
    allowed = set()
    for r in analysed.values():
        allowed |= {s for s, _ in analysis.sentences(f"{r['title']}\n{r['body']}")}
    assert seen, "the changed and added records were not analysed at all"
    assert set(seen) <= allowed
    assert any(MARK in s for s in seen)
    untouched = {s for r in records[:12] if r["id"] != records[2]["id"] for s, _ in analysis.sentences(r["body"])}
    assert not (set(seen) & (untouched - allowed))


def test_fast_scan_reads_what_scan_corpus_reads(tmp_path, records):
    """The job's scan (which skips parsing bytes it has already indexed) sees exactly
    what ``scan_corpus`` sees, bad lines and duplicate ids included."""
    from searcher.bulletins import scan_corpus

    corpus = tmp_path / "mixed"
    write_records(corpus, records[:6], "a.jsonl")
    with open(corpus / "a.jsonl", "a", encoding="utf-8") as fh:
        fh.write("{not json\n\n" + json.dumps(records[0], ensure_ascii=False) + "\n")
    write_records(corpus / "sub", records[6:9], "b.jsonl")
    for p in seed_files()[:2]:
        shutil.copy(p, corpus / p.name)
    (corpus / "empty.txt").write_bytes(b"")

    def key(item):
        if isinstance(item, BadDocument):
            return ("bad", item.path, item.reason)
        return ("doc", item.id, item.path)

    expected = [key(x) for x in scan_corpus(corpus)]
    assert [key(x) for x in scan(corpus)] == expected
    manifest = {x.id: x.hash for x in scan_corpus(corpus) if not isinstance(x, BadDocument)}
    known = list(scan(corpus, manifest))
    assert [key(x) for x in known] == expected
    assert all(type(x).__name__ == "_Same" for x in known if not isinstance(x, BadDocument))


def test_small_segments_from_many_updates_are_merged(tmp_path):
    """Each job adds a segment; they must not pile up (every query pays for each one)."""
    recs = seed_records(56)
    corpus = tmp_path / "corpus"
    write_records(corpus, recs[:40])
    index = tmp_path / "index"
    update_index(corpus, index, procs=1)
    counts = []
    for job in range(8):
        write_records(corpus, recs[40 + 2 * job : 42 + 2 * job], f"more{job}.jsonl")
        assert update_index(corpus, index, procs=1).added == 2
        counts.append(len(segment_sizes(index / live(index))))
    assert max(counts) <= 5 and counts[-1] <= 3, counts  # without merging: 2, 3, … 9
    with Searcher(index) as s:
        assert s.doc_count() == 56
        assert sorted(hit_ids(s, recs[55]["title"], limit=100))
        assert s.get(recs[41]["id"]).body == recs[41]["body"]


# --- bad input never loses what is indexed ----------------------------------------------------------


def test_a_txt_file_that_becomes_unreadable_keeps_its_indexed_version(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    victim = sorted(txt_corpus.glob("*.txt"))[1]
    with Searcher(index) as s:
        title = s.get(victim.stem).title
        query_hits = hit_ids(s, title)
    assert victim.stem in query_hits
    victim.write_bytes(b"\x00\x01binary junk\xff" * 50)

    rep = update_index(txt_corpus, index, procs=1)
    assert (rep.deleted, rep.unchanged, rep.documents) == (0, 3, 3)
    assert [s["path"] for s in rep.skipped] == [victim.name]

    rebuilt = update_index(txt_corpus, index, rebuild=True, procs=1)
    assert rebuilt.rebuilt and rebuilt.documents == 3
    with Searcher(index) as s:
        assert s.get(victim.stem).title == title
        assert hit_ids(s, title) == query_hits


def test_a_corpus_folder_found_empty_never_empties_the_index(tmp_path, txt_corpus):
    """An unmounted drive or a wrong --corpus shows an empty folder: the job refuses
    (exit 6, one line), with or without --rebuild, and the index keeps every bulletin.
    Down to one bulletin is an ordinary update; a new index may start empty."""
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    before = live(index)
    empty = tmp_path / "empty"
    empty.mkdir()
    for rebuild in (False, True):
        with pytest.raises(CorpusError, match="holds no bulletins, but the index holds 3: nothing was deleted"):
            update_index(empty, index, rebuild=rebuild, procs=1)
    p = bantin("index", "--corpus", str(empty), "--index", str(index))
    assert p.returncode == 6 and p.stderr.count("\n") == 1 and "holds no bulletins" in p.stderr, p.stderr
    assert live(index) == before and generations(index) == [before]
    with Searcher(index) as s:
        assert s.doc_count() == 3
    keep = sorted(txt_corpus.glob("*.txt"))[0]
    for f in txt_corpus.glob("*.txt"):
        if f != keep:
            f.unlink()
    rep = update_index(txt_corpus, index, procs=1)
    assert (rep.deleted, rep.documents) == (2, 1)
    assert update_index(empty, tmp_path / "new", procs=1).documents == 0


def test_a_jsonl_line_that_becomes_invalid_keeps_its_indexed_record(tmp_path, jsonl_corpus, records):
    index = tmp_path / "index"
    update_index(jsonl_corpus, index, procs=1)
    lines = (jsonl_corpus / "records.jsonl").read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5][: len(lines[5]) // 2]  # a truncated line: invalid JSON
    (jsonl_corpus / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep = update_index(jsonl_corpus, index, procs=1)
    assert (rep.deleted, rep.unchanged) == (0, 12)
    assert rep.skipped and rep.skipped[0]["path"] == "records.jsonl:6"
    with Searcher(index) as s:
        assert s.get(records[5]["id"]).body == records[5]["body"]


# --- analysis version, --rebuild, generations -----------------------------------------------------


def test_changed_analysis_rules_rebuild_by_themselves_and_say_why(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    meta_path = index / live(index) / layout.META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["analysis_version"] = "1999.1.1"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    assert index_stats(index).analysis_current is False

    r = bantin("index", "--corpus", str(txt_corpus), "--index", str(index))

    assert r.returncode == 0, r.stderr
    assert "full build: analysis rules changed (1999.1.1 →" in r.stderr
    assert "+3 added" in r.stdout
    stats = index_stats(index)
    assert stats.analysis_current and stats.documents == 3
    again = update_index(txt_corpus, index, procs=1)
    assert not again.rebuilt and not again.changed


def test_an_unreadable_index_is_rebuilt_by_a_plain_update(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    damaged = [f for f in (index / live(index)).glob("MAIN_*.*") if f.stat().st_size > 1]
    assert damaged
    for f in damaged:
        with open(f, "r+b") as fh:
            fh.truncate(f.stat().st_size // 2)
    rep = update_index(txt_corpus, index, procs=1)
    assert rep.rebuilt and rep.reason.startswith("index damaged") and rep.documents == 3
    with Searcher(index) as s:
        assert s.doc_count() == 3 and hit_ids(s, "công tác")


def test_rebuild_makes_a_new_generation_while_an_open_searcher_keeps_the_old(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    old_gen = live(index)
    a = sorted(txt_corpus.glob("*.txt"))[0]
    with Searcher(index, auto_refresh=False) as pinned:
        before = hit_ids(pinned, "công tác cán bộ")
        a.write_text(a.read_text(encoding="utf-8") + f"\n{MARK} {MARK}.\n", encoding="utf-8")

        rep = update_index(txt_corpus, index, rebuild=True, procs=1)

        assert rep.rebuilt and rep.reason == "--rebuild asked for" and rep.generation != old_gen
        assert live(index) == rep.generation and old_gen in generations(index)
        assert pinned.generation == old_gen
        assert hit_ids(pinned, "công tác cán bộ") == before
        assert hit_ids(pinned, MARK) == []  # the old generation does not have the word
        assert pinned.refresh() is True
        assert hit_ids(pinned, MARK) == [a.stem]
    # the next job's garbage collection removes it: live + the one before are kept
    update_index(txt_corpus, index, rebuild=True, procs=1)
    assert generations(index) == [rep.generation, live(index)]


def test_garbage_collection_removes_unfinished_and_never_published_generations(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    update_index(txt_corpus, index, rebuild=True, procs=1)
    current, previous = live(index), generations(index)[0]
    # what jobs killed at the wrong moment leave: a half-made generation, and a
    # finished one whose CURRENT was never written
    (index / "gen-000007.tmp").mkdir()
    (index / "gen-000007.tmp" / "junk").write_text("x")
    shutil.copytree(index / current, index / "gen-000009")
    (index / "CURRENT.123.tmp").write_text("gen-000009\n")

    rep = update_index(txt_corpus, index, procs=1)

    assert not rep.changed
    assert generations(index) == [previous, current]
    assert not list(index.glob("CURRENT.*"))
    a = sorted(txt_corpus.glob("*.txt"))[0]
    a.write_text(a.read_text(encoding="utf-8") + f"\n{MARK}.\n", encoding="utf-8")
    assert update_index(txt_corpus, index, procs=1).generation == "gen-000003"


# --- the lock ---------------------------------------------------------------------------------------


def test_a_second_job_exits_5_at_once_with_one_line(tmp_path, txt_corpus):
    index = tmp_path / "index"
    with layout.WriteLock(index):
        # Without --wait the job must not wait: the lock is held for as long as
        # this block lasts, so a waiting job would hit the subprocess timeout.
        r = bantin("index", "--corpus", str(txt_corpus), "--index", str(index), timeout=60)
        with pytest.raises(IndexLockedError):
            update_index(txt_corpus, index)
    assert r.returncode == INDEX_LOCKED
    line = one_line_error(r.stderr)
    assert "--wait" in line and f"pid {os.getpid()}" in line
    assert not (index / "CURRENT").exists()


def test_wait_lets_a_job_proceed_when_the_holder_releases(tmp_path, txt_corpus):
    index = tmp_path / "index"
    lock = layout.WriteLock(index).__enter__()
    job = start_bantin("index", "--corpus", str(txt_corpus), "--index", str(index), "--wait", "60", "--json")
    try:
        # Release the lock only once the job has opened LOCK and is retrying
        # (without --wait it would have exited 5 at that point).
        assert wait_for(lambda: _has_open(job.pid, index / "LOCK") or job.poll() is not None, timeout=60)
        assert job.poll() is None, job.communicate()
        lock.__exit__(None, None, None)
        out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode == 0, err
    assert json.loads(out)["added"] == 3


def test_wait_gives_up_after_its_seconds(tmp_path, txt_corpus):
    index = tmp_path / "index"
    with layout.WriteLock(index):
        with pytest.raises(IndexLockedError, match="after waiting 0.5 s"):
            update_index(txt_corpus, index, wait=0.5)


def test_a_holder_killed_with_sigkill_never_blocks_the_next_job(tmp_path, txt_corpus):
    index = tmp_path / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from searcher import layout\n"
         f"with layout.WriteLock({str(index)!r}):\n    print('locked', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True, cwd=PROJECT,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLockedError):
            update_index(txt_corpus, index)
        holder.kill()
        holder.wait(10)
        assert (index / "LOCK").exists()  # the file stays; it means nothing without a holder
        rep = update_index(txt_corpus, index, procs=1)
        assert rep.added == 3
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


@pytest.mark.slow
def test_a_parallel_job_killed_with_sigkill_leaves_no_process_and_no_lock(tmp_path):
    """Worker processes die with the job (the old whoosh MpWriter's forked workers
    lived on after ``kill -9``, blocked forever, holding the lock)."""
    corpus = tmp_path / "corpus"
    write_records(corpus, seed_records(120))
    index = tmp_path / "index"
    job = start_bantin("index", "--corpus", str(corpus), "--index", str(index), "--procs", "2", "-q")
    try:
        assert wait_for(lambda: len(session_processes(job.pid)) >= 3, timeout=30), "no workers started"
        job.kill()  # at whatever moment the workers are in: none may outlive the job
        job.wait(10)
        assert wait_for(lambda: not session_processes(job.pid), timeout=5), session_processes(job.pid)
    finally:
        if job.poll() is None:
            job.kill()
        job.communicate()
    assert not (index / "CURRENT").exists()
    rep = update_index(corpus, index, procs=1)
    assert rep.added == 120 and not list(index.glob("*.tmp"))


# --- parallel analysis ----------------------------------------------------------------------------


def test_worker_count_rules():
    assert worker_count(None, PARALLEL_THRESHOLD - 1) == 1
    assert worker_count(1, 10_000) == 1
    assert worker_count(4, 10_000) == 4
    assert worker_count(8, 40) == 2  # never more workers than batches
    assert worker_count(2, 5) == 1


@pytest.mark.slow
def test_a_parallel_build_indexes_what_a_serial_build_does(tmp_path):
    corpus = tmp_path / "corpus"
    recs = seed_records(70)
    write_records(corpus, recs)
    calls: list[tuple[int, int]] = []
    par = update_index(corpus, tmp_path / "par", procs=2, progress=lambda d, t, b: calls.append((d, t)))
    ser = update_index(corpus, tmp_path / "ser", procs=1)
    assert par.documents == ser.documents == 70
    assert calls and calls[-1] == (70, 70)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    gen = tmp_path / "par" / live(tmp_path / "par")
    sizes = segment_sizes(gen)
    assert len(sizes) == 2 and sum(sizes) == 70, sizes  # one segment per worker
    assert vocab.load(gen) == vocab.load(tmp_path / "ser" / live(tmp_path / "ser"))
    with Searcher(tmp_path / "par") as p, Searcher(tmp_path / "ser") as s:
        for q in ("công tác cán bộ", "Đảng viên", "hội nghị", "ket luan 21"):
            full_p = {(h.id, round(h.score, 6)) for h in p.search(q, limit=100).hits}
            full_s = {(h.id, round(h.score, 6)) for h in s.search(q, limit=100).hits}
            assert full_p == full_s and full_p, q
        for r in recs[::9]:
            assert p.get(r["id"]).body == s.get(r["id"]).body


class _ScanWatch:
    """Counts the items the job's corpus scan has yielded, and how many it had
    when each worker pool was forked (spies: the real scan and pool run)."""

    def __init__(self, monkeypatch, stop_after: int | None = None):
        from searcher import indexer

        self.yielded, self.at_fork = 0, []
        real_scan, real_pool = indexer.scan, indexer._Pool.__init__
        watch = self

        def scan(*args, **kwargs):
            for item in real_scan(*args, **kwargs):
                watch.yielded += 1
                if stop_after is not None and watch.yielded > stop_after:
                    raise KeyboardInterrupt  # as Ctrl-C while the corpus is read
                yield item

        def pool(self, *args, **kwargs):
            watch.at_fork.append(watch.yielded)
            real_pool(self, *args, **kwargs)

        monkeypatch.setattr(indexer, "scan", scan)
        monkeypatch.setattr(indexer._Pool, "__init__", pool)


@pytest.mark.slow
def test_a_full_build_starts_its_workers_while_reading_the_corpus(tmp_path, monkeypatch):
    """Past PARALLEL_THRESHOLD documents the workers start before the corpus is
    read to its end, and the index is what a serial build makes."""
    n = PARALLEL_THRESHOLD + 90
    corpus = tmp_path / "corpus"
    recs = seed_records(n)
    write_records(corpus, recs)
    ser = update_index(corpus, tmp_path / "ser", procs=1)
    watch = _ScanWatch(monkeypatch)
    calls: list[tuple[int, int]] = []
    par = update_index(corpus, tmp_path / "par", procs=2, progress=lambda d, t, b: calls.append((d, t)))
    assert watch.at_fork == [PARALLEL_THRESHOLD] and watch.yielded == n  # forked a third of the way in
    assert par.documents == ser.documents == n and par.added == n
    assert calls[-1] == (n, n)
    gen = tmp_path / "par" / live(tmp_path / "par")
    sizes = segment_sizes(gen)
    assert len(sizes) == 2 and sum(sizes) == n, sizes
    assert generations(tmp_path / "par") == [live(tmp_path / "par")]
    assert vocab.load(gen) == vocab.load(tmp_path / "ser" / live(tmp_path / "ser"))
    with Searcher(tmp_path / "par") as p, Searcher(tmp_path / "ser") as s:
        for q in ("công tác cán bộ", "Đảng viên", "ket luan 21"):  # every hit (ties cut at 100 may differ)
            full_p = {(h.id, round(h.score, 6)) for h in p.search(q, limit=n).hits}
            assert full_p == {(h.id, round(h.score, 6)) for h in s.search(q, limit=n).hits} and full_p, q


@pytest.mark.slow
def test_a_full_build_interrupted_after_its_workers_started_leaves_nothing(tmp_path, monkeypatch):
    import multiprocessing

    corpus = tmp_path / "corpus"
    write_records(corpus, seed_records(PARALLEL_THRESHOLD + 90))
    index = tmp_path / "index"
    watch = _ScanWatch(monkeypatch, stop_after=PARALLEL_THRESHOLD + 40)
    with pytest.raises(KeyboardInterrupt):
        update_index(corpus, index, procs=2)
    assert watch.at_fork == [PARALLEL_THRESHOLD]  # the workers had started
    assert not multiprocessing.active_children()
    assert not (index / "CURRENT").exists() and generations(index) == []
    monkeypatch.undo()
    assert update_index(corpus, index, procs=2).added == PARALLEL_THRESHOLD + 90


def test_forked_workers_call_no_sqlite_and_the_job_writes_their_sidecars(tmp_path, monkeypatch):
    """A thread of the job's process (a search) may hold one of SQLite's
    process-wide locks at the moment the job forks its workers; a worker that
    then called SQLite would wait for that lock for ever.  So the workers hand
    their scoring sidecars to the job, which writes them."""
    import sqlite3

    from searcher import sidecar

    corpus = tmp_path / "corpus"
    write_records(corpus, seed_records(70))
    calls = tmp_path / "sqlite-calls"
    job = os.getpid()
    real = sqlite3.connect

    def spy(*args, **kwargs):
        if os.getpid() != job:  # a forked worker
            with open(calls, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", spy)
    rep = update_index(corpus, tmp_path / "index", procs=2)
    assert rep.documents == 70
    assert not calls.exists(), calls.read_text()
    gen = tmp_path / "index" / live(tmp_path / "index")
    assert len(segment_sizes(gen)) == 2  # the workers wrote a segment each...
    sidecars = sorted(gen.glob(f"*.{sidecar.EXT}"))
    assert len(sidecars) == 2  # ... and the job their sidecars
    documents = 0
    for path in sidecars:
        side = sidecar.Sidecar(path)
        documents += side.documents
        side.close()
    assert documents == 70


# --- live searchers ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_reader_thread_keeps_answering_through_five_update_jobs(tmp_path):
    """Two threads share one Searcher while five jobs commit in the same process;
    the third job is parallel (its workers are forked from this threaded process)."""
    records = seed_records(100)
    corpus = tmp_path / "corpus"
    write_records(corpus, records[:10])
    index = tmp_path / "index"
    update_index(corpus, index, procs=1)
    query = "công tác"
    shared = Searcher(index)
    baseline = shared.search(query, limit=5).total
    assert baseline > 0
    stop = threading.Event()
    errors: list[str] = []
    counts: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                res = shared.search(query, limit=5)
                counts.append(res.total)
                if not res.hits:
                    errors.append("empty result set")
            except Exception as e:  # noqa: BLE001 - collected for the assertion
                errors.append(repr(e))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        start = 10
        for job in range(5):
            n, procs = (40, 2) if job == 2 else (3, 1)
            extra = [marked(r, f"{MARK}{job}") for r in records[start : start + n]]
            start += n
            write_records(corpus, extra, f"job{job}.jsonl")
            rep = update_index(corpus, index, procs=procs)
            assert rep.added == n and rep.changed
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        assert errors == []
        assert len(counts) > 20 and min(counts) >= 1
        assert sorted(hit_ids(shared, f"{MARK}4")) == [r["id"] for r in records[start - 3 : start]]
        assert shared.search(f"{MARK}2", limit=50).total == 40
        assert shared.generation == live(index)
    finally:
        shared.close()


def test_a_searcher_sees_a_commit_made_by_another_process(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    auto = Searcher(index)
    pinned = Searcher(index, auto_refresh=False)
    try:
        assert hit_ids(auto, MARK) == []
        new = seed_files()[4]
        text = new.read_text(encoding="utf-8") + f"\nThông báo {MARK}.\n"
        (txt_corpus / new.name).write_text(text, encoding="utf-8")

        r = bantin("index", "--corpus", str(txt_corpus), "--index", str(index), "-q")
        assert r.returncode == 0, r.stderr

        assert hit_ids(auto, MARK) == [new.stem]  # noticed the new CURRENT by itself
        with pytest.raises(DocumentNotFound):
            pinned.get(new.stem)
        assert pinned.refresh() is True
        assert pinned.get(new.stem).title
        assert pinned.refresh() is False
    finally:
        auto.close()
        pinned.close()


# --- interruptions -----------------------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_during_a_parallel_build_exits_130_and_the_old_index_serves(tmp_path):
    corpus = tmp_path / "corpus"
    write_records(corpus, seed_records(12))
    index = tmp_path / "index"
    update_index(corpus, index, procs=1)
    queries = ["công tác cán bộ", "Đảng", "hội nghị"]
    before, gen = answers(index, queries), live(index)
    write_records(corpus, seed_records(120))
    job = start_bantin("index", "--corpus", str(corpus), "--index", str(index), "--procs", "2")
    try:
        assert wait_for(lambda: len(session_processes(job.pid)) >= 3, timeout=30), "no workers started"
        os.killpg(job.pid, signal.SIGINT)  # as a terminal does: the whole process group
        out, err = job.communicate(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode == INTERRUPTED
    line = one_line_error(err)
    assert "interrupted" in line
    assert out == ""
    assert wait_for(lambda: not session_processes(job.pid), timeout=5)
    assert live(index) == gen and answers(index, queries) == before
    assert not list(index.glob("*.tmp"))


def test_a_ctrl_c_while_the_workers_are_forked_is_held_for_the_job_not_lost():
    """A Ctrl-C that comes while the job forks its workers (SIGINT blocked, so no
    worker can raise KeyboardInterrupt before it ignores SIGINT) reaches the job as
    soon as the forks are done.  Ignoring SIGINT around the forks, as before, lost
    it: the job went on to the end (the test above then saw exit 0 now and then)."""
    from searcher import indexer

    reached = False
    with pytest.raises(KeyboardInterrupt):
        with indexer._sigint_held():  # noqa: SLF001
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            reached = True  # held: not raised inside
    assert reached


# --- the SIGKILL test ------------------------------------------------------------------------------


def kill_corpus_records() -> list[dict]:
    return vntc_records(60) or seed_records(60)


def modify(records: list[dict]) -> list[dict]:
    """The change each killed job is asked to make to ``records[:52]``:
    5 changed, 4 removed, and ``records[52:60]`` added."""
    out = [marked(r) if i % 10 == 3 else r for i, r in enumerate(records[:52]) if i % 13 != 5]
    return out + [marked(r, MARK + "n") for r in records[52:60]]


def _milestones(index: Path, gen0: str) -> list[tuple[str, object]]:
    """Observable moments of a job, in order, as predicates on the index folder."""

    def tmp_folders() -> list[Path]:
        return [p for p in index.glob("gen-*.tmp") if p.is_dir()]

    def newer_generation() -> bool:
        return any(g.name != gen0 and not g.name.endswith(".tmp") and g.name > gen0 for g in index.glob("gen-*"))

    return [
        ("started", lambda: True),
        ("locked", lambda: (index / "LOCK").exists() and (index / "LOCK").stat().st_size > 0),
        ("writing", lambda: bool(tmp_folders())),
        ("segment files", lambda: any(any(p.glob("*.seg")) or any(p.glob("*.pst")) for p in tmp_folders())),
        ("toc written", lambda: any(any(p.glob("_MAIN_*.toc")) for p in tmp_folders())),
        ("meta written", lambda: any((p / "meta.json").exists() for p in tmp_folders())),
        ("renamed", newer_generation),
        ("committed", lambda: live(index) != gen0),
    ]


@pytest.mark.slow
def test_sigkill_at_every_stage_leaves_the_index_as_before_or_as_after(tmp_path):
    """A job making a known change is killed with SIGKILL as soon as each stage of
    its work is seen on disk (lock taken, generation folder made, segment files,
    TOC, metadata, renamed, committed), twice per stage; the index must open and
    answer fixed queries exactly as before the job, or, if the kill came after
    the commit point (CURRENT changed), exactly as after a job that ran to the
    end.  A final normal run completes the work.  No sleeps: each kill waits on
    the stage it targets."""
    recs = kill_corpus_records()
    queries = ["Hà Nội", "chính phủ", "công tác cán bộ", "nhân dân", MARK, MARK + "n", "ket qua"]
    corpus, index, base = tmp_path / "corpus", tmp_path / "index", tmp_path / "base"
    write_records(corpus, recs[:52])
    update_index(corpus, base, procs=1)
    before = answers(base, queries)
    write_records(corpus, modify(recs))

    # the reference: the same job, run to the end in the same way (twice: it is deterministic)
    for n in range(2):
        ref = tmp_path / f"ref{n}"
        shutil.copytree(base, ref)
        r = bantin("index", "--corpus", str(corpus), "--index", str(ref), "-q")
        assert r.returncode == 0, r.stderr
    after = answers(ref, queries)
    assert answers(tmp_path / "ref0", queries) == after
    assert after != before and after[MARK] and not before[MARK]
    assert sum(bool(v) for v in before.values()) >= 3

    shutil.copytree(base, index)
    outcomes: dict[str, str] = {}
    for i, (stage, _) in enumerate(_milestones(index, live(index)) * 2):
        gen0 = live(index)
        predicate = dict(_milestones(index, gen0))[stage]
        job = start_bantin("index", "--corpus", str(corpus), "--index", str(index), "-q")
        wait_for(lambda: predicate() or job.poll() is not None, timeout=120, step=0.002)
        finished = job.poll() is not None
        job.kill()
        _, err = job.communicate(timeout=30)
        if finished:
            assert job.returncode == 0, f"run {i} ({stage}): the job failed on its own: {err}"
        assert wait_for(lambda: not session_processes(job.pid), timeout=5), f"run {i}: processes left"
        state = "after" if live(index) != gen0 else "before"
        expected = after if state == "after" else before
        assert answers(index, queries) == expected, f"run {i}: killed at '{stage}', {state} the commit"
        outcomes[f"{stage} #{i // 8}"] = "finished" if finished else state
        if state == "after":  # start the next run from the old index again
            shutil.rmtree(index)
            shutil.copytree(base, index)

    print("SIGKILL outcomes:", outcomes)
    # Kills while the job writes its generation land before the commit.
    assert any(v == "before" for k, v in outcomes.items() if k.startswith(("writing", "segment files"))), outcomes

    final = bantin("index", "--corpus", str(corpus), "--index", str(index), "--json")
    assert final.returncode == 0, final.stderr
    rep = json.loads(final.stdout)
    assert (rep["added"], rep["updated"], rep["deleted"]) == (8, 5, 4)
    assert answers(index, queries) == after
    assert not list(index.glob("*.tmp")) and len(generations(index)) <= 2


# --- operability -----------------------------------------------------------------------------------


def test_json_summary_and_stats(tmp_path, txt_corpus):
    index = tmp_path / "index"
    r = bantin("index", "--corpus", str(txt_corpus), "--index", str(index), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert {"added", "updated", "deleted", "unchanged", "skipped", "seconds", "documents"} <= set(rep)
    assert (rep["added"], rep["documents"], rep["skipped"]) == (3, 3, [])
    (txt_corpus / "broken.txt").write_bytes(b"\xff\xfe\x00\x00")
    sorted(txt_corpus.glob("0*.txt"))[0].unlink()

    st = json.loads(bantin("stats", "--index", str(index), "--corpus", str(txt_corpus), "--json").stdout)
    assert st["documents"] == 3 and st["analysis_current"] is True and st["bytes"] > 0
    assert st["corpus_changed"] is True and st["pending"] == {"added": 0, "updated": 0, "deleted": 1}

    rep = json.loads(bantin("index", "--corpus", str(txt_corpus), "--index", str(index), "--json").stdout)
    assert (rep["deleted"], rep["documents"]) == (1, 2)
    assert rep["skipped"] == [{"path": "broken.txt", "reason": rep["skipped"][0]["reason"]}]
    st = json.loads(bantin("stats", "--index", str(index), "--corpus", str(txt_corpus), "--json").stdout)
    assert st["corpus_changed"] is False


def test_a_cold_search_never_imports_pyvi(tmp_path, txt_corpus):
    index = tmp_path / "index"
    update_index(txt_corpus, index, procs=1)
    code = (
        "import sys\n"
        "from searcher.cli import main\n"
        "try:\n"
        f"    main(['search', '--index', {str(index)!r}, 'công tác cán bộ'])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pyvi', 'sklearn', 'sklearn_crfsuite'))\n"
        "print('HEAVY', heavy, 'EXIT', code)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert "HEAVY [] EXIT 0" in r.stdout, r.stdout + r.stderr
