"""Navigating the archive: filters by date, source, author and cited document,
sort orders, and facet counts.

Filters come from three places that mean the same thing:

* library keywords: ``Searcher.search(q, since=, until=, sources=, authors=, cites=)``;
* a structured ``filter`` dict for apps: ``{"since": "2022-01", "until": "2022-06",
  "date": "2022", "sources": [...], "authors": [...], "cites": [...]}``;
* query syntax typed into one box: ``date:2022``, ``date:2022-01..2022-06``,
  ``date:>2022-06-01``, ``source:dangcongsan.vn``, ``author:"Linh Lan"``,
  ``cites:"Kết luận 21"``.

They combine with AND; several values of one filter combine with OR.  Dates
are whole periods: ``since="2022-03"`` is 1 March, ``until="2022"`` is
31 December.  Only dates from a bulletin's header, byline or record are
filtered and sorted on (see :data:`searcher.schema.TRUSTED_DATE_SOURCES`).

Filtering and facets read per-segment columns (``day``, ``source_key``,
``author_key``, ``cites``) as numpy arrays, built once per opened index, and
work as masks over the executor's arrays: a filter never makes a query slower.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .dates import parse_date_filter, parse_period
from .errors import QueryError
from .normalise import clean_text, fold
from .schema import day_date, day_number, source_key

SORTS = ("relevance", "newest", "oldest")
FACETS = ("year", "month", "source", "author", "cites")
FACET_LIMIT = 20
UNDATED = 0xFFFFFFFF  # what whoosh's unsigned 32-bit column holds for a document without a day


@dataclass
class Filters:
    """What a search is restricted to (all ``None``/empty: everything)."""

    since: _dt.date | None = None
    until: _dt.date | None = None
    sources: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None and not (self.sources or self.authors or self.cites)

    def add_dates(self, since: _dt.date | None, until: _dt.date | None) -> None:
        """Narrow the date range (AND with what is there)."""
        if since is not None and (self.since is None or since > self.since):
            self.since = since
        if until is not None and (self.until is None or until < self.until):
            self.until = until
        if self.since is not None and self.until is not None and self.since > self.until:
            raise QueryError(
                f"the date range is empty: since {self.since.isoformat()} is after until {self.until.isoformat()}"
            )

    def to_dict(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sources": list(self.sources),
            "authors": list(self.authors),
            "cites": list(self.cites),
        }


def _date_bound(value: object, name: str, end: bool) -> _dt.date | None:
    """A ``since``/``until`` value: a date, or a period string ("2022", "2022-03", "2022-03-05")."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise QueryError(f"{name} must be a date or text such as 2022-06-01, not {type(value).__name__}")
    first, last = parse_period(value.strip())
    return last if end else first


def _values(value: object, name: str) -> list[str]:
    """One value or a list of them, as non-empty strings."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise QueryError(f"{name} must be text or a list of texts, not {type(value).__name__}")
    out = []
    for v in items:
        if not isinstance(v, str):
            raise QueryError(f"{name} must be text or a list of texts (got {v!r:.40})")
        v = " ".join(clean_text(v).split())
        if v:
            out.append(v)
    return out


_FILTER_KEYS = ("since", "until", "date", "year", "sources", "authors", "cites")


def build_filters(
    *,
    since: object = None,
    until: object = None,
    sources: object = None,
    authors: object = None,
    cites: object = None,
    filter: dict | None = None,  # noqa: A002 - the public name apps use
) -> Filters:
    """Filters from library keywords and an app's ``filter`` dict (validated)."""
    f = Filters()
    f.add_dates(_date_bound(since, "since", end=False), _date_bound(until, "until", end=True))
    f.sources += _values(sources, "sources")
    f.authors += _values(authors, "authors")
    f.cites += _values(cites, "cites")
    if filter is not None:
        if not isinstance(filter, dict):
            raise QueryError(f"filter must be a dict such as {{'date': '2022'}}, not {type(filter).__name__}")
        unknown = sorted(set(filter) - set(_FILTER_KEYS))
        if unknown:
            raise QueryError(f"unknown filter {unknown[0]!r}: use {', '.join(_FILTER_KEYS)}")
        f.add_dates(_date_bound(filter.get("since"), "since", False), _date_bound(filter.get("until"), "until", True))
        for key in ("date", "year"):
            if filter.get(key) not in (None, ""):
                f.add_dates(*parse_date_filter(str(filter[key]).strip()))
        f.sources += _values(filter.get("sources"), "sources")
        f.authors += _values(filter.get("authors"), "authors")
        f.cites += _values(filter.get("cites"), "cites")
    return f


