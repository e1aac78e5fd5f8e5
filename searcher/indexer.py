"""Building and updating the index: incremental, atomic, exclusive, parallel.

:func:`update_index` is what ``bantin index`` runs: it compares the corpus with
the manifest of the live generation, re-analyses only what was added or
changed, deletes what was removed, and publishes the result as a new
generation (see :mod:`searcher.layout`).  :func:`build_index` always builds
from scratch.  Either way the previous index keeps serving until the new one
is complete, whatever happens to the job (SIGKILL included).

Speed.  Analysis (pyvi above all) is the cost, so with more than one core the
documents to add are analysed by forked worker processes, each writing a
whoosh segment of its own; the main process only hands out batches, reports
real progress as batches finish, and commits the segments together.  An
unchanged corpus file or JSON line is recognised by the SHA-1 of its raw bytes
and not even parsed.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import queue
import re
import signal
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as windex

from . import layout, vocab
from . import whoosh_internals as wi
from .errors import (
    BadDocument,
    BantinError,
    CorpusError,
    IndexCorruptError,
    IndexMissingError,
    IndexWriteError,
    damage_errors,
)
from .schema import ANALYSIS_VERSION, build_schema, navigation_fields

# With procs=None, below this many documents to analyse one process does it all:
# starting workers (each imports pyvi, ~2 s) costs more than it saves.
PARALLEL_THRESHOLD = 200
# Documents per batch handed to a worker: small enough for even load and live progress.
BATCH_DOCS = 32
# whoosh's single-file (compound) segments: off.  A reader opens a compound
# file's parts as in-memory copies (BytesIO over the whole file), so a Searcher
# would hold the entire index in RAM and copy it again on every refresh.
# Measured on 4,000 articles, separate files gave: Searcher RSS 465 → 50 MB,
# open 0.3 → 0.13 s, cold `bantin search` 0.48 → 0.31 s.
COMPOUND_SEGMENTS = False
# The writer: whoosh_internals.BulkWriter (a per-term posting pool, each text
# analysed once for all its fields, small posting lists inlined).  True runs the
# previous path instead, whoosh's stock writer with every field analysed by its
# own analyzer (kept to compare with: tests/test_writer.py, benchmarks/bench_build.py).
LEGACY_WRITER = False
# ``pair_fold``'s postings in a file of flat arrays beside each segment
# (searcher.pair_postings), not in whoosh.  On 1,500 articles in one process:
# the build 11.6 -> 8.9 s, the index 40.0 -> 24.7 MB.  False keeps them in whoosh:
# the tests' reference for the executor, which whoosh's own searcher must answer too.
PAIRS_APART = True

Progress = Callable[[int, int, int], None]  # (documents done, documents to do, bytes done)

_BOM = b"\xef\xbb\xbf"
_JSONL_WHERE = re.compile(r"^(.*\.jsonl):\d+$", re.IGNORECASE)


# --- reports ------------------------------------------------------------------------------


@dataclass
class IndexReport:
    """What one index job did.  ``skipped`` lists ``{"path", "reason"}``."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # {"path", "message"}: indexed all the same
    seconds: float = 0.0
    documents: int = 0
    rebuilt: bool = False
    abbreviations_changed: bool = False  # the corpus's abbreviations.txt changed (a new generation)
    reason: str | None = None
    generation: str | None = None
    index: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.rebuilt or self.abbreviations_changed)

    def to_dict(self) -> dict:
        return asdict(self)


# --- the whoosh document ----------------------------------------------------------------


def _mentions(title: str, body: str) -> tuple[list[str], list[dict]]:
    """References in the title and the body, found once: the ``ref`` field's
    keys, and the stored mentions (offsets into the title or the body).  A
    mention of an article ("Điều 110 Luật BHXH") is labelled by its document
    ("Luật Bảo hiểm xã hội"): a citation is of the document."""
    from .refs import find_refs, key_label

    keys: list[str] = []
    mentions: list[dict] = []
    cut = len(title) + 1
    for r in find_refs(f"{title}\n{body}"):
        keys.extend(r.keys())
        d = r.to_dict()
        in_title = r.start < cut
        shift = 0 if in_title else cut
        mentions.append(
            {
                "key": d["key"],
                "label": key_label(d["key"]) if d.get("article") else d["label"],
                "type": d["type"],
                "number": d.get("number"),
                "symbol": d.get("symbol"),
                "text": d["text"],
                "field": "title" if in_title else "body",
                "start": r.start - shift,
                "end": r.end - shift,
            }
        )
    return keys, mentions


