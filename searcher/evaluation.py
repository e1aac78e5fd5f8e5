"""Ranking evaluation: judged queries, rank metrics and an evaluation loop.

The metrics are the usual ones for "about one relevant passage per query"
test sets: reciprocal rank (MRR when averaged), recall at k and nDCG at k with
binary gains.  :func:`evaluate` runs any ``search(query, k) -> ranked ids``
callable over a list of :class:`JudgedQuery` and returns an :class:`EvalReport`
(plain data, ``to_dict()`` for JSON).

Conventions shared by the metric functions:

* only the first ``k`` ids of the ranking count;
* an id repeated in a ranking counts once, at its first position;
* ``relevant`` must not be empty and ``k`` must be at least 1, otherwise
  :class:`EvalError` is raised (the metric would be undefined).
"""

from __future__ import annotations

import json
import math
import time
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import BantinError, QueryError
from .normalise import fix_lookalikes

__all__ = [
    "EvalError",
    "JudgedQuery",
    "load_queries",
    "strip_diacritics",
    "reciprocal_rank",
    "recall_at_k",
    "ndcg_at_k",
    "QueryOutcome",
    "EvalReport",
    "evaluate",
]


class EvalError(BantinError):
    """An evaluation input is unusable (bad queries file, empty judgments, k < 1)."""


# --- judged queries ---------------------------------------------------------


@dataclass(frozen=True)
class JudgedQuery:
    """One test query and the ids of the passages judged relevant to it."""

    qid: str
    query: str
    relevant_ids: tuple[str, ...]


def _parse_query_line(line: str, where: str) -> JudgedQuery:
    """Turn one JSON line into a :class:`JudgedQuery` or raise :class:`EvalError`."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvalError(f"{where}: not valid JSON ({exc.msg}); fix or remove that line") from None
    if not isinstance(record, dict):
        raise EvalError(f"{where}: expected a JSON object {{qid, query, relevant_ids}}; fix that line")
    qid, query, relevant = record.get("qid"), record.get("query"), record.get("relevant_ids")
    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or str(qid) == "":
        raise EvalError(f"{where}: missing or empty 'qid'; give every query a string id")
    if not isinstance(query, str) or not query.strip():
        raise EvalError(f"{where}: missing or empty 'query'; give query {qid!s} its text")
    if not isinstance(relevant, list) or not relevant or not all(isinstance(r, str) and r for r in relevant):
        raise EvalError(f"{where}: 'relevant_ids' must be a non-empty list of passage ids; fix query {qid!s}")
    return JudgedQuery(str(qid), query, tuple(dict.fromkeys(relevant)))


def _read_lines(path: Path) -> list[str]:
    """Read a UTF-8 text file into lines, mapping I/O problems to :class:`EvalError`."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalError(f"{path}: no such queries file; pass the path of a queries.jsonl") from None
    except IsADirectoryError:
        raise EvalError(f"{path}: is a folder; pass the queries.jsonl file inside it") from None
    except UnicodeDecodeError:
        raise EvalError(f"{path}: not UTF-8 text; re-save the queries file as UTF-8") from None
    except OSError as exc:
        raise EvalError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None


def load_queries(path: str | Path) -> list[JudgedQuery]:
    """Load a ``queries.jsonl`` file: one ``{qid, query, relevant_ids}`` object per line.

    Blank lines are skipped; extra keys (``answers``, ``label``...) are ignored;
    duplicate relevant ids are merged.  Raises :class:`EvalError` with a
    one-line message naming the file and line for a missing/unreadable file,
    bad JSON, a missing field, a duplicate qid or a file with no queries.
    """
    path = Path(path)
    queries: list[JudgedQuery] = []
    seen: set[str] = set()
    for lineno, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        judged = _parse_query_line(line, f"{path}:{lineno}")
        if judged.qid in seen:
            raise EvalError(f"{path}:{lineno}: duplicate qid {judged.qid!r}; make qids unique")
        seen.add(judged.qid)
        queries.append(judged)
    if not queries:
        raise EvalError(f"{path}: no queries in the file; add {{qid, query, relevant_ids}} lines")
    return queries


# --- text ---------------------------------------------------------------------


