"""Building and updating the index: incremental, atomic, exclusive, parallel.

:func:`update_index` is what ``bantin index`` runs: it compares the corpus with
the manifest of the live generation, re-analyses only what was added or
changed, deletes what was removed, and publishes the result as a new
generation (see :mod:`searcher.layout`).  :func:`build_index` always builds
from scratch.  Either way the previous index keeps serving until the new one
is complete.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as windex

from . import layout, vocab
from .errors import BadDocument, IndexCorruptError, IndexMissingError
from .schema import ANALYSIS_VERSION, build_schema

# Below this many documents to analyse, the pool's start-up costs more than it saves.
PARALLEL_THRESHOLD = 200

Progress = Callable[[int, int, int], None]  # (documents done, documents to do, bytes done)


@dataclass
class IndexReport:
    """What one index job did.  ``skipped`` lists ``{"path", "reason"}``."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    documents: int = 0
    rebuilt: bool = False
    reason: str | None = None
    generation: str | None = None
    index: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.rebuilt)

    def to_dict(self) -> dict:
        return asdict(self)


def _fields(b) -> dict:
    """The whoosh document for one :class:`~searcher.bulletins.Bulletin`."""
    from .refs import find_refs

    refs = [r.to_dict() for r in find_refs(b.body)]
    return {
        "id": b.id,
        "title": b.title,
        "title_fold": b.title,
        "syl": b.body,
        "fold": b.body,
        "word": f"{b.title}\n{b.body}",
        "ref": f"{b.title}\n{b.body}",
        "body": b.body,
        "date": b.date.isoformat() if b.date else None,
        "author": b.author,
        "source": b.source,
        "url": b.url,
        "path": b.path,
        "hash": b.hash,
        "refs": json.dumps(refs, ensure_ascii=False),
    }


def _scan(corpus: Path) -> tuple[dict, list[BadDocument]]:
    from .bulletins import scan_corpus

    docs: dict = {}
    bad: list[BadDocument] = []
    for item in scan_corpus(corpus):
        if isinstance(item, BadDocument):
            bad.append(item)
        else:
            docs[item.id] = item
    return docs, bad


def _live_state(root: Path) -> tuple[layout.Generation | None, dict, str | None]:
    """The live generation, its manifest, and why it must be rebuilt (None = it need not)."""
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
    if not windex.exists_in(str(gen.path)):
        return gen, manifest, "index files missing"
    return gen, manifest, None


def _txt_id(path: str) -> str | None:
    return path[:-4] if path.endswith(".txt") else None


def update_index(
    corpus: str | os.PathLike,
    index: str | os.PathLike,
    *,
    rebuild: bool = False,
    procs: int | None = None,
    wait: float = 0.0,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the index at ``index`` in step with the corpus folder.

    Incremental unless ``rebuild`` is true, the index is missing, or it was
    built with other analysis rules (``report.reason`` says which).  Raises
    :class:`~searcher.errors.IndexLockedError` when another job holds the lock
    for longer than ``wait`` seconds, and
    :class:`~searcher.errors.CorpusError` when the corpus folder is missing.
    """
    t0 = time.perf_counter()
    root = Path(index)
    corpus = Path(corpus)
    report = IndexReport(index=str(root))
    with layout.WriteLock(root, wait=wait):
        layout.collect_garbage(root)
        docs, bad = _scan(corpus)
        report.skipped = [{"path": b.path, "reason": b.reason} for b in bad]
        live, manifest, reason = _live_state(root)
        if rebuild and reason is None:
            reason = "--rebuild asked for"
        full = reason is not None
        report.rebuilt, report.reason = full, reason

        # Keep the indexed version of a .txt file that has become unreadable.
        keep = {i for b in bad if (i := _txt_id(b.path)) in manifest} if not full else set()
        if full:
            to_add = list(docs.values())
            to_delete: list[str] = []
            report.added = len(to_add)
        else:
            to_add, to_delete = [], []
            for doc_id, b in docs.items():
                old = manifest.get(doc_id)
                if old is None:
                    to_add.append(b)
                    report.added += 1
                elif old != b.hash:
                    to_add.append(b)
                    to_delete.append(doc_id)
                    report.updated += 1
                else:
                    report.unchanged += 1
            for doc_id in manifest:
                if doc_id not in docs and doc_id not in keep:
                    to_delete.append(doc_id)
                    report.deleted += 1
            report.unchanged += len(keep)

        if not full and not to_add and not to_delete:
            report.documents = len(manifest)
            report.generation = live.name if live else None
            report.seconds = time.perf_counter() - t0
            return report

        gen = layout.new_generation(root)
        if full:
            ix = windex.create_in(str(gen.path), build_schema())
        else:
            layout.link_copy(live.path, gen.path)
            for name in (layout.META, layout.MANIFEST, vocab.VOCAB):
                (gen.path / name).unlink(missing_ok=True)
            ix = windex.open_dir(str(gen.path))
        new_manifest = {} if full else {k: v for k, v in manifest.items() if k not in set(to_delete)}
        _write(ix, to_add, to_delete, procs, progress, full)
        for b in to_add:
            new_manifest[b.id] = b.hash
        with ix.reader() as reader:
            report.documents = reader.doc_count()
            vocab.write(gen.path, reader)
        ix.close()
        layout.write_json(gen.path / layout.MANIFEST, new_manifest)
        layout.write_json(
            gen.path / layout.META,
            {
                "analysis_version": ANALYSIS_VERSION,
                "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "corpus": str(corpus.resolve()),
                "documents": report.documents,
            },
        )
        final = layout.publish(gen)
        report.generation = final.name
        layout.collect_garbage(root)
    report.seconds = time.perf_counter() - t0
    return report


def build_index(
    corpus: str | os.PathLike,
    index: str | os.PathLike,
    *,
    procs: int | None = None,
    wait: float = 0.0,
    progress: Progress | None = None,
) -> IndexReport:
    """Build the index from scratch (the old one serves until the new one is live)."""
    return update_index(corpus, index, rebuild=True, procs=procs, wait=wait, progress=progress)


def _write(ix, to_add: list, to_delete: Iterable[str], procs, progress, full: bool) -> None:
    procs = procs or os.cpu_count() or 1
    parallel = procs > 1 and len(to_add) >= PARALLEL_THRESHOLD
    if parallel:
        from whoosh.multiproc import MpWriter

        writer = MpWriter(ix, procs=procs, batchsize=64, multisegment=True)
    else:
        writer = ix.writer()
    try:
        for doc_id in to_delete:
            writer.delete_by_term("id", doc_id)
        total = len(to_add)
        done_bytes = 0
        for i, b in enumerate(to_add, 1):
            writer.add_document(**_fields(b))
            done_bytes += len(b.body.encode("utf-8"))
            if progress and (i % 16 == 0 or i == total):
                progress(i, total, done_bytes)
        if parallel or not full:
            writer.commit()
        else:
            writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        raise


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


def index_stats(index: str | os.PathLike, corpus: str | os.PathLike | None = None) -> IndexStats:
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
        docs, _bad = _scan(Path(corpus))
        added = sum(1 for i in docs if i not in manifest)
        updated = sum(1 for i, b in docs.items() if i in manifest and manifest[i] != b.hash)
        deleted = sum(1 for i in manifest if i not in docs)
        stats.corpus = str(corpus)
        stats.pending = {"added": added, "updated": updated, "deleted": deleted}
        stats.corpus_changed = bool(added or updated or deleted)
    return stats