def _fields(b) -> dict:
    """The whoosh document for one :class:`~searcher.bulletins.Bulletin`, as text:
    each field is analysed by its own analyzer (whoosh's stock writer path)."""
    from . import analysis

    ref_keys, mentions = _mentions(b.title, b.body)
    return {
        "title": b.title,
        "title_fold": b.title,
        "syl": b.body,
        "fold": b.body,
        "_pairs": analysis.body_pairs(b.body),  # not a field: counted in the sidecar
        "pair_fold": b.body,
        **_layout_fields(analysis.Layout.of_text(b.body)),
        "word": f"{b.title}\n{b.body}",
        "ref": ref_keys,  # pre-analysed: whoosh indexes a list of terms as given
        **_plain_fields(b, mentions),
    }


def _analysed_fields(b) -> dict:
    """The same document pre-analysed, for :class:`~searcher.whoosh_internals.BulkWriter`:
    the title and the body each read once for all their syllable fields (see
    :func:`searcher.analysis.body_fields`), the references found once; the same
    terms, positions, offsets, weights and stored values as :func:`_fields`."""
    from . import analysis

    ref_keys, mentions = _mentions(b.title, b.body)
    title, title_fold = analysis.title_fields(b.title)
    syl, fold, pair, pair_fold, layout = analysis.body_fields(b.body)
    return {
        "title": title,
        "_stored_title": b.title,  # whoosh stores this instead of the pre-analysed value
        "title_fold": title_fold,
        "syl": syl,
        "fold": fold,
        "_pairs": pair,  # not a field: counted in the sidecar
        "pair_fold": pair_fold,
        **_layout_fields(layout),
        "word": analysis.word_counts(f"{b.title}\n{b.body}"),
        "ref": analysis.counts(ref_keys),
        **_plain_fields(b, mentions),
    }


def _layout_fields(layout) -> dict:
    """The stored :class:`~searcher.analysis.Layout` of a body."""
    return {"body_syllables": layout.syllables, "body_stream": layout.stream}


def _plain_fields(b, mentions: list[dict]) -> dict:
    """The fields given as they are: id, stored values, navigation columns."""
    return {
        "id": b.id,
        "body": b.body,
        "date": b.date.isoformat() if b.date else None,
        "date_source": b.date_source if b.date else None,
        **navigation_fields(b, (m["key"] for m in mentions)),
        "author": b.author,
        "source": b.source,
        "url": b.url,
        "path": b.path,
        "hash": b.hash,
        "refs": json.dumps(mentions, ensure_ascii=False),
    }


def _document(b) -> dict:
    """The document the job's writer takes (see :data:`LEGACY_WRITER`)."""
    return _fields(b) if LEGACY_WRITER else _analysed_fields(b)


def _stored_pairs(stored: dict):
    """The accented pairs of a bulletin, read again from its stored body (a merge
    takes a deleted bulletin's pairs out of the counts)."""
    from . import analysis

    return analysis.body_pairs(stored.get("body") or "")


def _open_writer(ix, lock: bool = True, sidecar_later: bool = False):
    return wi.open_writer(
        ix,
        bulk=not LEGACY_WRITER,
        lock=lock,
        compound=COMPOUND_SEGMENTS,
        pairs_of=_stored_pairs,
        sidecar_later=sidecar_later,
        pairs_apart=PAIRS_APART,
    )


def _from_stored(f: dict):
    """A :class:`~searcher.bulletins.Bulletin` rebuilt from an index's stored fields."""
    from .bulletins import Bulletin

    try:
        date = _dt.date.fromisoformat(f["date"]) if f.get("date") else None
    except (TypeError, ValueError):
        date = None
    return Bulletin(
        id=f["id"],
        title=f.get("title") or "",
        body=f.get("body") or "",
        date=date,
        author=f.get("author"),
        source=f.get("source"),
        url=f.get("url"),
        path=f.get("path") or "",
        hash=f.get("hash") or "",
        date_source=f.get("date_source") if date else None,
    )


def _size(b) -> int:
    return len(b.body.encode("utf-8"))


# --- reading the corpus against the manifest ------------------------------------------------


@dataclass(frozen=True)
class _Same:
    """A corpus item whose raw bytes hash to what the manifest holds: not parsed again."""

    id: str
    path: str


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _txt_item(path: Path, root: Path, rel: str, manifest: dict):
    from . import bulletins

    doc_id = bulletins._txt_id(rel)
    old = manifest.get(doc_id)
    if old is not None:
        try:
            if _sha1(path.read_bytes()) == old:
                return _Same(doc_id, rel)
        except OSError:
            pass  # read_txt below says why, as a BadDocument
    try:
        return bulletins.read_txt(path, root)
    except BadDocument as bad:
        return bad


def _jsonl_items(path: Path, root: Path, rel: str, by_hash: dict) -> Iterator:
    """Like :func:`searcher.bulletins.iter_jsonl`, but a line whose bytes are in the
    manifest comes out as :class:`_Same` without being parsed."""
    from . import bulletins

    try:
        handle = path.open("rb")
    except OSError:
        yield from bulletins.iter_jsonl(path, root)  # one BadDocument for the file
        return
    with handle:
        for n, line in enumerate(handle, start=1):
            raw = line.strip()
            if not raw or (n == 1 and raw == _BOM):
                continue
            where = f"{rel}:{n}"
            known = by_hash.get(_sha1(raw[3:] if n == 1 and raw.startswith(_BOM) else raw))
            if known is not None:
                yield _Same(known, where)
                continue
            try:
                yield bulletins._read_jsonl_line(raw, n, where)
            except BadDocument as bad:
                yield bad


