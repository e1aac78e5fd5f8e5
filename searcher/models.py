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
class Hit:
    """One ranked result.  ``highlights`` are ``(start, end)`` offsets into ``snippet``."""

    id: str
    title: str
    date: _dt.date | None
    score: float
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    refs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = _jsonable(asdict(self))
        d["score"] = round(self.score, 4)
        return d


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query.

    ``total`` counts every matching bulletin, not only the returned ``hits``.
    ``mode`` says how the query was read: ``"all"`` (every word required),
    ``"best"`` (best-match fallback for long questions), ``"ref"`` (a
    document reference that nothing in the index cites gives ``total == 0``).
    """

    query: str
    total: int
    hits: list[Hit]
    mode: str = "all"
    notice: str | None = None

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "mode": self.mode,
            "notice": self.notice,
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
    refs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))