# ``date:2022``, ``source:x.vn``, ``author:"Linh Lan"``, ``cites:"Kết luận 21"``.
_SYNTAX = re.compile(r'(?<!\S)(date|source|author|cites):(?:"([^"]*)"?|(\S+))', re.IGNORECASE)


def split_filters(text: str, filters: Filters) -> str:
    """Take the filter syntax out of a query (adding it to ``filters``); return the rest."""

    def take(m: re.Match) -> str:
        kind, value = m.group(1).lower(), (m.group(2) if m.group(2) is not None else m.group(3)).strip()
        if not value:
            raise QueryError(f"{kind}: needs a value, e.g. {_EXAMPLES[kind]}")
        if kind == "date":
            filters.add_dates(*parse_date_filter(value))
        elif kind == "source":
            filters.sources.append(value)
        elif kind == "author":
            filters.authors.append(value)
        else:
            filters.cites.append(value)
        return " "

    return _SYNTAX.sub(take, text)


_EXAMPLES = {
    "date": "date:2022-03",
    "source": "source:dangcongsan.vn",
    "author": 'author:"Linh Lan"',
    "cites": 'cites:"Kết luận 21"',
}


def check_sort(sort: object, has_query: bool) -> str:
    if sort is None:
        return "relevance" if has_query else "newest"
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)} (got {sort!r:.40})")
    if sort == "relevance" and not has_query:
        return "newest"
    return str(sort)


def check_facets(facets: object) -> list[str]:
    if facets is None:
        return []
    names = [n.strip() for n in facets.split(",")] if isinstance(facets, str) else facets
    if not isinstance(names, (list, tuple)):
        raise QueryError(f"facets must be a list such as ['year', 'source'], not {type(facets).__name__}")
    out = []
    for n in names:
        if n not in FACETS:
            raise QueryError(f"unknown facet {n!r:.40}: use {', '.join(FACETS)}")
        if n not in out:
            out.append(n)
    return out


# --- per-segment columns ------------------------------------------------------------------