def _unique(items: Iterable) -> Iterator:
    """A repeated id becomes a BadDocument (first one wins), as in ``scan_corpus``."""
    first: dict[str, str] = {}
    for item in items:
        if not isinstance(item, BadDocument):
            if item.id in first:
                item = BadDocument(item.path, f"duplicate id '{item.id}' (first seen in {first[item.id]})")
            else:
                first[item.id] = item.path
        yield item


def scan(
    corpus: str | os.PathLike, manifest: dict[str, str] | None = None, *, follow_symlinks: bool = False
) -> Iterator:
    """Every corpus item, in :func:`~searcher.bulletins.scan_corpus` order:
    a ``Bulletin``, a ``BadDocument``, or, for a file or JSON line whose raw
    bytes hash to what ``manifest`` (id → SHA-1) holds, a ``_Same(id, path)``.

    Raises :class:`~searcher.errors.CorpusError` at once for a missing folder.
    """
    from . import bulletins

    root = Path(corpus)
    bulletins.check_corpus_folder(root)  # eagerly; the scan itself is lazy
    manifest = manifest or {}
    by_hash = {h: i for i, h in manifest.items()}

    def items() -> Iterator:
        for found in bulletins._corpus_files(root, follow_symlinks):
            if isinstance(found, BadDocument):
                yield found
                continue
            rel, path = found
            if rel.lower().endswith(".jsonl"):
                yield from _jsonl_items(path, root, rel, by_hash)
            else:
                yield _txt_item(path, root, rel, manifest)

    return _unique(items())


# --- the live index ----------------------------------------------------------------------


def _live_state(root: Path, verify: bool = False) -> tuple[layout.Generation | None, dict, str | None]:
    """The live generation, its manifest, and why it must be rebuilt (None = it need not).

    Files whose modification time changed since they were written are
    checksummed (so same-size damage is found and repaired); ``verify``
    checksums every file."""
    try:
        gen = layout.current_generation(root)
    except IndexMissingError:
        return None, {}, "no index yet"
    except IndexCorruptError as e:
        return None, {}, f"index unreadable ({e})"
    try:
        meta = layout.read_json(gen.path / layout.META)
        manifest = layout.read_json(gen.path / layout.MANIFEST)
    except (OSError, ValueError) as e:
        return gen, {}, f"index metadata unreadable ({e.__class__.__name__})"
    if meta.get("analysis_version") != ANALYSIS_VERSION:
        return (
            gen,
            manifest,
            f"analysis rules changed ({meta.get('analysis_version')} → {ANALYSIS_VERSION})",
        )
    problem = layout.damage(gen, meta, verify=verify)
    if problem:
        return gen, manifest, f"index damaged ({problem})"
    count, problem = _live_count(gen)
    if problem:
        return gen, manifest, problem
    if count != len(manifest):
        return gen, manifest, f"index holds {count} documents but its manifest {len(manifest)}"
    return gen, manifest, None


def _live_count(gen: layout.Generation) -> tuple[int, str | None]:
    """Open the live generation's whoosh index: its document count, or what is wrong."""
    try:
        if not windex.exists_in(str(gen.path)):
            return 0, "index files missing"
        ix = windex.open_dir(str(gen.path))
        try:
            with ix.reader() as r:
                return r.doc_count(), None
        finally:
            ix.close()
    except damage_errors() as e:  # a damaged index is rebuilt; anything else is a bug
        return 0, f"index unreadable ({e.__class__.__name__})"


def _stored(gen: layout.Generation | None, ids: Iterable[str]) -> dict[str, dict]:
    """Stored fields of ``ids`` in a generation ({} if it cannot be read)."""
    ids = list(ids)
    if gen is None or not ids:
        return {}
    out: dict[str, dict] = {}
    try:
        ix = windex.open_dir(str(gen.path))
        try:
            with ix.searcher() as s:
                for doc_id in ids:
                    n = s.document_number(id=doc_id)
                    if n is not None:
                        out[doc_id] = s.stored_fields(n)
        finally:
            ix.close()
    except damage_errors():  # an unreadable old index just keeps nothing
        return {}
    return out


def _hit_by_bad_input(stored: dict[str, dict], bad: list[BadDocument]) -> dict[str, dict]:
    """The indexed documents whose source is now a bad file or line (keep them)."""
    bad_paths = {b.path for b in bad}
    out = {}
    for doc_id, f in stored.items():
        where = f.get("path") or ""
        m = _JSONL_WHERE.match(where)
        if where in bad_paths or (m and m.group(1) in bad_paths):
            out[doc_id] = f
    return out


