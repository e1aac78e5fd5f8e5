"""The :class:`Searcher`: queries, snippets, documents and references of one index.

One ``Searcher`` may be shared by many threads.  It follows the index's live
generation: after an index job commits, the next search (or an explicit
:meth:`Searcher.refresh`) switches to the new one, with no restart and no error.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from whoosh import index as windex
from whoosh import query as wq

from . import layout, vocab
from .analysis import stored_layout
from .errors import (
    BantinError,
    DocumentNotFound,
    IndexCorruptError,
    IndexMissingError,
    QueryError,
    SearcherClosedError,
    damage_errors,
)
from .execute import Matches, QueryExecutor
from .models import Citation, Document, Hit, SearchResult, citations
from .navigation import (
    FACET_LIMIT,
    build_filters,
    check_facets,
    check_sort,
    count_facets,
    keep_mask,
    sort_days,
    split_filters,
)
from .normalise import clean_text, is_encodable, printable
from .query import QueryPlan, read_query
from .rerank import RERANK_DEPTH, Candidate, idf, rerank
from .schema import weighting
from .snippets import Terms, make_snippet


@dataclass(frozen=True)
class RefCount:
    """One cited document and how many bulletins of the index cite it."""

    key: str
    label: str
    type: str
    bulletins: int

    def to_dict(self) -> dict:
        return asdict(self)


def corrupt(root: Path, what: str) -> IndexCorruptError:
    """The one-line error for a damaged index; ``what`` says what is wrong."""
    return IndexCorruptError(f"index at '{root}' is {what}: rebuild it with `bantin index --rebuild --index {root}`")


def _meta(gen: layout.Generation) -> dict:
    try:
        return layout.read_json(gen.path / layout.META)
    except FileNotFoundError:
        raise corrupt(gen.root, f"damaged ({layout.META} is missing)") from None
    except PermissionError:
        raise IndexMissingError(
            f"cannot read the index at '{gen.root}' (permission denied): run as a user who can read it"
        ) from None
    except (OSError, ValueError) as e:
        raise corrupt(gen.root, f"damaged ({layout.META} unreadable: {e.__class__.__name__})") from None


@contextmanager
def _reading(gen: layout.Generation):
    """Tell damage from bugs while reading a generation's files.

    What damaged files raise (:func:`~searcher.errors.damage_errors`) becomes
    :class:`IndexCorruptError`.  Anything else is a bug, unless the files turn
    out to have changed since they were written (their checksums are
    compared): then it is damage too.  A bug is never reported as "corrupt".
    """
    try:
        yield
    except BantinError:
        raise
    except PermissionError:
        raise IndexMissingError(
            f"cannot read the index at '{gen.root}' (permission denied): run as a user who can read it"
        ) from None
    except Exception as e:
        try:
            problem = layout.damage(gen, layout.read_json(gen.path / layout.META), verify=True)
        except (OSError, ValueError) as meta_error:
            problem = f"{layout.META} unreadable ({meta_error.__class__.__name__})"
        if problem:
            raise corrupt(gen.root, f"damaged ({problem})") from e
        if isinstance(e, damage_errors()):
            raise corrupt(gen.root, f"unreadable ({e.__class__.__name__})") from e
        raise  # intact files: a bug, to be reported as one


def _date(value) -> _dt.date | None:
    if not value:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class _Open:
    """One opened generation: whoosh index and searcher, query executor, vocabulary."""

    def __init__(self, gen: layout.Generation, voc: vocab.Vocabulary | None = None):
        self.name = gen.name
        self.gen = gen
        problem = layout.cheap_damage(gen, _meta(gen))
        if problem:
            raise corrupt(gen.root, f"damaged ({problem})")
        with _reading(gen):
            self.ix = windex.open_dir(str(gen.path))
            try:
                self.searcher = self.ix.searcher(weighting=weighting())
                self.executor = QueryExecutor(self.searcher, gen.path)
                try:
                    self.vocab = voc if voc is not None else vocab.load(gen.path)
                except ValueError as e:
                    raise corrupt(gen.root, f"damaged ({e})") from None
            except BaseException:
                self.ix.close()
                raise

    def pair_count(self, field: str, pair: str) -> int:
        """Bulletins holding two syllables side by side (the typo reader's counts):
        ``pair`` as written, counted in the scoring sidecars; ``pair_fold`` from its
        postings (each segment's pair postings file)."""
        if field == "pair":
            return self.executor.pair_count(pair)
        return self.executor.doc_frequency(field, pair)

    def close(self) -> None:
        self.executor.close()
        self.searcher.close()
        self.ix.close()


MAX_LIMIT = 1000  # hits per call
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Page:
    """Which part of the answer a search wants, and the filters it runs under."""

    limit: int
    offset: int
    sort: str
    allow: wq.Query | None  # a query the hits must also match (cites)
    keep: Callable | None  # a per-segment mask (dates, sources, authors)


@dataclass
class _Answer:
    matches: Matches
    total: int
    hits: list[Hit]
    mode: str
    notice: str | None


def _whole_number(name: str, value: object, low: int, high: int) -> int:
    """A parameter that must be a whole number in ``[low, high]`` (bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"{name} must be a whole number from {low} to {high} (got {value!r:.40})")
    if not low <= value <= high:
        raise QueryError(f"{name} must be from {low} to {high} (got {value})")
    return value


class Searcher:
    """Search an index built by :func:`searcher.build_index`.

    >>> with Searcher("index") as s:                       # doctest: +SKIP
    ...     res = s.search("Kết luận 21", limit=10)
    ...     doc = s.get(res.hits[0].id)

    ``auto_refresh`` (default on) makes each call notice a newly committed
    generation by reading the small ``CURRENT`` pointer file.
    """

    def __init__(self, index_dir: str | os.PathLike = "index", *, auto_refresh: bool = True):
        self.root = Path(index_dir)
        self.auto_refresh = auto_refresh
        self._lock = threading.Lock()  # guards the pool and the generation switch, never a search
        first = _Open(layout.current_generation(self.root))
        self._name: str | None = first.name
        self._vocab = first.vocab
        self._idle: list[_Open] = [first]

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release every open file; calls still running finish first on their own copy."""
        with self._lock:
            idle, self._idle, self._name = self._idle, [], None
        for o in idle:
            o.close()

    @property
    def generation(self) -> str:
        with self._using() as o:
            return o.name

    def refresh(self) -> bool:
        """Switch to the live generation if an index job committed a new one."""
        with self._lock:
            self._check_open()
            return self._switch(layout.current_token(self.root))

    def _check_open(self) -> None:
        if self._name is None:
            raise SearcherClosedError("this Searcher is closed: open a new one with Searcher(index_dir)")

    def _switch(self, live: str | None) -> bool:
        """Under the lock: make ``live`` the generation new calls use; idle copies of
        the old one close now, busy ones when their call ends."""
        if live == self._name:
            return False
        gen = layout.current_generation(self.root)
        first = _Open(gen)
        old, self._idle = self._idle, [first]
        self._name, self._vocab = first.name, first.vocab
        for o in old:
            o.close()
        return True

    @contextmanager
    def _using(self):
        """An opened generation for one call, alone.  Concurrent calls each get their
        own copy (whoosh readers and SQLite connections are not shared between
        threads), taken from a pool that grows to the number of concurrent calls."""
        with self._lock:
            self._check_open()
            if self.auto_refresh:
                self._switch(layout.current_token(self.root))
            o = self._idle.pop() if self._idle else None
            name, voc = self._name, self._vocab
        if o is None:
            assert name is not None
            o = _Open(layout.Generation(self.root, name), voc)
        try:
            yield o
        finally:
            with self._lock:
                keep = o.name == self._name
                if keep:
                    self._idle.append(o)
            if not keep:
                o.close()

    # -- searching -------------------------------------------------------------

    def plan(self, query: str) -> QueryPlan:
        """How ``query`` is read (units, words, references): for debugging and tests."""
        with self._using() as o, _reading(o.gen):  # the typo reader's pair counts read index files
            return read_query(query, o.vocab, pairs=o.pair_count)

    def search(
        self,
        query: str = "",
        limit: int = 10,
        *,
        offset: int = 0,
        sort: str | None = None,
        since: object = None,
        until: object = None,
        sources: str | list[str] | None = None,
        authors: str | list[str] | None = None,
        cites: str | list[str] | None = None,
        filter: dict | None = None,  # noqa: A002 - the public name apps use
        facets: list[str] | str | None = None,
        facet_limit: int = FACET_LIMIT,
        correct: bool = True,
    ) -> SearchResult:
        """Ranked bulletins for ``query``, ``limit`` of them from ``offset`` on.

        Filters (AND together; several values of one filter OR): ``since`` /
        ``until`` (a date, or "2022", "2022-03", "2022-03-05" as whole periods),
        ``sources``, ``authors``, ``cites`` ("Kết luận 21"), ``filter`` (the same
        as a dict, plus ``"date": "2022-01..2022-06"``), and the query syntax
        ``date:``, ``source:``, ``author:``, ``cites:``.  With a filter the query
        may be empty: the matching bulletins are listed newest first.
        ``sort``: "relevance" (default with a query), "newest" (default without)
        or "oldest"; undated bulletins come last in both date orders.
        ``facets`` (year, month, source, author, cites): exact counts over every
        match, ``facet_limit`` values each.
        ``correct`` (default on) reads raw Telex/VNI, likely typos and
        abbreviations (:mod:`searcher.corrections`); ``result.corrected`` then
        says how the query was read, and ``result.suggestion`` offers a query
        that matches when nothing does.

        Raises :class:`~searcher.errors.QueryError` for a query with nothing to
        search or a bad parameter.
        """
        limit = _whole_number("limit", limit, 1, MAX_LIMIT)
        offset = _whole_number("offset", offset, 0, MAX_OFFSET)
        facet_limit = _whole_number("facet_limit", facet_limit, 1, MAX_LIMIT)
        if not isinstance(query, str):
            raise QueryError(f"the query must be text, not {type(query).__name__}")
        filters = build_filters(since=since, until=until, sources=sources, authors=authors, cites=cites, filter=filter)
        text = split_filters(clean_text(query), filters)
        browse = not text.strip() and not filters.empty
        sort = check_sort(sort, not browse)
        names = check_facets(facets)
        allow = self._cites_filter(filters.cites) if filters.cites else None
        column_filters = filters.since or filters.until or filters.sources or filters.authors
        keep = (lambda leaf: keep_mask(leaf.columns, filters)) if column_filters else None
        with self._using() as o, _reading(o.gen):  # reading the query counts pairs in the index too
            plan = None if browse else read_query(text, o.vocab, forgiving=bool(correct), pairs=o.pair_count)
            page = self._run(o, plan, Page(limit, offset, sort, allow, keep))
            counts = (
                count_facets(
                    [(leaf.columns, m) for leaf, m in zip(page.matches.leaves, page.matches.masks)],
                    names,
                    facet_limit,
                )
                if names
                else {}
            )
            suggestion = (
                self._suggest(o, plan, Page(1, 0, "relevance", allow, keep))
                if (plan is not None and page.total == 0 and page.mode != "ref")
                else None
            )
        return SearchResult(
            query=query if is_encodable(query) else text,
            total=page.total,
            hits=page.hits,
            mode=page.mode,
            notice=page.notice,
            offset=offset,
            limit=limit,
            sort=sort,
            filters=filters.to_dict(),
            facets=counts,
            corrected=plan.corrected if plan is not None else None,
            suggestion=suggestion,
        )

    @staticmethod
    def _cites_filter(values: list[str]) -> wq.Query:
        """Bulletins citing any of ``values`` (each: every key of its references)."""
        from .refs import find_refs

        ors = []
        for cites in values:
            refs = find_refs(cites)
            if not refs:
                raise QueryError(
                    f'\'{printable(cites)[:60]}\' is not a document reference: write it like "Nghị quyết 18" or "21-KL/TW"'
                )
            terms = [wq.Term("ref", r.key) for r in refs]
            ors.append(terms[0] if len(terms) == 1 else wq.And(terms))
        return ors[0] if len(ors) == 1 else wq.Or(ors)

    def _run(self, o: _Open, plan: QueryPlan | None, p: Page) -> _Answer:
        s, ev = o.searcher, o.executor
        stored = _Stored(s)
        order = None if p.sort == "relevance" else (lambda leaf: sort_days(leaf.columns, p.sort == "newest"))
        if plan is None:  # browsing by filters alone
            m = ev.match(None, p.allow, p.keep)
            res = ev.ranked(m, p.limit, p.offset, order)
            hits = [self._hit(s.stored_fields(d), 0.0, Terms(frozenset(), frozenset())) for d in res.docnums]
            return _Answer(m, res.total, hits, "browse", None)
        mode, notice = "all", None
        if p.sort == "relevance" and plan.long and not ev.reaches(plan.every_query, p.limit, p.allow, p.keep):
            # A long question on which "every word" finds too little: best match.
            m, ranked = self._best(stored, ev, plan, p)
            mode = "best"
        else:
            m = ev.match(plan.all_query, p.allow, p.keep)
            res = ev.ranked(m, p.limit, p.offset, order)
            ranked = list(zip(res.docnums, res.scores))
            labels = ", ".join(dict.fromkeys(r.label for r in plan.refs))
            if m.total == 0 and plan.needs_ref:
                uncited = [r.label for r in plan.refs if s.doc_frequency("ref", r.key) == 0]
                if uncited:  # said only when true, whatever else the query holds
                    mode, notice = "ref", f"no bulletin in the index cites {', '.join(dict.fromkeys(uncited))}"
                elif plan.refs_first is not None:
                    # Bulletins cite it, but none holds the other words too: those that cite it.
                    m = ev.match(plan.refs_first, p.allow, p.keep)
                    res = ev.ranked(m, p.limit, p.offset, order)
                    ranked = list(zip(res.docnums, res.scores))
                    if m.total:
                        mode = "refs"
                        notice = f"no bulletin citing {labels} has every other word: showing those that cite it"
            # Settled: a notice was given, the bulletins citing a reference are the
            # answer however few, or a date order leaves no room for best match.
            settled = mode != "all" or (plan.needs_ref and m.total > 0) or p.sort != "relevance"
            if not settled and (
                (plan.question and not self._echoed(ev, plan, m, p))
                or (m.total == 0 and plan.units >= 2)
                or (
                    plan.corrected is None
                    and plan.together is not None
                    and not ev.reaches(plan.together, 1, p.allow, p.keep)
                )
            ):
                # A question finding too little; words no bulletin holds all of, or
                # none holds side by side (a slip that makes another real word:
                # "hải" for "phải"): best match.
                m, ranked = self._best(stored, ev, plan, p)
                mode = "best"
                if plan.needs_ref:
                    notice = f"no bulletin citing {labels} matches: showing the best matches"
        terms = Terms(frozenset(plan.norms), frozenset(plan.folds), frozenset(plan.ref_keys))
        hits = [self._hit(stored[d], score, terms, stored.syllables.get(d)) for d, score in ranked]
        return _Answer(m, m.total, hits, mode, notice)

    @staticmethod
    def _echoed(ev: QueryExecutor, plan: QueryPlan, m: Matches, p: Page) -> bool:
        """Whether a page of bulletins holds every word of a question, its question
        words too.  If not, the question is read as best match, whose re-ranking
        finds the passage that answers it; if so, the topic words decide."""
        if plan.strict_query is None:
            return m.total >= p.limit
        return ev.reaches(plan.strict_query, p.limit, p.allow, p.keep)

    @staticmethod
    def _suggest(o: _Open, plan: QueryPlan, p: Page) -> str | None:
        """When nothing matches: the query without the one word whose absence
        matches the most bulletins (the closest query that matches), or None."""
        from .query import SYLLABLE_RE as _syl

        words = _syl.findall(plan.corrected or plan.text)
        if not 2 <= len(words) <= 8:
            return None
        best, best_total = None, 0
        for i in range(len(words)):
            candidate = " ".join(words[:i] + words[i + 1 :])
            try:
                q = read_query(candidate, o.vocab, forgiving=plan.forgiving, pairs=o.pair_count)
            except QueryError:
                continue
            total = o.executor.match(q.all_query, p.allow, p.keep).total
            if total > best_total:
                best, best_total = candidate, total
        return best

    @staticmethod
    def _best(stored: _Stored, ev: QueryExecutor, plan: QueryPlan, p: Page) -> tuple[Matches, list[tuple[int, float]]]:
        """The best-match reading: the first :data:`RERANK_DEPTH` candidates re-ranked,
        the rest in BM25F order (so pages never overlap or skip)."""
        m = ev.match(plan.best_query, p.allow, p.keep)
        res = ev.ranked(m, max(p.offset + p.limit, RERANK_DEPTH))
        s = stored.searcher
        n = s.doc_count_all()
        weights = {t: idf(n, ev.doc_frequency(plan.best_field, t)) for t in plan.best_terms}
        triples = {g: sum(weights.get(t, 0.0) for t in g) for g in plan.best_triples}
        head = list(zip(res.docnums, res.scores))[:RERANK_DEPTH]
        cands = [Candidate(d, sc, stored[d].get("body") or "", stored_layout(stored[d])) for d, sc in head]
        ordered = rerank(cands, weights, plan.plain, triples, stored.syllables)
        ordered += list(zip(res.docnums, res.scores))[RERANK_DEPTH:]
        return m, ordered[p.offset : p.offset + p.limit]

    @staticmethod
    def _hit(fields: dict, score: float, terms: Terms, syllables: set[str] | None = None) -> Hit:
        if syllables is None and terms.words and (layout := stored_layout(fields)) is not None:
            syllables = layout.distinct()  # what the snippet matches the query's syllables against
        snippet, highlights = make_snippet(fields.get("body") or "", terms, syllables=syllables)
        return Hit(
            id=fields["id"],
            title=fields.get("title") or "",
            date=_date(fields.get("date")),
            source=fields.get("source") or None,
            score=float(score),
            snippet=snippet,
            highlights=highlights,
            refs=_citations(fields.get("refs")),
        )

    # -- documents and references -------------------------------------------

    def get(self, doc_id: str) -> Document:
        """The stored bulletin ``doc_id``; raises :class:`~searcher.errors.DocumentNotFound`."""
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise QueryError(f"a bulletin id must be a non-empty string (got {doc_id!r:.60})")
        missing = DocumentNotFound(
            f"no bulletin with id '{printable(doc_id)[:200]}' in the index: check the id with `bantin search`"
        )
        if not is_encodable(doc_id):
            raise missing
        with self._using() as o, _reading(o.gen):
            s = o.searcher
            docnum = s.document_number(id=doc_id)
            if docnum is None:
                raise missing
            f = s.stored_fields(docnum)
        return Document(
            id=f["id"],
            title=f.get("title") or "",
            date=_date(f.get("date")),
            date_source=f.get("date_source"),
            author=f.get("author"),
            source=f.get("source"),
            url=f.get("url"),
            body=f.get("body") or "",
            refs=_citations(f.get("refs")),
        )

    def refs(self, query: str | None = None) -> list[RefCount]:
        """The documents cited in the index, most cited first.

        With ``query`` ("Kết luận", "nghi quyet 18", "KL/TW"), only the matching ones.
        """
        from .normalise import fold
        from .refs import find_refs

        if query is not None and not isinstance(query, str):
            raise QueryError(f"the query must be text, not {type(query).__name__}")
        wanted_keys: set[str] = set()
        needle = ""
        if query and query.strip():
            query = clean_text(query)
            wanted_keys = {k for r in find_refs(query) for k in r.keys()}  # noqa: SIM118 - Ref.keys(), not a dict
            needle = fold(query.strip())
        with self._using() as o:
            return self._refs(o, wanted_keys, needle)

    @staticmethod
    def _refs(o: _Open, wanted_keys: set[str], needle: str) -> list[RefCount]:
        from .normalise import fold
        from .refs import key_label, key_type

        with _reading(o.gen):
            reader = o.searcher.reader()
            out = []
            for bkey, _info in reader.iter_field("ref"):
                key = bkey.decode("utf-8")
                label = key_label(key)
                if wanted_keys and key not in wanted_keys and not any(key.startswith(k + "/") for k in wanted_keys):
                    continue
                if not wanted_keys and needle and needle not in fold(label) and needle not in key:
                    continue
                n = sum(1 for _ in reader.postings("ref", key).all_ids() if not reader.is_deleted(_))
                if n:
                    out.append(RefCount(key, label, key_type(key), n))
        out.sort(key=lambda r: (-r.bulletins, r.key))
        return out

    def doc_count(self) -> int:
        with self._using() as o:
            return o.searcher.doc_count()


class _Stored(dict):
    """The stored fields of the bulletins one search reads, each read once (the
    re-ranker's candidates hold its hits), and the distinct syllables of the bodies
    the re-ranker read, for their snippets."""

    def __init__(self, searcher) -> None:
        super().__init__()
        self.searcher = searcher
        self.syllables: dict[int, set[str]] = {}

    def __missing__(self, docnum: int) -> dict:
        got = self[docnum] = self.searcher.stored_fields(docnum)
        return got


def _citations(raw) -> list[Citation]:
    """The stored mentions of a bulletin (JSON) as citations; [] if unreadable."""
    try:
        mentions = json.loads(raw or "[]")
    except ValueError:
        return []
    return citations(mentions) if isinstance(mentions, list) else []