class Columns:
    """One segment's navigation columns as numpy arrays (built once, on first use)."""

    def __init__(self, reader: Any, n: int):
        self.reader = reader
        self.n = n
        self._day: np.ndarray | None = None
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._cites: tuple[np.ndarray, np.ndarray, list[str]] | None = None

    def day(self) -> np.ndarray:
        """Day numbers (:func:`searcher.schema.day_number`); :data:`UNDATED` where none."""
        if self._day is None:
            if self.reader.has_column("day"):
                self._day = np.fromiter(self.reader.column_reader("day"), dtype=np.uint32, count=self.n)
            else:
                self._day = np.full(self.n, UNDATED, dtype=np.uint32)
            self._day[self._day == 0] = UNDATED
        return self._day

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """A text column as integer codes and the values they stand for (code 0: none)."""
        if name not in self._codes:
            values: list[str] = [""]
            index: dict[str, int] = {"": 0}
            codes = np.zeros(self.n, dtype=np.int32)
            if self.reader.has_column(name):
                for i, v in enumerate(self.reader.column_reader(name)):
                    if isinstance(v, bytes):
                        v = v.decode("utf-8")
                    code = index.get(v)
                    if code is None:
                        code = index[v] = len(values)
                        values.append(v)
                    codes[i] = code
            self._codes[name] = (codes, values)
        return self._codes[name]

    def cites(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Cited base keys per document, CSR: ``(doc of each entry, key code of each entry, keys)``."""
        if self._cites is None:
            docs: list[int] = []
            codes: list[int] = []
            keys: list[str] = []
            index: dict[str, int] = {}
            if self.reader.has_column("cites"):
                for i, raw in enumerate(self.reader.column_reader("cites")):
                    for k in (raw or b"").decode("utf-8").split():
                        code = index.get(k)
                        if code is None:
                            code = index[k] = len(keys)
                            keys.append(k)
                        docs.append(i)
                        codes.append(code)
            self._cites = (np.array(docs, dtype=np.int32), np.array(codes, dtype=np.int32), keys)
        return self._cites


def keep_mask(cols: Columns, f: Filters) -> np.ndarray | None:
    """The documents of one segment that pass the column filters (None: all).

    ``cites`` is not here: it is a query on the ``ref`` field (it understands
    "Kết luận 21" and "21-KL/TW" alike), applied by the executor."""
    mask: np.ndarray | None = None

    def both(m: np.ndarray) -> None:
        nonlocal mask
        mask = m if mask is None else mask & m

    if f.since is not None or f.until is not None:
        day = cols.day()
        m = day != UNDATED
        if f.since is not None:
            m &= day >= day_number(f.since)
        if f.until is not None:
            m &= day <= day_number(f.until)
        both(m)
    if f.sources:
        codes, values = cols.codes("source_key")
        wanted = {source_key(s) for s in f.sources}
        both(np.isin(codes, [i for i, v in enumerate(values) if v and v in wanted]))
    if f.authors:
        codes, values = cols.codes("author_key")
        wanted = {" ".join(fold(a).split()) for a in f.authors}
        both(np.isin(codes, [i for i, v in enumerate(values) if v and fold(v) in wanted]))
    return mask


def sort_days(cols: Columns, newest: bool) -> np.ndarray:
    """A sort key per document: smaller sorts first; undated always last."""
    day = cols.day().astype(np.int64)
    undated = day == UNDATED
    key = -day if newest else day.copy()
    key[undated] = np.iinfo(np.int64).max
    return key


def count_facets(parts: list[tuple[Columns, np.ndarray]], names: list[str], limit: int) -> dict[str, list]:
    """Exact counts over every matching document: ``{"year": [[2022, 3], …], …}``,
    the ``limit`` most frequent values of each facet (ties by value)."""
    from .refs import key_label

    out: dict[str, list] = {}
    for name in names:
        counts: dict[Any, int] = {}
        for cols, mask in parts:
            if not mask.any():
                continue
            if name in ("year", "month"):
                days = cols.day()[mask]
                days = days[days != UNDATED]
                for d, n in zip(*np.unique(days, return_counts=True)):
                    date = day_date(int(d))
                    value: Any = date.year if name == "year" else f"{date.year:04d}-{date.month:02d}"
                    counts[value] = counts.get(value, 0) + int(n)
            elif name in ("source", "author"):
                codes, values = cols.codes("source_key" if name == "source" else "author_key")
                hist = np.bincount(codes[mask], minlength=len(values))
                for code in np.flatnonzero(hist):
                    if code:
                        counts[values[code]] = counts.get(values[code], 0) + int(hist[code])
            else:
                docs, codes, keys = cols.cites()
                if len(keys):
                    hist = np.bincount(codes[mask[docs]], minlength=len(keys))
                    for code in np.flatnonzero(hist):
                        counts[keys[code]] = counts.get(keys[code], 0) + int(hist[code])
        if name in ("year", "month"):
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], _desc(kv[0])))
        else:
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        top = ranked[:limit]
        if name == "cites":
            out[name] = [[k, key_label(k), n] for k, n in top]
        else:
            out[name] = [[k, n] for k, n in top]
    return out


def _desc(value: Any) -> Any:
    """Newer periods first among equal counts."""
    return -value if isinstance(value, int) else tuple(-int(p) for p in str(value).split("-"))