# --- what to do ------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The job's work: documents to analyse, ids to delete, and the new manifest."""

    full: bool
    to_add: list = field(default_factory=list)
    to_delete: list[str] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)
    abbreviations: list[str] = field(default_factory=list)  # the archive's own table's good lines

    @property
    def empty(self) -> bool:
        return not self.full and not self.to_add and not self.to_delete


def _plan(
    items: Iterable, manifest: dict, live, full: bool, report: IndexReport, on_add: Callable | None = None
) -> _Plan:
    """Compare the scanned corpus with the manifest; fill in the report's counts.

    A document whose file or line has become bad input keeps its indexed
    version (re-added from the old index's stored fields on a full build).
    ``on_add(to_add)`` is called each time a scanned document joins ``to_add``
    (a full build starts its workers then: :class:`_EarlyWorkers`).
    """
    plan = _Plan(full=full)
    bad: list[BadDocument] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, BadDocument):
            bad.append(item)
            continue
        seen.add(item.id)
        old = None if full else manifest.get(item.id)
        if isinstance(item, _Same) or old == item.hash:
            plan.manifest[item.id] = manifest[item.id]
            report.unchanged += 1
            continue
        plan.to_add.append(item)
        if on_add is not None:
            on_add(plan.to_add)
        plan.manifest[item.id] = item.hash
        report.warnings.extend({"path": item.path, "message": w} for w in item.warnings)
        if old is None:
            report.added += 1
        else:
            plan.to_delete.append(item.id)
            report.updated += 1
    report.skipped = [{"path": b.path, "reason": b.reason} for b in bad]
    gone = [i for i in manifest if i not in seen]
    kept = _hit_by_bad_input(_stored(live, gone), bad) if bad else {}
    for doc_id in gone:
        if doc_id in kept:
            plan.manifest[doc_id] = manifest[doc_id]
            report.unchanged += 1
            if full:
                plan.to_add.append(_from_stored(kept[doc_id]))
        elif not full:
            plan.to_delete.append(doc_id)
            report.deleted += 1
    return plan


