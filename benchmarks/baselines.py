"""Peer search engines, built and queried the same way, for ranking comparisons.

Every engine follows :class:`Engine`: ``build(passages, workdir)`` indexes a
list of ``{id, title, body}`` dicts under ``workdir`` and returns
``{"seconds", "docs", "bytes"}``; ``search(query, k)`` returns up to ``k``
ranked passage ids; ``close()`` releases files.

* :class:`Fts5Engine` - SQLite FTS5, ``unicode61 remove_diacritics 2``, bm25.
  The tokenizer removes tone and vowel marks but does not fold ``đ`` to ``d``
  (``đ`` is a separate letter in Unicode, not a ``d`` with a mark); that is the
  peer's real behaviour and is kept.
* :class:`Fts5ExactEngine` - the same with ``remove_diacritics 0`` (opt-in).
* :class:`WhooshPlainEngine` - whoosh, ``RegexTokenizer | LowercaseFilter``,
  BM25F: a syllable engine, exact diacritics.
* :class:`WhooshFoldEngine` - the same plus ``CharsetFilter(accent_map)`` at
  index and query time: an accent-folding engine (``đ`` → ``d`` included).
* :class:`BantinEngine` - this project's own library.

All engines read a query as a bag of its tokens joined with OR (a natural
question has too many words for AND).  For whoosh the query is not parsed:
the field analyzer tokenizes the text and an ``Or`` of ``Term(field, token)``
for both fields is built directly, which is what ``MultifieldParser(...,
group=OrGroup)`` yields for plain words but cannot be broken by punctuation
or query syntax (``:``, ``*``, ``AND``, quotes) in a question.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Protocol

__all__ = [
    "Engine",
    "Fts5Engine",
    "Fts5ExactEngine",
    "WhooshPlainEngine",
    "WhooshFoldEngine",
    "BantinEngine",
    "ENGINES",
    "bantin_available",
    "load_passages",
]

_WORD_RE = re.compile(r"\w+")


class Engine(Protocol):
    """What every compared engine provides."""

    name: str

    def build(self, passages: list[dict], workdir: Path) -> dict: ...

    def search(self, query: str, k: int) -> list[str]: ...

    def close(self) -> None: ...


def load_passages(path: str | Path) -> list[dict]:
    """Read a ``passages.jsonl`` file into ``{id, title, body}`` dicts."""
    passages = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                passages.append(
                    {"id": str(rec["id"]), "title": rec.get("title") or "", "body": rec.get("body") or ""}
                )
    return passages


def dir_bytes(path: Path) -> int:
    """Total size of the files under ``path`` (or of ``path`` itself)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _fresh_dir(path: Path) -> Path:
    """Empty ``path`` (create it if needed) and return it."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _no_words(query: str) -> Exception:
    """The error for a query with nothing to search (counts as zero results)."""
    from searcher.errors import QueryError

    return QueryError(f"query {query!r} has no words to search; type at least one word")


# --- SQLite FTS5 ----------------------------------------------------------------


def fts5_match(query: str) -> str:
    """FTS5 MATCH expression: every ``\\w+`` token double-quoted, joined with OR."""
    tokens = list(dict.fromkeys(_WORD_RE.findall(query)))
    return " OR ".join(f'"{t}"' for t in tokens)


class Fts5Engine:
    """SQLite FTS5 (``unicode61 remove_diacritics 2``), bm25 over title and body."""

    name = "fts5"
    remove_diacritics = 2

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def build(self, passages: list[dict], workdir: Path) -> dict:
        start = time.perf_counter()
        path = _fresh_dir(Path(workdir)) / "fts5.sqlite"
        db = sqlite3.connect(path)
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            f"pid UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics {self.remove_diacritics}')"
        )
        db.executemany(
            "INSERT INTO docs (pid, title, body) VALUES (?, ?, ?)",
            ((p["id"], p["title"], p["body"]) for p in passages),
        )
        db.commit()
        self._db = db
        return {"seconds": time.perf_counter() - start, "docs": len(passages), "bytes": dir_bytes(path)}

    def search(self, query: str, k: int) -> list[str]:
        match = fts5_match(query)
        if not match:
            raise _no_words(query)
        rows = self._db.execute(
            "SELECT pid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, k)
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class Fts5ExactEngine(Fts5Engine):
    """FTS5 with ``remove_diacritics 0``: a pure syllable engine (opt-in, not a default).

    Kept to explain the peers' "FTS5 ≈0.81 as given / ≈0.36 without
    diacritics" figure, which only this setting reproduces.
    """

    name = "fts5-exact"
    remove_diacritics = 0


# --- whoosh ---------------------------------------------------------------------


def _plain_analyzer():
    from whoosh.analysis import LowercaseFilter, RegexTokenizer

    return RegexTokenizer() | LowercaseFilter()


def _fold_analyzer():
    from whoosh.analysis import CharsetFilter
    from whoosh.support.charset import accent_map

    return _plain_analyzer() | CharsetFilter(accent_map)


class _WhooshEngine:
    """Whoosh index with title/body TEXT fields sharing one analyzer, BM25F."""

    name = "whoosh"
    _FIELDS = ("title", "body")

    def __init__(self, make_analyzer: Callable[[], Any]) -> None:
        self._make_analyzer = make_analyzer
        self._analyzer = None
        self._index = None
        self._searcher = None

    def build(self, passages: list[dict], workdir: Path) -> dict:
        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema

        start = time.perf_counter()
        path = _fresh_dir(Path(workdir))
        self._analyzer = self._make_analyzer()
        schema = Schema(
            pid=ID(stored=True, unique=True),
            title=TEXT(analyzer=self._analyzer),
            body=TEXT(analyzer=self._analyzer),
        )
        ix = index.create_in(str(path), schema)
        writer = ix.writer(limitmb=256)
        for p in passages:
            writer.add_document(pid=p["id"], title=p["title"], body=p["body"])
        writer.commit()
        self._index = ix
        self._searcher = ix.searcher()  # BM25F is whoosh's default weighting
        return {"seconds": time.perf_counter() - start, "docs": len(passages), "bytes": dir_bytes(path)}

    def query_terms(self, query: str) -> list[str]:
        """The distinct index terms of a query, in order, via the field analyzer."""
        return list(dict.fromkeys(t.text for t in self._analyzer(query)))

    def search(self, query: str, k: int) -> list[str]:
        from whoosh.query import Or, Term

        terms = self.query_terms(query)
        if not terms:
            raise _no_words(query)
        q = Or([Term(f, t) for t in terms for f in self._FIELDS])
        return [hit["pid"] for hit in self._searcher.search(q, limit=k)]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._index is not None:
            self._index.close()
            self._index = None


class WhooshPlainEngine(_WhooshEngine):
    """whoosh, RegexTokenizer | LowercaseFilter: exact syllables, diacritics kept."""

    name = "whoosh-plain"

    def __init__(self) -> None:
        super().__init__(_plain_analyzer)


class WhooshFoldEngine(_WhooshEngine):
    """whoosh, RegexTokenizer | LowercaseFilter | CharsetFilter(accent_map)."""

    name = "whoosh-fold"

    def __init__(self) -> None:
        super().__init__(_fold_analyzer)


# --- bantin -----------------------------------------------------------------------


def bantin_available() -> str | None:
    """``None`` when ``searcher`` exposes ``build_index`` and ``Searcher``, else why not."""
    try:
        import searcher

        missing = [n for n in ("build_index", "Searcher") if not hasattr(searcher, n)]
    except Exception as exc:  # noqa: BLE001 - any import failure means "skip bantin"
        return f"import searcher failed: {type(exc).__name__}: {exc}"
    if missing:
        return f"searcher does not provide {', '.join(missing)} yet"
    return None


def _indexed_count(stats: Any, default: int) -> int:
    """The document count from ``build_index``'s stats object, whatever it calls it."""
    for name in ("indexed", "documents", "docs", "added", "count"):
        value = getattr(stats, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return default


class BantinEngine:
    """Adapter over this project's library: ``build_index`` + ``Searcher.search``."""

    name = "bantin"

    def __init__(self) -> None:
        self._searcher = None

    def build(self, passages: list[dict], workdir: Path) -> dict:
        from searcher import Searcher, build_index

        workdir = _fresh_dir(Path(workdir))
        corpus, index_dir = workdir / "corpus", workdir / "index"
        corpus.mkdir()
        with open(corpus / "passages.jsonl", "w", encoding="utf-8") as fh:
            for p in passages:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")
        start = time.perf_counter()
        stats = build_index(corpus, index_dir)
        seconds = time.perf_counter() - start
        shutil.rmtree(corpus)  # the index is all we need; keep no copy of the data
        self._searcher = Searcher(index_dir).__enter__()
        return {"seconds": seconds, "docs": _indexed_count(stats, len(passages)), "bytes": dir_bytes(index_dir)}

    def search(self, query: str, k: int) -> list[str]:
        result = self._searcher.search(query, limit=k)
        return [h.id for h in result.hits]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.__exit__(None, None, None)
            self._searcher = None


ENGINES: dict[str, Callable[[], Engine]] = {
    "bantin": BantinEngine,
    "fts5": Fts5Engine,
    "whoosh-plain": WhooshPlainEngine,
    "whoosh-fold": WhooshFoldEngine,
    "fts5-exact": Fts5ExactEngine,  # opt-in: --engines fts5-exact
}
