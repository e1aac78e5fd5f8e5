"""What the search page shows, as its URL says it: the query, the filters, the order, the page.

:class:`PageState` is the page's query string, parsed (the same names as ``/v1/search``,
singular: ``?q=…&year=2022&source=a&source=b&cites=…&sort=newest&offset=10``), and
every link of the page is a changed copy of it (:meth:`PageState.href`), so that
facets, filters, sort and paging are plain links that work without JavaScript.
The page's script builds the same links the same way (``search.html``); the
browser test compares the two.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..search import MAX_OFFSET
from .schemas import MAX_QUERY, MAX_SHORT, MAX_VALUE, MAX_VALUES, FacetsOut, SearchOut

PAGE_SIZE = 10
PAGE_FACETS = ("year", "source", "cites")  # shown beside the hits, in this order
PAGE_FACET_LIMIT = 10

# Vietnamese labels of the page (the script gets them from the page, not from a copy).
LABELS = {
    "year": "Năm",
    "source": "Nguồn",
    "author": "Tác giả",
    "cites": "Văn bản được trích dẫn",
    "since": "Từ",
    "until": "Đến",
    "sort": "Sắp xếp",
    "filtering": "Đang lọc:",
    "clear": "Bỏ lọc tất cả",
    "remove": "Bỏ lọc",
    "relevance": "Liên quan nhất",
    "newest": "Mới nhất",
    "oldest": "Cũ nhất",
}
SORT_ORDER = ("relevance", "newest", "oldest")

_MONTH, _DAY = r"(0[1-9]|1[0-2])", r"(0[1-9]|[12]\d|3[01])"
_ISO = (
    (re.compile(rf"(\d{{4}})-{_MONTH}-{_DAY}"), "{2}/{1}/{0}"),
    (re.compile(rf"(\d{{4}})-{_MONTH}"), "{1}/{0}"),
)


def vn_period(value: str) -> str:
    """``2022-06-01`` → ``01/06/2022``, ``2022-06`` → ``06/2022``; anything else as written."""
    for pattern, shape in _ISO:
        m = pattern.fullmatch(value)
        if m:
            return shape.format(*m.groups())
    return value


class PageState(BaseModel):
    """The search page's query parameters (unknown ones are ignored: links from elsewhere may carry them)."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field(default="", max_length=MAX_QUERY)
    year: int | None = Field(default=None, ge=1, le=9999)
    since: str = Field(default="", max_length=MAX_SHORT)
    until: str = Field(default="", max_length=MAX_SHORT)
    source: list[str] = Field(default=[], max_length=MAX_VALUES)
    author: list[str] = Field(default=[], max_length=MAX_VALUES)
    cites: list[str] = Field(default=[], max_length=MAX_VALUES)
    sort: str = Field(default="", max_length=MAX_SHORT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @field_validator("source", "author", "cites")
    @classmethod
    def _values(cls, values: list[str]) -> list[str]:
        if any(len(v) > MAX_VALUE for v in values):
            raise ValueError(f"each value is at most {MAX_VALUE} characters")
        return [v for v in (" ".join(v.split()) for v in values) if v]

    @field_validator("since", "until", "sort")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    # -- the URL -------------------------------------------------------------------------

    @property
    def has_filters(self) -> bool:
        return bool(self.year is not None or self.since or self.until or self.source or self.author or self.cites)

    @property
    def searched(self) -> bool:
        """Something to search for or list (else the page shows its introduction)."""
        return bool(self.q.strip()) or self.has_filters

    def filter_items(self) -> list[tuple[str, str]]:
        """The filters and the order as query parameters, in the page's fixed order (no q, no offset)."""
        items: list[tuple[str, str]] = []
        if self.year is not None:
            items.append(("year", str(self.year)))
        if self.since:
            items.append(("since", self.since))
        if self.until:
            items.append(("until", self.until))
        items += [("source", v) for v in self.source]
        items += [("author", v) for v in self.author]
        items += [("cites", v) for v in self.cites]
        if self.sort:
            items.append(("sort", self.sort))
        return items

    def query_string(self) -> str:
        items = [("q", self.q)] if self.q else []
        items += self.filter_items()
        if self.offset:
            items.append(("offset", str(self.offset)))
        return urlencode(items)

    def href(self, **changes: Any) -> str:
        """The page's URL with ``changes`` (any change but ``offset`` goes back to the first page)."""
        if changes and "offset" not in changes:
            changes["offset"] = 0
        qs = self.model_copy(update=changes).query_string()
        return "/?" + qs if qs else "/"

    def bulletin_href(self, doc_id: str) -> str:
        """A bulletin's page, carrying this state for its "back to the results" link."""
        qs = self.query_string()
        return "/b/" + quote(doc_id, safe="/") + ("?" + qs if qs else "")

    def library_kwargs(self) -> dict[str, Any]:
        """:meth:`searcher.Searcher.search` keywords besides the query, for one page of hits and its facets."""
        return {
            "limit": PAGE_SIZE,
            "offset": self.offset,
            "sort": self.sort or None,
            "since": self.since or None,
            "until": self.until or None,
            "sources": self.source,
            "authors": self.author,
            "cites": self.cites,
            "filter": {"year": str(self.year)} if self.year is not None else None,
            "facets": list(PAGE_FACETS),
            "facet_limit": PAGE_FACET_LIMIT,
        }

    # -- what the page shows -------------------------------------------------------------

    def chips(self) -> list[dict[str, str]]:
        """The active filters, each with the link that removes it."""
        out = []
        if self.year is not None:
            out.append({"label": f"{LABELS['year']} {self.year}", "href": self.href(year=None)})
        if self.since:
            out.append({"label": f"{LABELS['since']} {vn_period(self.since)}", "href": self.href(since="")})
        if self.until:
            out.append({"label": f"{LABELS['until']} {vn_period(self.until)}", "href": self.href(until="")})
        for name in ("source", "author", "cites"):
            values: list[str] = getattr(self, name)
            for i, v in enumerate(values):
                out.append({"label": f"{LABELS[name]}: {v}", "href": self.href(**{name: values[:i] + values[i + 1 :]})})
        return out

    def clear_href(self) -> str:
        """Every filter off; the query and the order stay."""
        return self.href(year=None, since="", until="", source=[], author=[], cites=[])

    def sort_links(self, res: SearchOut) -> list[dict[str, Any]]:
        """The orders that apply (no "relevance" without query words); the default one needs no parameter."""
        browse = res.mode == "browse"
        default = "newest" if browse else "relevance"
        return [
            {
                "label": LABELS[s],
                "value": s,
                "current": s == res.sort,
                "href": self.href(sort="" if s == default else s),
            }
            for s in SORT_ORDER
            if not (browse and s == "relevance")
        ]

    def facet_groups(self, facets: FacetsOut) -> list[dict[str, Any]]:
        """The facets of :data:`PAGE_FACETS` that have values, each value with the link that adds
        its filter (or, for an active one, removes it)."""
        groups = []
        for name in PAGE_FACETS:
            rows = getattr(facets, name, None) or []
            items = []
            for row in rows:
                count = row[-1]
                if name == "year":
                    year = int(row[0])
                    active = self.year == year
                    items.append(
                        {
                            "label": str(year),
                            "count": count,
                            "active": active,
                            "href": self.href(year=None if active else year),
                        }
                    )
                else:
                    value = str(row[1] if name == "cites" else row[0])
                    current: list[str] = getattr(self, name)
                    active = value.casefold() in {v.casefold() for v in current}
                    changed = [v for v in current if v.casefold() != value.casefold()] if active else [*current, value]
                    items.append(
                        {"label": value, "count": count, "active": active, "href": self.href(**{name: changed})}
                    )
            if items:
                groups.append({"name": name, "heading": LABELS[name], "entries": items})
        return groups

    def pager(self, res: SearchOut) -> dict[str, Any]:
        prev_href = self.href(offset=max(0, self.offset - PAGE_SIZE)) if self.offset > 0 else None
        next_href = self.href(offset=self.offset + PAGE_SIZE) if self.offset + PAGE_SIZE < res.total else None
        return {"prev": prev_href, "next": next_href, "page": self.offset // PAGE_SIZE + 1}


def cites_href(label: str) -> str:
    """The bulletins citing a document, newest first."""
    return PageState(cites=[label]).href()