# --- parallel analysis ----------------------------------------------------------------------


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(procs: int | None, n_docs: int) -> int:
    """How many worker processes analyse ``n_docs`` documents (1 = the main process alone).

    ``procs=None`` means every core, and one process below
    :data:`PARALLEL_THRESHOLD` documents; an explicit ``procs`` is obeyed, but
    never with more workers than batches.
    """
    if procs is None:
        if n_docs < PARALLEL_THRESHOLD:
            return 1
        procs = _available_cores()
    batches = -(-n_docs // BATCH_DOCS)
    return max(1, min(procs, batches))


def _batches(docs: list, size: int = BATCH_DOCS) -> Iterator[list]:
    for i in range(0, len(docs), size):
        yield docs[i : i + size]


def _die_with_parent(parent: int) -> None:
    """Make the kernel kill this worker if the job dies (Linux), and check it has not already."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _next_batch(tasks, parent: int):
    """The next batch (None = finish), leaving at once if the job died."""
    while True:
        try:
            return tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                os._exit(1)


def _worker(gen_path: str, tasks, results, parent: int, lock_fd: int | None) -> None:
    """A worker process: analyse batches into a whoosh segment of its own, then hand it back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the job's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked from the fork (_sigint_held) until now
    if lock_fd is not None:
        os.close(lock_fd)  # the job's lock must die with the job, never live on in a worker
    _die_with_parent(parent)
    pid = os.getpid()
    try:
        # The job holds the lock; it also writes the sidecar (SQLite: see sidecar.Contents).
        writer = _open_writer(windex.open_dir(gen_path), lock=False, sidecar_later=True)
        while (batch := _next_batch(tasks, parent)) is not None:
            for b in batch:
                writer.add_document(**_document(b))
            results.put(("done", pid, len(batch), sum(_size(b) for b in batch)))
        segment = wi.finish_segment(writer)
        results.put(("segment", pid, segment, writer.sidecar))
    except BaseException:  # noqa: BLE001 - reported to the job, which raises it
        results.put(("error", pid, traceback.format_exc(limit=8)))


@contextmanager
def _sigint_held():
    """Start child processes with SIGINT blocked.  A child inherits the mask, so
    Python in it never raises KeyboardInterrupt before the worker ignores SIGINT
    (no worker tracebacks on Ctrl-C), and a Ctrl-C pressed meanwhile stays pending
    for the job, delivered as the mask is restored.  (Ignoring SIGINT around the
    forks instead, as before, lost a Ctrl-C that came then: the job went on.)"""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class WorkerError(RuntimeError):
    """A worker process failed or died (a bug or the system, not the input)."""


class _Pool:
    """Forked worker processes, each analysing batches into its own segment.

    Forked, not spawned: spawning re-runs the caller's ``__main__`` in every
    worker, which breaks any script without an ``if __name__ == "__main__"``
    guard.  What a fork inherits is made harmless: each worker closes the
    job's lock descriptor, ignores SIGINT, and is killed by the kernel if the
    job dies (so nothing outlives a ``kill -9`` of the job).  A worker calls no
    SQLite (a thread of the job's process may hold one of its locks at the
    fork): it hands its segment's scoring sidecar to the job, which writes it.
    """

    def __init__(self, gen_path: Path, workers: int, lock_fd: int | None = None):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.gen_path = gen_path
        self.tasks = ctx.Queue()
        self.results = ctx.Queue()
        args = (str(gen_path), self.tasks, self.results, os.getpid(), lock_fd)
        self.procs = [ctx.Process(target=_worker, args=args, daemon=True) for _ in range(workers)]
        with _sigint_held():
            try:
                for p in self.procs:
                    p.start()
            except BaseException:  # none may live on without a pool to stop it
                for p in self.procs:
                    if p.is_alive():
                        p.kill()
                        p.join()
                raise

    def submit(self, docs: list) -> None:
        """Hand out ``docs`` in batches (the workers start at once), and no more."""
        self.submit_batches(docs)
        self.close_tasks(len(docs))

    def submit_batches(self, docs: list) -> None:
        for batch in _batches(docs):
            self.tasks.put(batch)

    def close_tasks(self, total: int) -> None:
        """No more batches: ``total`` documents were handed out in all."""
        for _ in self.procs:
            self.tasks.put(None)
        self.total = total

    def collect(self, progress: Progress | None) -> list:
        """Wait for the workers; return their segments (progress as batches finish)."""
        total, done, nbytes = self.total, 0, 0
        segments: dict[int, object] = {}
        while len(segments) < len(self.procs):
            msg = self._next_result()
            if msg[0] == "done":
                done, nbytes = done + msg[2], nbytes + msg[3]
                if progress:
                    progress(done, total, nbytes)
            elif msg[0] == "segment":
                segment, sidecar = msg[2], msg[3]
                segments[msg[1]] = segment
                if segment is not None and sidecar is not None:
                    wi.write_sidecar_of(self.gen_path, segment, sidecar)
            else:
                raise WorkerError(f"an index worker failed:\n{msg[2]}")
        return [s for s in segments.values() if s is not None]

    def _next_result(self):
        while True:
            try:
                return self.results.get(timeout=0.5)
            except queue.Empty:
                dead = [p for p in self.procs if p.exitcode not in (None, 0)]
                if dead:
                    try:
                        return self.results.get(timeout=0.5)  # its last words, if any
                    except queue.Empty:
                        raise WorkerError(f"index worker {dead[0].pid} died (exit code {dead[0].exitcode})") from None

    def close(self) -> None:
        """Stop every worker (at once if they are still busy) and release the queues."""
        for p in self.procs:
            if p.is_alive():
                p.join(timeout=0.05)
            if p.is_alive():
                p.kill()
        for p in self.procs:
            p.join()
        for q in (self.tasks, self.results):
            q.cancel_join_thread()
            q.close()


class _EarlyWorkers:
    """A full build's workers, started while the corpus is still being read.

    Reading the corpus (parsing, cleaning, dating every bulletin) runs in the
    job's process, about 8 % of a full build of the politics slice; until it
    ends the workers would wait, a core idle.  So, once the plan holds enough
    documents for every worker a full build would start (:func:`worker_count`
    on what is known so far), the generation is created, the workers forked
    and each full batch handed out as the reading goes on.  The rest, and the
    end, are handed out by :func:`_write`.  A smaller corpus starts nothing
    here: :func:`_write` decides as before.
    """

    def __init__(self, root: Path, procs: int | None, lock_fd: int | None):
        self.root, self.lock_fd = root, lock_fd
        self.wanted = procs if procs is not None else _available_cores()
        self.gen: layout.Generation | None = None
        self.pool: _Pool | None = None
        self.handed = 0  # documents handed out so far

    def add(self, to_add: list) -> None:
        """Called as the plan grows (``to_add``: its documents so far, in order)."""
        if self.pool is None:
            if self.wanted < 2 or len(to_add) < max(PARALLEL_THRESHOLD, BATCH_DOCS * self.wanted):
                return
            self.gen = layout.new_generation(self.root)
            windex.create_in(str(self.gen.path), build_schema())
            self.pool = _Pool(self.gen.path, worker_count(self.wanted, len(to_add)), self.lock_fd)
        if len(to_add) - self.handed >= BATCH_DOCS:
            self.pool.submit_batches(to_add[self.handed : self.handed + BATCH_DOCS])
            self.handed += BATCH_DOCS

    def finish(self, to_add: list) -> None:
        """Hand out the rest of the plan's documents, and no more."""
        assert self.pool is not None
        self.pool.submit_batches(to_add[self.handed :])
        self.pool.close_tasks(len(to_add))

    def cancel(self) -> None:
        """Stop the workers and drop the unfinished generation (the job failed before writing)."""
        if self.pool is not None:
            self.pool.close()
        if self.gen is not None:
            import shutil

            shutil.rmtree(self.gen.path, ignore_errors=True)


# --- writing a generation ----------------------------------------------------------------


def _add_serial(writer, docs: list, progress: Progress | None) -> None:
    nbytes = 0
    for i, b in enumerate(docs, 1):
        writer.add_document(**_document(b))
        nbytes += _size(b)
        if progress:
            progress(i, len(docs), nbytes)


# Every job adds a segment, and each segment costs every query a lookup per term
# (2 → 4 segments made queries ~50 % slower on 4,000 articles), so small ones are
# merged, log-structured: as soon as MERGE_AT segments share a size tier (powers
# of TIER_BASE documents), the smallest of them are merged, as many as fit in a
# budget: a tenth of the index, or its biggest segment if that is more.  A
# document is thus re-merged a few times in its life at most, a job never merges
# much, and a full build's equal worker segments are never rewritten (serially)
# by the next small update.
SMALL_RATIO = 10
TIER_BASE = 4
MERGE_AT = 3


def _tier(docs: int) -> int:
    tier = 0
    while docs >= TIER_BASE:
        docs //= TIER_BASE
        tier += 1
    return tier


def _merge_policy(writer, segments: list) -> list:
    """A whoosh merge policy (see above): merge crowded tiers of small segments.

    whoosh's own ``MERGE_SMALL`` uses absolute (Fibonacci) sizes, which lets a
    dozen 100-document segments pile up beside a 10,000-document one.
    """
    from whoosh.reading import SegmentReader

    if not segments:
        return segments
    sizes = [seg.doc_count_all() for seg in segments]
    budget = max(sum(sizes) / SMALL_RATIO, max(sizes))
    tiers: dict[int, list] = {}
    for seg in sorted(segments, key=lambda g: g.doc_count_all()):
        tiers.setdefault(_tier(seg.doc_count_all()), []).append(seg)
    doomed: list = []
    for group in tiers.values():
        take, size = [], 0
        for seg in group:
            if size + seg.doc_count_all() > budget:
                break
            take.append(seg)
            size += seg.doc_count_all()
        if len(take) >= MERGE_AT:
            doomed += take
            budget -= size
    for seg in doomed:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg not in doomed]