def strip_diacritics(text: str) -> str:
    """Remove every diacritic and keep the case: ``"Đảng viên Hòa"`` → ``"Dang vien Hoa"``.

    Tone marks and vowel marks (ă â ê ô ơ ư) go, ``đ``/``Đ`` become ``d``/``D``
    (the look-alikes ``ð``/``Ð`` too).  This is how a user types without a
    Vietnamese keyboard; unlike :func:`searcher.normalise.fold` it keeps case.
    """
    decomposed = unicodedata.normalize("NFD", fix_lookalikes(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


# --- metrics --------------------------------------------------------------------


def _check(relevant: Collection[str], k: int) -> None:
    """Raise :class:`EvalError` when a metric would be undefined."""
    if k < 1:
        raise EvalError(f"k must be at least 1, got {k}; pass a positive cut-off")
    if not relevant:
        raise EvalError("no relevant ids given; every judged query needs at least one")


def _top_k(ranked_ids: Iterable[str], k: int) -> list[str]:
    """The first ``k`` distinct ids of a ranking, in order."""
    top: list[str] = []
    seen: set[str] = set()
    for doc_id in ranked_ids:
        if doc_id in seen:
            continue
        seen.add(doc_id)
        top.append(doc_id)
        if len(top) == k:
            break
    return top


def reciprocal_rank(ranked_ids: Iterable[str], relevant: Collection[str], k: int) -> float:
    """``1 / rank`` of the first relevant id within the top ``k``, else 0."""
    _check(relevant, k)
    for rank, doc_id in enumerate(_top_k(ranked_ids, k), start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked_ids: Iterable[str], relevant: Collection[str], k: int) -> float:
    """``|relevant ∩ top k| / |relevant|``."""
    _check(relevant, k)
    wanted = set(relevant)
    found = sum(1 for doc_id in _top_k(ranked_ids, k) if doc_id in wanted)
    return found / len(wanted)


def _dcg(gains: Sequence[int]) -> float:
    """Discounted cumulative gain: ``sum(g_i / log2(i + 1))`` with ranks from 1."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def ndcg_at_k(ranked_ids: Iterable[str], relevant: Collection[str], k: int) -> float:
    """nDCG at ``k`` with binary gains and the ``log2(rank + 1)`` discount."""
    _check(relevant, k)
    wanted = set(relevant)
    gains = [1 if doc_id in wanted else 0 for doc_id in _top_k(ranked_ids, k)]
    ideal = _dcg([1] * min(len(wanted), k))
    return _dcg(gains) / ideal


# --- evaluation loop ------------------------------------------------------------


@dataclass(frozen=True)
class QueryOutcome:
    """What happened to one judged query: the query as run, its ranking and scores."""

    qid: str
    query: str
    ranked_ids: list[str]
    rr: float
    recall: float
    ndcg: float
    seconds: float


def _percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolation percentile (numpy's default) of a non-empty sequence."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class EvalReport:
    """Averages over a run of :func:`evaluate`, plus every per-query outcome."""

    k: int
    queries: int
    mrr: float
    recall: float
    ndcg: float
    zero_results: int
    latency_p50_ms: float
    latency_p95_ms: float
    outcomes: list[QueryOutcome] = field(default_factory=list)
    no_diacritics: bool = False

    def worst(self, n: int = 10) -> list[QueryOutcome]:
        """The ``n`` worst queries: lowest rr first, then lowest nDCG, ties by qid."""
        return sorted(self.outcomes, key=lambda o: (o.rr, o.ndcg, o.qid))[: max(n, 0)]

    def to_dict(self, per_query: bool = False) -> dict:
        """JSON-ready summary; ``per_query=True`` adds every outcome."""
        data = {
            "k": self.k,
            "queries": self.queries,
            "no_diacritics": self.no_diacritics,
            "mrr": self.mrr,
            "recall": self.recall,
            "ndcg": self.ndcg,
            "zero_results": self.zero_results,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
        }
        if per_query:
            data["outcomes"] = [asdict(o) for o in self.outcomes]  # type: ignore[assignment]
        return data


SearchFn = Callable[[str, int], list[str]]


def _run_one(search: SearchFn, judged: JudgedQuery, k: int, no_diacritics: bool) -> QueryOutcome:
    """Run one query, time it and score its top ``k``.  QueryError means no results."""
    text = strip_diacritics(judged.query) if no_diacritics else judged.query
    start = time.perf_counter()
    try:
        ranked = list(search(text, k))
    except QueryError:
        ranked = []
    seconds = time.perf_counter() - start
    top = _top_k(ranked, k)
    rel = judged.relevant_ids
    return QueryOutcome(
        qid=judged.qid,
        query=text,
        ranked_ids=top,
        rr=reciprocal_rank(top, rel, k),
        recall=recall_at_k(top, rel, k),
        ndcg=ndcg_at_k(top, rel, k),
        seconds=seconds,
    )


def evaluate(
    search: SearchFn,
    queries: list[JudgedQuery],
    k: int = 10,
    no_diacritics: bool = False,
) -> EvalReport:
    """Run ``search(query, k)`` for every judged query and average the metrics.

    With ``no_diacritics`` each query goes through :func:`strip_diacritics`
    first.  Rankings are cut to their first ``k`` distinct ids.  A query on
    which ``search`` raises :class:`~searcher.errors.QueryError` counts as a
    zero-result query (rr 0); any other exception propagates.
    """
    if k < 1:
        raise EvalError(f"k must be at least 1, got {k}; pass a positive cut-off")
    if not queries:
        raise EvalError("no queries to evaluate; load a non-empty queries.jsonl")
    outcomes = [_run_one(search, q, k, no_diacritics) for q in queries]
    millis = [o.seconds * 1000.0 for o in outcomes]
    return EvalReport(
        k=k,
        queries=len(outcomes),
        mrr=_mean([o.rr for o in outcomes]),
        recall=_mean([o.recall for o in outcomes]),
        ndcg=_mean([o.ndcg for o in outcomes]),
        zero_results=sum(1 for o in outcomes if not o.ranked_ids),
        latency_p50_ms=_percentile(millis, 50),
        latency_p95_ms=_percentile(millis, 95),
        outcomes=outcomes,
        no_diacritics=no_diacritics,
    )
