"""Plain data returned by the library.  Every object outlives the searcher that made it."""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Citation:
    """A document a bulletin cites, with every place it is named.

    ``spans`` are ``(start, end)`` offsets into the bulletin's ``body``;
    ``in_title`` says the title names it too (a title-only citation has no
    spans).  ``count`` counts every mention, title included.
    """

    key: str
    label: str
    type: str
    number: str | None = None
    symbol: str | None = None
    count: int = 1
    spans: list[tuple[int, int]] = field(default_factory=list)
    in_title: bool = False

    def to_dict(self) -> dict:
        # Written out, not dataclasses.asdict (which deep-copies every value): the same
        # dict, keys in field order; a search encodes a few dozen per page.
        return {
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "number": self.number,
            "symbol": self.symbol,
            "count": self.count,
            "spans": [[a, b] for a, b in self.spans],
            "in_title": self.in_title,
        }


def citations(mentions: list[dict]) -> list[Citation]:
    """Group stored mentions (``{"key", "label", "type", "number", "symbol",
    "field", "start", "end"}``, in text order) into one :class:`Citation` per
    document, in the order of first mention."""
    out: dict[str, dict] = {}
    for m in mentions:
        key = m.get("key")
        if not isinstance(key, str) or not key:
            continue
        c = out.setdefault(
            key,
            {
                "key": key,
                "label": m.get("label") or key,
                "type": m.get("type") or "",
                "number": m.get("number"),
                "symbol": None,
                "count": 0,
                "spans": [],
                "in_title": False,
            },
        )
        c["count"] += 1
        c["symbol"] = c["symbol"] or m.get("symbol")
        if m.get("field") == "title":
            c["in_title"] = True
        else:
            c["spans"].append((int(m.get("start", 0)), int(m.get("end", 0))))
    return [Citation(**c) for c in out.values()]


@dataclass(frozen=True)
class Hit:
    """One ranked result.  ``highlights`` are ``(start, end)`` offsets into ``snippet``."""

    id: str
    title: str
    date: _dt.date | None
    score: float
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    refs: list[Citation] = field(default_factory=list)
    source: str | None = None

    def to_dict(self) -> dict:
        # Written out, as Citation.to_dict: the keys of asdict(), in field order.
        return {
            "id": self.id,
            "title": self.title,
            "date": None if self.date is None else self.date.isoformat(),
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "highlights": [[a, b] for a, b in self.highlights],
            "refs": [c.to_dict() for c in self.refs],
            "source": self.source,
        }


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query.

    ``total`` counts every matching bulletin, not only the returned ``hits``.
    ``mode`` says how the query was read: ``"all"`` (every word required),
    ``"best"`` (best-match fallback for long questions), ``"ref"`` (a
    document reference that nothing in the index cites gives ``total == 0``),
    ``"refs"`` (bulletins citing the document named, when none of them holds
    every other word: those words only rank; ``notice`` says so),
    ``"browse"`` (no query words: filters alone, by date).
    ``hits`` are results ``offset`` to ``offset + limit`` in ``sort`` order;
    ``facets`` holds exact counts over all ``total`` matches
    (``{"year": [[2022, 3], …], "cites": [["kl:21", "Kết luận 21", 2], …]}``).
    ``corrected`` is the query as it was read when that differs from what was
    typed (raw Telex/VNI decoded, a typo corrected: a "showing results for"
    line), else None.  ``suggestion`` is a query that does match, offered when
    nothing matched.
    """

    query: str
    total: int
    hits: list[Hit]
    mode: str = "all"
    notice: str | None = None
    offset: int = 0
    limit: int = 10
    sort: str = "relevance"
    filters: dict = field(default_factory=dict)
    facets: dict = field(default_factory=dict)
    corrected: str | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "sort": self.sort,
            "mode": self.mode,
            "notice": self.notice,
            "corrected": self.corrected,
            "suggestion": self.suggestion,
            "filters": _jsonable(self.filters),
            "facets": _jsonable(self.facets),
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class Document:
    """One stored bulletin, cleaned, as :meth:`Searcher.get` returns it."""

    id: str
    title: str
    date: _dt.date | None
    author: str | None
    source: str | None
    url: str | None
    body: str
    refs: list[Citation] = field(default_factory=list)
    date_source: str | None = None  # header, byline, record or text (see searcher.bulletins.Bulletin)

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))