def _commit(writer, final: list) -> None:
    """Commit the kept and the workers' segments, and the writer's own (new docs, merges)."""
    wi.commit_segments(writer, final)


def _write(
    gen: layout.Generation,
    live,
    plan: _Plan,
    job: dict,
    early: _EarlyWorkers | None = None,
) -> int:
    """Write the plan into the new generation (whose workers ``early`` may have
    started already); return its document count."""
    procs, progress, lock_fd = job["procs"], job["progress"], job["lock_fd"]
    if early is not None:
        ix = windex.open_dir(str(gen.path))
    elif plan.full:
        ix = windex.create_in(str(gen.path), build_schema())
    else:
        layout.link_copy(live.path, gen.path, skip=(layout.META, layout.MANIFEST, *vocab.FILES))
        ix = windex.open_dir(str(gen.path))
    writer = _open_writer(ix)
    try:
        for doc_id in plan.to_delete:
            writer.delete_by_term("id", doc_id)
        workers = worker_count(procs, len(plan.to_add))
        if early is not None or workers > 1:
            pool = early.pool if early is not None and early.pool is not None else _Pool(gen.path, workers, lock_fd)
            try:
                if early is not None:
                    early.finish(plan.to_add)
                else:
                    pool.submit(plan.to_add)
                kept = wi.merge_segments(writer, _merge_policy)  # while the workers work
                final = kept + pool.collect(progress)
            finally:
                pool.close()
        else:
            _add_serial(writer, plan.to_add, progress)
            final = wi.merge_segments(writer, _merge_policy)
        _commit(writer, final)
    except BaseException:
        _cancel_quietly(writer)
        raise
    with ix.reader() as reader:
        documents = reader.doc_count()
        vocab.write(gen.path, reader, plan.abbreviations)
    ix.close()
    return documents


def _cancel_quietly(writer) -> None:
    """Drop an unfinished writer; the generation folder goes anyway, so errors do not matter."""
    try:
        if not writer.is_closed:
            writer.cancel()
    except Exception:  # noqa: BLE001 - never mask the error that got us here
        pass


def _finish_generation(
    gen: layout.Generation, plan: _Plan, corpus: Path, documents: int, previous: dict | None
) -> layout.Generation:
    layout.write_json(gen.path / layout.MANIFEST, plan.manifest)
    layout.write_json(
        gen.path / layout.META,
        {
            "analysis_version": ANALYSIS_VERSION,
            "built_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "corpus": str(corpus.resolve()),
            "documents": documents,
            "files": layout.file_records(gen.path, previous),
        },
    )
    return layout.publish(gen)


# --- the job ------------------------------------------------------------------------------


class _DamagedIndex(Exception):
    """The live index broke while an incremental job was reading it: rebuild instead."""


def _run(report: IndexReport, root: Path, corpus: Path, state: tuple, job: dict) -> None:
    """Scan, plan, write and publish one job; fill in ``report``."""
    live, manifest, reason = state
    full = reason is not None
    report.rebuilt, report.reason = full, reason
    items = scan(corpus, None if full else manifest, follow_symlinks=job["follow_symlinks"])
    early = _EarlyWorkers(root, job["procs"], job["lock_fd"]) if full else None
    try:
        plan = _plan(items, manifest, live, full, report, on_add=early.add if early is not None else None)
        if manifest and not plan.manifest and not report.skipped:
            # Not one bulletin, good or bad, where the index holds some: an unmounted
            # drive or a wrong --corpus, far more often than a corpus emptied on purpose.
            raise CorpusError(
                f"the corpus folder '{corpus}' holds no bulletins, but the index holds {len(manifest)}: "
                "nothing was deleted (check the folder, or a drive that is not mounted); "
                "to empty the index on purpose, delete its folder"
            )
        plan.abbreviations = _abbreviation_lines(corpus, report)
        report.abbreviations_changed = live is not None and plan.abbreviations != _live_abbreviations(live)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    if early is not None and early.pool is None:
        early = None  # too few documents: _write decides, as for an update
    if plan.empty and not report.abbreviations_changed:
        report.documents = len(manifest)
        report.generation = live.name if live else None
        return
    gen = early.gen if early is not None and early.gen is not None else layout.new_generation(root)
    try:
        report.documents = _write(gen, live, plan, job, early)
        previous = _previous_files(live) if live is not None and not full else None
        report.generation = _finish_generation(gen, plan, corpus, report.documents, previous).name
    except BaseException as e:
        import shutil

        if early is not None:
            early.cancel()  # its workers, if _write failed before it could stop them
        shutil.rmtree(gen.path, ignore_errors=True)  # the next job would, anyway
        if isinstance(e, OSError) and not isinstance(e, (FileNotFoundError, BantinError)):
            _release(e)
            raise write_error(root, e) from e
        if full or not isinstance(e, damage_errors()):
            raise
        raise _DamagedIndex(f"index unreadable ({e.__class__.__name__})") from e


def _abbreviation_lines(corpus: Path, report: IndexReport) -> list[str]:
    """The good lines of the corpus's own abbreviation table (its bad lines are warnings)."""
    from .abbreviations import parse_lines
    from .bulletins import ABBREVIATIONS_FILE

    path = corpus / ABBREVIATIONS_FILE
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        report.warnings.append(
            {"path": ABBREVIATIONS_FILE, "message": f"cannot be read ({e.__class__.__name__}); not used"}
        )
        return []
    _, bad = parse_lines(lines, ABBREVIATIONS_FILE)
    report.warnings.extend({"path": ABBREVIATIONS_FILE, "message": w} for w in bad)
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]  # bad ones parse to nothing


def _live_abbreviations(live: layout.Generation) -> list[str]:
    try:
        return vocab.load(live.path).abbreviation_lines
    except (OSError, ValueError, sqlite3.DatabaseError):  # damaged: the job's checks rebuild it
        return []


def _release(e: BaseException) -> None:
    """Let go of a failed writer's open files now (a full disk must get its space
    back at once): whoosh's cancel can fail again on ENOSPC and leave them open
    in reference cycles held by the traceback's frames."""
    import gc

    traceback.clear_frames(e.__traceback__)
    gc.collect()


def _previous_files(live: layout.Generation) -> dict | None:
    """The live generation's file records (their checksums are reused for shared files)."""
    try:
        return layout.read_json(live.path / layout.META).get("files")
    except (OSError, ValueError):
        return None


def write_error(root: Path, e: OSError) -> IndexWriteError:
    """The one-line error for an index that cannot be written, by cause."""
    where = f"'{root}'"
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        what = f"no space left on the disk holding {where}: free some space and run the job again"
    elif e.errno in (errno.EACCES, errno.EPERM):
        what = f"cannot write to {where} (permission denied): run as the index's owner or pass --index DIR"
    elif e.errno == errno.EROFS:
        what = f"{where} is on a read-only file system: pass --index DIR on a writable disk"
    elif e.errno in (errno.ENOTDIR, errno.EEXIST) and root.exists() and not root.is_dir():
        what = f"{where} is a file, not an index folder: pass --index DIR"
    elif e.errno == errno.EFBIG:
        what = f"a file in {where} grew past the size this system allows: raise the limit (ulimit -f)"
    else:
        what = f"cannot write the index at {where} ({e.strerror or e.__class__.__name__})"
    return IndexWriteError(f"{what}; the live index is unchanged")


def update_index(
    corpus: str | os.PathLike,
    index: str | os.PathLike,
    *,
    rebuild: bool = False,
    procs: int | None = None,
    wait: float = 0.0,
    progress: Progress | None = None,
    follow_symlinks: bool = False,
    verify: bool = False,
) -> IndexReport:
    """Bring the index at ``index`` in step with the corpus folder.

    Incremental unless ``rebuild`` is true, the index is missing, damaged or
    unreadable, or it was built with other analysis rules (``report.reason``
    says which).  Files changed since they were written are checksummed, so
    damage is repaired by a rebuild; ``verify`` checksums every file.
    ``procs``: worker processes (default: every core, for 200+ documents).
    ``progress(done, total, bytes)`` is called as documents are analysed.
    ``follow_symlinks``: also read links that point out of the corpus folder.

    Raises :class:`~searcher.errors.IndexLockedError` when another job holds
    the lock for longer than ``wait`` seconds,
    :class:`~searcher.errors.CorpusError` when the corpus folder is missing or
    unreadable, or holds no bulletin at all while the index holds some (an
    unmounted drive: nothing is deleted), and :class:`~searcher.errors.IndexWriteError` when the index
    cannot be written (permissions, a full disk).  If the job fails or is
    interrupted, the index is as it was before.
    """
    t0 = time.perf_counter()
    root, corpus = Path(index), Path(corpus)
    report = IndexReport(index=str(root))
    from .bulletins import check_corpus_folder

    check_corpus_folder(corpus)
    try:
        with layout.WriteLock(root, wait=wait) as lock:
            layout.collect_garbage(root)
            live, manifest, reason = _live_state(root, verify=verify)
            if rebuild and reason is None:
                reason = "--rebuild asked for"
            job = {"procs": procs, "progress": progress, "lock_fd": lock.fileno(), "follow_symlinks": follow_symlinks}
            try:
                _run(report, root, corpus, (live, manifest, reason), job)
            except _DamagedIndex as e:  # found only while updating it: build afresh
                report = IndexReport(index=str(root))
                _run(report, root, corpus, (live, manifest, str(e)), job)
            layout.collect_garbage(root)
    except IndexWriteError:
        raise
    except OSError as e:
        raise write_error(root, e) from e
    report.seconds = time.perf_counter() - t0
    return report


def build_index(
    corpus: str | os.PathLike,
    index: str | os.PathLike,
    *,
    procs: int | None = None,
    wait: float = 0.0,
    progress: Progress | None = None,
    follow_symlinks: bool = False,
) -> IndexReport:
    """Build the index from scratch (the old one serves until the new one is live)."""
    return update_index(
        corpus, index, rebuild=True, procs=procs, wait=wait, progress=progress, follow_symlinks=follow_symlinks
    )


# --- stats ------------------------------------------------------------------------------------


@dataclass
class IndexStats:
    """What ``bantin stats`` reports about an index (and its corpus, if given)."""

    index: str
    generation: str
    documents: int
    bytes: int
    built_at: str | None
    analysis_version: str | None
    analysis_current: bool
    corpus: str | None = None
    corpus_changed: bool | None = None
    pending: dict = field(default_factory=dict)  # {"added", "updated", "deleted"} not yet indexed

    def to_dict(self) -> dict:
        return asdict(self)


def _pending(corpus: Path, manifest: dict, live: layout.Generation, follow_symlinks: bool) -> dict:
    """What the next incremental job would add, update and delete: the job's own plan."""
    report = IndexReport()
    _plan(scan(corpus, manifest, follow_symlinks=follow_symlinks), manifest, live, False, report)
    return {"added": report.added, "updated": report.updated, "deleted": report.deleted}


def index_stats(
    index: str | os.PathLike, corpus: str | os.PathLike | None = None, *, follow_symlinks: bool = False
) -> IndexStats:
    """Size, age and analysis version of the live index; with ``corpus``, whether it changed since."""
    root = Path(index)
    gen = layout.current_generation(root)
    try:
        meta = layout.read_json(gen.path / layout.META)
        manifest = layout.read_json(gen.path / layout.MANIFEST)
    except (OSError, ValueError) as e:
        raise IndexCorruptError(
            f"index metadata in '{gen.path}' unreadable ({e.__class__.__name__}): "
            f"rebuild with `bantin index --rebuild --index {root}`"
        ) from None
    size = sum(p.stat().st_size for p in gen.path.iterdir() if p.is_file())
    stats = IndexStats(
        index=str(root),
        generation=gen.name,
        documents=int(meta.get("documents", len(manifest))),
        bytes=size,
        built_at=meta.get("built_at"),
        analysis_version=meta.get("analysis_version"),
        analysis_current=meta.get("analysis_version") == ANALYSIS_VERSION,
    )
    if corpus is not None:
        stats.corpus = str(corpus)
        stats.pending = _pending(Path(corpus), manifest, gen, follow_symlinks)
        stats.corpus_changed = any(stats.pending.values())
    return stats
